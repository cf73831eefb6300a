package authserver

import (
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

// Connect links let a front door's user (a Slack user, principal
// slack:{team}:{user}) connect their own Sentry account. The front door
// asks ConnectURL for a link and sends it to that user privately. The
// link binds whoever consents to the principal it was made for, so:
//
//   - GET /connect/sentry?s=... only shows whom the link is for and asks to
//     confirm; it spends nothing (link expanders and prefetchers only GET).
//   - POST, with a CSRF token tied to a SameSite=Strict nonce cookie, spends
//     the link, begins the Sentry consent and binds it to this browser with
//     the flow cookie, as an MCP sign-in is bound.
//   - The callback completes only in the browser bound to that consent.
//     Someone who confirms their own link and sends the Sentry URL it led
//     to a colleague gets nothing: the colleague's browser was not bound.
//
// Then the grant goes to the vault under the link's principal, and the
// front door hears OnConnected.

// ConnectPath is where connect links point.
const ConnectPath = "/connect/sentry"

// ConnectLinkTTL: a connect link works once, within ten minutes.
const ConnectLinkTTL = 10 * time.Minute

const (
	// kindConnectLink is the state behind a connect link.
	kindConnectLink = "connect-link"
	// kindConnect is the Sentry consent a confirmed link began.
	kindConnect = "connect"
)

// Connector is a front door whose users connect Sentry through connect
// links: the Slack bot. Its principals start with the prefix it was added
// with (AddConnector).
type Connector interface {
	// Describe names, for the confirmation page, the person principal
	// stands for, e.g. "the Slack user Alice (U123) in workspace T1". It
	// is shown escaped.
	Describe(ctx context.Context, principal string) string
	// ScopesFor lists the Sentry scopes principal needs now (what its
	// waiting requests need). Empty: the read scopes.
	ScopesFor(ctx context.Context, principal string) []string
	// OnConnected is told once principal's new grant is stored, and says
	// how many of principal's waiting requests it will now answer.
	OnConnected(ctx context.Context, principal string) (resumed int, err error)
}

// AddConnector registers c for the principals that start with prefix
// (e.g. "slack:"). Add connectors before serving.
func (s *Server) AddConnector(prefix string, c Connector) error {
	if c == nil || !strings.HasSuffix(prefix, ":") || len(prefix) < 2 || strings.HasPrefix(principalPrefix, prefix) {
		return fmt.Errorf("authserver: connector prefix %q must be a name and a colon, and not the MCP one", prefix)
	}
	s.connectorsMu.Lock()
	defer s.connectorsMu.Unlock()
	if _, ok := s.connectors[prefix]; ok {
		return fmt.Errorf("authserver: a connector for %q is already added", prefix)
	}
	s.connectors[prefix] = c
	return nil
}

// connectorFor returns the connector whose users principal is one of.
func (s *Server) connectorFor(principal string) (Connector, bool) {
	s.connectorsMu.RLock()
	defer s.connectorsMu.RUnlock()
	for prefix, c := range s.connectors {
		if strings.HasPrefix(principal, prefix) && len(principal) > len(prefix) {
			return c, true
		}
	}
	return nil, false
}

// ConnectURL returns principal's private connect link. A link still
// pending (unused, valid for another minute) is handed out again instead
// of a new one, and the store settles it atomically: however many replicas
// ask at once for one principal, there is one link.
func (s *Server) ConnectURL(ctx context.Context, principal string) (string, error) {
	if _, ok := s.connectorFor(principal); !ok {
		return "", fmt.Errorf("authserver: no connector for principal %q", principal)
	}
	signed, err := s.states.BeginOrReuse(ctx, kindConnectLink, principal, nil, ConnectLinkTTL)
	if err != nil {
		return "", err
	}
	return s.cfg.BaseURL + ConnectPath + "?s=" + url.QueryEscape(signed), nil
}

// handleConnect is /connect/sentry: GET shows the confirmation page, POST
// is its answer.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.connectGet(w, r)
	case http.MethodPost:
		s.connectPost(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// connectRequestHash binds the confirmation form's CSRF token to one link.
func connectRequestHash(signed string) string { return hashString("connect\x00" + signed) }

func (s *Server) connectGet(w http.ResponseWriter, r *http.Request) {
	signed := r.URL.Query().Get("s")
	if signed == "" {
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Link incomplete",
			What: "This connect link is missing its code.", Todo: askForLink})
		return
	}
	principal, err := s.states.Peek(signed, kindConnectLink)
	if err != nil {
		s.linkFailed(w, err)
		return
	}
	conn, ok := s.connectorFor(principal)
	if !ok {
		s.linkFailed(w, oauth.ErrTampered)
		return
	}
	csrf, err := s.csrfToken(w, r, connectRequestHash(signed))
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: csrf token", "err", err)
		s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
			What: "lookout could not show this page.", Todo: "Try again in a moment."})
		return
	}
	who := conn.Describe(r.Context(), principal)
	if who == "" {
		who = principal
	}
	// Chrome applies form-action to the redirect after the submission too.
	s.renderPage(w, http.StatusOK, connectPage, connectView{
		Title: "Connect Sentry", Who: who, SentryHost: s.sentryHost(), Link: signed, CSRF: csrf,
	}, "'self'", s.sentryOrigin)
}

