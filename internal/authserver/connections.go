package authserver

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// The connections page lets a person see and revoke what lookout holds for
// them: their Sentry grants, the MCP clients holding lookout tokens on
// those grants, and the Slack identities that use them.
//
// "Them" is a Sentry user. The person signs in with Sentry through the
// same upstream OAuth application (no new secret), in the browser bound to
// that sign-in as every consent is; the token response names the Sentry
// user. That token is dropped at once, never stored: the page needs only
// to know who the person is on Sentry, and a second grant in the vault
// would be one more credential to protect. The session is a cookie signed
// under its own key derived from COOKIE_SECRET, holding the Sentry user id
// and expiring within an hour; HttpOnly, Secure and SameSite=Lax (it must
// come along on the redirect back from Sentry).
//
// The page shows the grants whose sealed Sentry user is that user (the
// store finds candidates by a plain column, the vault confirms each by the
// id sealed inside it). Every form carries a CSRF token bound to the
// browser's SameSite=Strict nonce and to the signed-in user, and a revoke
// is checked again against the grant's sealed owner before anything is
// revoked.

// Paths of the connections page.
const (
	ConnectionsPath = "/connections"
	connectionsPost = "/connections/" // + signin, revoke, signout
)

const (
	// kindConnections is the state of a sign-in to the connections page.
	kindConnections = "connections"
	// cookieSession holds the signed-in Sentry user.
	cookieSession = "lookout-session"
	// sessionTTL bounds a connections page session.
	sessionTTL = time.Hour
)

// connectionsScopes is what the sign-in asks Sentry for: the narrowest
// scope lookout uses anyway (so a user who connected before is not asked
// to consent to anything new). The token is not kept.
var connectionsScopes = []string{"org:read"}

// session is the signed payload of the session cookie.
type session struct {
	UserID  string `json:"u"`
	Account string `json:"a,omitempty"` // email or name, for the page
}

// readSession returns the signed-in Sentry user, if any.
func (s *Server) readSession(r *http.Request) (session, bool) {
	v := s.cookie(r, cookieSession)
	if v == "" {
		return session{}, false
	}
	var se session
	if err := s.sessions.Verify(v, &se); err != nil || se.UserID == "" {
		return session{}, false
	}
	return se, true
}

// connectionsHash binds the page's forms to the signed-in user.
func connectionsHash(userID string) string { return hashString("connections\x00" + userID) }

// signinHash binds the sign-in form's CSRF token.
var signinHash = hashString("connections-signin")

// handleConnections is GET /connections: the sign-in button, or the
// signed-in user's connections.
func (s *Server) handleConnections(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	se, ok := s.readSession(r)
	if !ok {
		csrf, err := s.csrfToken(w, r, signinHash)
		if err != nil {
			s.pageFailed(w, "csrf token", err)
			return
		}
		// The sign-in form's submission is redirected to Sentry, which
		// Chrome checks against form-action too.
		s.renderPage(w, http.StatusOK, signinPage, signinView{Title: "Your lookout connections", SentryHost: s.sentryHost(), CSRF: csrf},
			"'self'", s.sentryOrigin)
		return
	}
	v, err := s.connectionsView(r.Context(), se)
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: listing a user's connections", "sentry_user", se.UserID, "err", err)
		s.errorPage(w, http.StatusServiceUnavailable, errorView{Title: "Something went wrong",
			What: "lookout could not list your connections just now.", Todo: "Try again in a minute."})
		return
	}
	if v.CSRF, err = s.csrfToken(w, r, connectionsHash(se.UserID)); err != nil {
		s.pageFailed(w, "csrf token", err)
		return
	}
	v.Notice = notices[r.URL.Query().Get("done")]
	s.renderPage(w, http.StatusOK, connectionsPage, v, "'self'")
}

// notices are the words after a form's redirect, by its done= value.
var notices = map[string]string{
	"revoked":   "Revoked. What used that connection no longer reaches Sentry as you.",
	"gone":      "That connection was already gone.",
	"signedout": "Signed out.",
}