func (s *Server) connectPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Invalid form", What: "lookout could not read the form.", Todo: askForLink})
		return
	}
	signed := r.PostForm.Get("s")
	refused := errorView{Title: "Confirmation refused",
		What: "This confirmation did not come from the page lookout showed in this browser, or the page was open for more than an hour.",
		Todo: "Open the connect link again and press the button on that page. " + askForLink}
	// The CSRF token is the defence; this turns a cross-site post away early.
	if origin := r.Header.Get("Origin"); origin != "" && origin != "null" && !strings.EqualFold(origin, s.cfg.BaseURL) {
		s.errorPage(w, http.StatusForbidden, refused)
		return
	}
	if signed == "" || s.checkCSRF(r, r.PostForm.Get("csrf_token"), connectRequestHash(signed)) != nil {
		s.errorPage(w, http.StatusForbidden, refused)
		return
	}
	ctx := r.Context()
	st, err := s.states.Finish(ctx, signed, kindConnectLink)
	if err != nil {
		s.linkFailed(w, err)
		return
	}
	conn, ok := s.connectorFor(st.Principal)
	if !ok {
		s.linkFailed(w, oauth.ErrTampered)
		return
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(conn.ScopesFor(ctx, st.Principal))))
	if len(scopes) == 0 {
		scopes = slices.Clone(sentryReadScopes)
	}
	verifier := oauth.NewVerifier()
	data, err := json.Marshal(stateData{Verifier: verifier, Scopes: scopes})
	if err == nil {
		var state string
		state, err = s.states.Begin(ctx, kindConnect, st.Principal, data, 0)
		if err == nil {
			err = s.bindFlow(w, r, state)
		}
		if err == nil {
			s.log.InfoContext(r.Context(), "authserver: connect link confirmed; sending the browser to Sentry", "principal", st.Principal, "scopes", strings.Join(scopes, " "))
			noStore(w)
			w.Header().Set("Referrer-Policy", "no-referrer")
			http.Redirect(w, r, s.cfg.Sentry.AuthCodeURL(state, verifier, scopes), http.StatusSeeOther)
			return
		}
	}
	s.log.ErrorContext(r.Context(), "authserver: starting the Sentry consent of a connect link", "principal", st.Principal, "err", err)
	s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
		What: "lookout could not start connecting your Sentry account.", Todo: "Try again in a minute: " + lowerFirst(askForLink)})
}

// finishConnect completes the Sentry consent of a connect link, in the
// browser that confirmed the link and no other.
func (s *Server) finishConnect(w http.ResponseWriter, r *http.Request, signed string, st store.State, sd stateData) {
	ctx := r.Context()
	if !s.flowBound(r, signed) {
		s.log.WarnContext(r.Context(), "authserver: connect callback in a browser that did not confirm the link", "principal", st.Principal)
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Connection refused",
			What: "This connection was not started in this browser. lookout connects a Sentry account only in the browser where the connect link was confirmed, so that nobody can send you a Sentry link that connects your account to them.",
			Todo: "If you asked for a connect link yourself, open that link in this browser. " + askForLink})
		return
	}
	conn, ok := s.connectorFor(st.Principal)
	if !ok {
		s.linkFailed(w, oauth.ErrTampered)
		return
	}
	consent, ok := s.consentFrom(w, r, sd, askForLink, func() {
		s.errorPage(w, http.StatusOK, errorView{Title: "Nothing was connected",
			What: "You declined on Sentry, so lookout has no access to your Sentry account.",
			Todo: "If that was a mistake, " + lowerFirst(askForLink)})
	})
	if !ok {
		return
	}
	if _, err := s.cfg.Vault.Put(ctx, vault.Grant{Principal: st.Principal, Token: consent.Token, Scopes: consent.Scopes, User: consent.User}); err != nil {
		s.log.ErrorContext(r.Context(), "authserver: storing the Sentry grant of a connect link", "principal", st.Principal, "err", err)
		s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
			What: "lookout could not store your Sentry connection.", Todo: "Try again in a minute: " + lowerFirst(askForLink)})
		return
	}
	resumed, err := conn.OnConnected(ctx, st.Principal)
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: telling the front door about a connection", "principal", st.Principal, "err", err)
	}
	s.log.InfoContext(r.Context(), "authserver: Sentry connected through a connect link", "principal", st.Principal, "sentry_user", consent.User.ID,
		"scopes", strings.Join(consent.Scopes, " "), "requests_to_resume", resumed)

	account := accountName(consent.User)
	v := connectedView{Title: "Connected", What: "Connected to Sentry as " + account + "."}
	switch {
	case err != nil:
		v.Todo = "lookout could not pick up your waiting question, though. Ask it again where you asked it."
	case resumed > 0:
		v.What = "Connected. You can close this tab; the answer is on its way where you asked."
		v.Todo = "lookout is using your Sentry account (" + account + ") for your questions."
	default:
		v.Todo = "You can close this tab and ask your question where you asked for the link."
	}
	var missing []string
	if len(consent.Scopes) > 0 {
		for _, sc := range sd.Scopes {
			if !slices.Contains(consent.Scopes, sc) {
				missing = append(missing, sc)
			}
		}
	}
	if len(missing) > 0 {
		v.Note = "Sentry granted fewer permissions than lookout asked for (missing: " + strings.Join(missing, " ") + "); some questions may still fail."
	}
	s.renderPage(w, http.StatusOK, connectedPage, v)
}

// linkFailed renders the page for a connect link that did not verify.
func (s *Server) linkFailed(w http.ResponseWriter, err error) {
	v := errorView{Title: "This link doesn't work any more", Todo: askForLink}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, oauth.ErrExpired):
		v.What = "Connect links work for 10 minutes, and this one has expired."
	case errors.Is(err, oauth.ErrReplayed):
		v.What = "This connect link was already used. Each link works once."
	case errors.Is(err, oauth.ErrTampered), errors.Is(err, oauth.ErrUnknownState):
		v.Title = "This link is not valid"
		v.What = "lookout could not verify this connect link: it was altered, or it was not made by this lookout."
	default:
		s.log.ErrorContext(responseCtx(w), "authserver: finishing a connect link", "err", err)
		v.Title, v.What, v.Todo = "Something went wrong", "lookout could not check this connect link.", "Try again in a minute: "+lowerFirst(askForLink)
		status = http.StatusInternalServerError
	}
	s.errorPage(w, status, v)
}

// askForLink is the advice after a failed connect link.
const askForLink = "Ask for a new link where you got this one (in Slack, say \u201cconnect sentry\u201d to lookout)."

func accountName(u vault.SentryUser) string {
	switch {
	case u.Email != "":
		return u.Email
	case u.Name != "":
		return u.Name
	}
	return "your Sentry account"
}

// sentryHost is the Sentry host shown on pages.
func (s *Server) sentryHost() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.sentryOrigin, "https://"), "http://")
}