// handleConnectionsPost is POST /connections/{signin,revoke,signout}.
func (s *Server) handleConnectionsPost(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Invalid form", What: "lookout could not read the form.", Todo: openConnections})
		return
	}
	refused := errorView{Title: "Request refused",
		What: "This request did not come from the page lookout showed in this browser, or the page was open for more than an hour.",
		Todo: openConnections}
	// The CSRF token is the defence; this turns a cross-site post away early.
	if origin := r.Header.Get("Origin"); origin != "" && origin != "null" && !strings.EqualFold(origin, s.cfg.BaseURL) {
		s.errorPage(w, http.StatusForbidden, refused)
		return
	}
	token := r.PostForm.Get("csrf_token")
	action := strings.TrimPrefix(r.URL.Path, connectionsPost)
	if action == "signin" {
		if s.checkCSRF(r, token, signinHash) != nil {
			s.errorPage(w, http.StatusForbidden, refused)
			return
		}
		s.connectionsSignIn(w, r)
		return
	}
	se, ok := s.readSession(r)
	if !ok {
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Signed out",
			What: "Your session on this page has ended (it lasts an hour), so nothing was changed.", Todo: openConnections})
		return
	}
	if s.checkCSRF(r, token, connectionsHash(se.UserID)) != nil {
		s.errorPage(w, http.StatusForbidden, refused)
		return
	}
	switch action {
	case "revoke":
		s.connectionsRevoke(w, r, se, r.PostForm.Get("principal"))
	case "signout":
		s.setCookie(w, cookieSession, "", -time.Second, http.SameSiteLaxMode)
		http.Redirect(w, r, ConnectionsPath+"?done=signedout", http.StatusSeeOther)
	default:
		http.NotFound(w, r)
	}
}

// connectionsSignIn begins the Sentry sign-in, bound to this browser.
func (s *Server) connectionsSignIn(w http.ResponseWriter, r *http.Request) {
	verifier := oauth.NewVerifier()
	data, err := json.Marshal(stateData{Verifier: verifier, Scopes: connectionsScopes})
	var state string
	if err == nil {
		state, err = s.states.Begin(r.Context(), kindConnections, "", data, 0)
	}
	if err == nil {
		err = s.bindFlow(w, r, state)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: starting a connections page sign-in", "err", err)
		s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
			What: "lookout could not start signing you in.", Todo: "Try again in a minute: " + lowerFirst(openConnections)})
		return
	}
	noStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.cfg.Sentry.AuthCodeURL(state, verifier, connectionsScopes), http.StatusSeeOther)
}

// finishConnections completes the sign-in in the browser that began it:
// the Sentry user becomes the session; the token is dropped.
func (s *Server) finishConnections(w http.ResponseWriter, r *http.Request, signed string, sd stateData) {
	if !s.flowBound(r, signed) {
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Sign-in refused",
			What: "This sign-in was not started in this browser. lookout finishes a sign-in only in the browser where it began.",
			Todo: openConnections})
		return
	}
	consent, ok := s.consentFrom(w, r, sd, openConnections, func() {
		s.errorPage(w, http.StatusOK, errorView{Title: "Not signed in",
			What: "You declined on Sentry, so lookout cannot tell which connections are yours.", Todo: openConnections})
	})
	if !ok {
		return
	}
	// consent.Token goes out of scope here: it is never stored or used.
	if consent.User.ID == "" {
		s.log.ErrorContext(r.Context(), "authserver: Sentry's token response named no user; cannot show connections")
		s.errorPage(w, http.StatusBadGateway, errorView{Title: "Sentry did not say who you are",
			What: "Sentry signed you in but did not name your Sentry account, so lookout cannot tell which connections are yours.",
			Todo: "Try again in a minute; if it persists, tell whoever runs this lookout."})
		return
	}
	value, err := s.sessions.Sign(session{UserID: consent.User.ID, Account: accountName(consent.User)}, sessionTTL)
	if err != nil {
		s.pageFailed(w, "session cookie", err)
		return
	}
	s.setCookie(w, cookieSession, value, sessionTTL, http.SameSiteLaxMode)
	s.log.InfoContext(r.Context(), "authserver: signed in to the connections page", "sentry_user", consent.User.ID)
	noStore(w)
	http.Redirect(w, r, ConnectionsPath, http.StatusSeeOther)
}

// connectionsRevoke revokes one of the signed-in user's grants: lookout
// tokens first, then the grant, as `lookout admin grants revoke` does.
func (s *Server) connectionsRevoke(w http.ResponseWriter, r *http.Request, se session, principal string) {
	ctx := r.Context()
	mine, err := s.cfg.Vault.Owner(ctx, principal, se.UserID)
	switch {
	case errors.Is(err, vault.ErrNoGrant):
		http.Redirect(w, r, ConnectionsPath+"?done=gone", http.StatusSeeOther)
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "authserver: checking whose grant is revoked", "principal", principal, "err", err)
		s.errorPage(w, http.StatusServiceUnavailable, errorView{Title: "Something went wrong",
			What: "lookout could not revoke that connection just now; nothing was changed.", Todo: "Try again in a minute."})
		return
	case !mine:
		s.log.WarnContext(r.Context(), "authserver: refused to revoke a grant of another Sentry user", "principal", principal, "sentry_user", se.UserID)
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Not yours",
			What: "That connection does not belong to the Sentry account you signed in with; nothing was changed.", Todo: openConnections})
		return
	}
	n, err := s.cfg.Store.RevokePrincipal(ctx, principal)
	if err == nil && n > 0 {
		s.audit(ctx, principal, ActionTokenRevoked, fmt.Sprintf("its owner (Sentry user %s) revoked %d lookout tokens on the connections page", se.UserID, n))
	}
	if err == nil {
		err = s.cfg.Vault.Delete(ctx, principal, "revoked by its owner (Sentry user "+se.UserID+") on the connections page")
		if errors.Is(err, vault.ErrNoGrant) {
			err = nil
		}
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: revoking a connection", "principal", principal, "err", err)
		s.errorPage(w, http.StatusServiceUnavailable, errorView{Title: "Something went wrong",
			What: "lookout could not finish revoking that connection.", Todo: "Try again in a minute."})
		return
	}
	s.log.InfoContext(r.Context(), "authserver: a user revoked a connection", "principal", principal, "sentry_user", se.UserID, "tokens_revoked", n)
	http.Redirect(w, r, ConnectionsPath+"?done=revoked", http.StatusSeeOther)
}

// connectionsView gathers what the page shows for the signed-in user.
func (s *Server) connectionsView(ctx context.Context, se session) (connectionsViewData, error) {
	v := connectionsViewData{Title: "Your lookout connections", Account: se.Account, UserID: se.UserID, SentryHost: s.sentryHost()}
	records, err := s.cfg.Vault.RecordsOf(ctx, se.UserID)
	if err != nil {
		return v, err
	}
	now := s.now()
	for _, rec := range records {
		c := connectionView{
			Principal: rec.Principal, Scopes: strings.Join(rec.Scopes, " "), Stale: rec.Stale,
			Connected: day(rec.ConnectedAt), LastUsed: day(rec.LastUsedAt),
		}
		switch {
		case strings.HasPrefix(rec.Principal, principalPrefix):
			holders, err := s.cfg.Store.ListTokenHolders(ctx, rec.Principal, now)
			if err != nil {
				return v, err
			}
			last := rec.LastUsedAt
			for _, h := range holders {
				c.Clients = append(c.Clients, s.holderView(ctx, h))
				last = maxTime(last, h.LastIssuedAt)
			}
			c.LastUsed = day(last)
			v.MCP = append(v.MCP, c)
		default:
			if conn, ok := s.connectorFor(rec.Principal); ok {
				c.Who = conn.Describe(ctx, rec.Principal)
			}
			c.Who = cmp.Or(c.Who, rec.Principal)
			if strings.HasPrefix(rec.Principal, "slack:") {
				v.Slack = append(v.Slack, c)
			} else {
				v.Other = append(v.Other, c)
			}
		}
	}
	return v, nil
}

// holderView describes a client holding tokens: registered clients by the
// name they registered, metadata-document clients by the document's host
// (the document is not fetched to draw this page).
func (s *Server) holderView(ctx context.Context, h store.TokenHolder) clientView {
	cv := clientView{ID: h.ClientID, Access: s.describeResource(h.Resource), Resource: h.Resource}
	if u, err := url.Parse(h.ClientID); err == nil && strings.HasPrefix(h.ClientID, "https://") {
		cv.Host = u.Host
		cv.Name = "A client described by a document on " + u.Host
		return cv
	}
	cv.Name = "An MCP client whose registration has ended"
	if row, err := s.cfg.Store.GetClient(ctx, h.ClientID, s.now()); err == nil {
		var c client
		if json.Unmarshal(row.Metadata, &c) == nil {
			cv.Name = c.displayName()
			var hosts []string
			for _, ru := range c.RedirectURIs {
				target, _, _ := describeRedirect(ru)
				if !slices.Contains(hosts, target) {
					hosts = append(hosts, target)
				}
			}
			cv.Host = strings.Join(hosts, ", ")
		}
	}
	return cv
}

func (s *Server) pageFailed(w http.ResponseWriter, what string, err error) {
	s.log.ErrorContext(responseCtx(w), "authserver: connections page: "+what, "err", err)
	s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
		What: "lookout could not show this page.", Todo: "Try again in a moment."})
}

// openConnections is the usual advice on the connections page's errors.
const openConnections = "Open " + ConnectionsPath + " on this lookout and sign in with Sentry again."

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
