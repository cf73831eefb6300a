package slack

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// linkData is what a connect link's state holds.
type linkData struct {
	Scopes []string `json:"scopes,omitempty"`
}

// consentData travels through the Sentry consent to Connected.
type consentData struct {
	Scopes []string `json:"scopes,omitempty"` // asked for
}

// connectLink returns principal's connect link: the pending one when there
// is one (a second request within ten minutes reuses it rather than
// sending a new link each time), else a new one asking for scopes. The
// scopes are settled when the link is opened (see consentScopes), so a
// reused link still asks for what the newest parked question needs.
func (b *Bot) connectLink(ctx context.Context, principal string, scopes []string) (string, error) {
	data, err := json.Marshal(linkData{Scopes: scopes})
	if err != nil {
		return "", err
	}
	// The store hands concurrent callers, in any process, one link.
	signed, err := b.links.BeginOrReuse(ctx, linkKind, principal, data, LinkTTL)
	if err != nil {
		return "", err
	}
	return b.cfg.BaseURL + ConnectPath + "?s=" + url.QueryEscape(signed), nil
}

// A connect link binds whoever consents to the Slack user it was made
// for. So that a link forwarded to someone else (or opened by a page they
// visit) cannot attach their Sentry account to another Slack user, GET only
// shows whom the link is for and asks to confirm; the POST, carrying a
// CSRF token tied to a SameSite=Strict cookie, spends the link and goes to
// Sentry. Link expanders and prefetchers only ever GET, which spends
// nothing.

// connectCookie holds the nonce the confirmation form is bound to.
const connectCookie = "lookout-connect"

// confirmTTL bounds how long a confirmation page may wait for its click.
const confirmTTL = 10 * time.Minute

// confirmToken is the signed CSRF token of the confirmation form.
type confirmToken struct {
	Nonce string `json:"n"`
	Link  string `json:"l"` // sha256 of the link's s parameter
}

// handleConnect is GET /connect/sentry?s=...: the confirmation page.
func (b *Bot) handleConnect(w http.ResponseWriter, r *http.Request) {
	signed := r.URL.Query().Get("s")
	if signed == "" {
		renderPage(w, http.StatusBadRequest, pageView{Title: "Link incomplete",
			What: "This connect link is missing its code.", Todo: askAgain})
		return
	}
	principal, err := b.links.Peek(signed, linkKind)
	team, user, ok := splitPrincipal(principal)
	if err == nil && !ok {
		err = oauth.ErrTampered
	}
	if err != nil {
		b.linkFailed(w, err)
		return
	}
	nonce := rand.Text()
	token, err := b.confirm.Sign(confirmToken{Nonce: nonce, Link: digest(signed)}, confirmTTL)
	if err != nil {
		b.linkFailed(w, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: connectCookie, Value: nonce, Path: ConnectPath, MaxAge: int(confirmTTL / time.Second),
		HttpOnly: true, Secure: strings.HasPrefix(b.cfg.BaseURL, "https://"), SameSite: http.SameSiteStrictMode})
	renderConfirm(w, confirmView{
		Who: b.slackName(r.Context(), user), User: user, Team: team,
		Action: b.cfg.BaseURL + ConnectPath, Link: signed, CSRF: token,
	}, b.cfg.SentryURL)
}

// handleConnectConfirmed is POST /connect/sentry: the user confirmed. It
// spends the link and sends the browser to Sentry's consent (PKCE and
// state handled by the authorization server).
func (b *Bot) handleConnectConfirmed(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		renderPage(w, http.StatusBadRequest, pageView{Title: "Request refused", What: "The form could not be read.", Todo: askAgain})
		return
	}
	signed := r.PostForm.Get("s")
	var ct confirmToken
	cookie, cerr := r.Cookie(connectCookie)
	if err := b.confirm.Verify(r.PostForm.Get("csrf"), &ct); err != nil || cerr != nil ||
		subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(ct.Nonce)) != 1 || ct.Link != digest(signed) {
		renderPage(w, http.StatusForbidden, pageView{Title: "Confirmation refused",
			What: "This confirmation did not come from the page lookout showed in this browser.",
			Todo: "Open the connect link again and press the button on that page. " + askAgain})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: connectCookie, Path: ConnectPath, MaxAge: -1})
	st, err := b.links.Finish(r.Context(), signed, linkKind)
	if err == nil {
		if _, _, ok := splitPrincipal(st.Principal); !ok {
			err = oauth.ErrTampered
		}
	}
	if err != nil {
		b.linkFailed(w, err)
		return
	}
	scopes := b.consentScopes(r.Context(), st)
	data, _ := json.Marshal(consentData{Scopes: scopes})
	to, err := b.cfg.BeginConsent(r.Context(), ConnectKind, st.Principal, data, scopes)
	if err != nil {
		b.log.Error("slack: starting the Sentry consent", "principal", st.Principal, "err", err)
		renderPage(w, http.StatusInternalServerError, pageView{Title: "Something went wrong",
			What: "lookout could not start connecting your Sentry account.", Todo: "Try again in a minute: " + lowerFirst(askAgain)})
		return
	}
	b.log.Info("slack: connect link confirmed; sending the user to Sentry", "principal", st.Principal, "scopes", strings.Join(scopes, " "))
	securityHeaders(w)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// splitPrincipal reads "slack:{team}:{user}".
func splitPrincipal(p string) (team, user string, ok bool) {
	rest, ok := strings.CutPrefix(p, PrincipalPrefix)
	if !ok {
		return "", "", false
	}
	team, user, ok = strings.Cut(rest, ":")
	return team, user, ok && team != "" && user != ""
}

// slackName is the user's name as Slack shows it (users.info), or "" when
// Slack does not say.
func (b *Bot) slackName(ctx context.Context, user string) string {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	u, err := b.api.GetUserInfoContext(ctx, user)
	if err != nil || u == nil {
		b.log.Info("slack: users.info failed; the connect page shows the user id only", "err", err)
		return ""
	}
	return cmp.Or(u.Profile.DisplayName, u.RealName, u.Name)
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// consentScopes is what to ask Sentry for when st's link is opened: the
// base scopes, those the link asked for, and every scope a question of the
// principal waits for.
func (b *Bot) consentScopes(ctx context.Context, st store.State) []string {
	scopes := slices.Clone(BaseScopes)
	var ld linkData
	if json.Unmarshal(st.Data, &ld) == nil {
		for _, s := range ld.Scopes {
			scopes = addScope(scopes, s)
		}
	}
	parked, err := b.cfg.Store.ListParkedRequests(ctx, st.Principal, b.now())
	if err != nil {
		b.log.Warn("slack: listing parked questions", "principal", st.Principal, "err", err)
	}
	for _, p := range parked {
		var pt parkedTurn
		if json.Unmarshal(p.Data, &pt) == nil && pt.Scope != "" {
			scopes = addScope(scopes, pt.Scope)
		}
	}
	return scopes
}

// linkFailed renders the page for a link that did not verify.
func (b *Bot) linkFailed(w http.ResponseWriter, err error) {
	v := pageView{Title: "This link doesn't work any more", Todo: askAgain}
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
		b.log.Error("slack: finishing a connect link", "err", err)
		v.Title, v.What, v.Todo = "Something went wrong", "lookout could not check this connect link.", "Try again in a minute: "+lowerFirst(askAgain)
		status = http.StatusInternalServerError
	}
	renderPage(w, status, v)
}

// askAgain is the advice after a failed link.
const askAgain = "Ask again in Slack (or say `connect sentry` to the bot) to get a new link."

// Connected finishes a consent begun at /connect/sentry: the authorization
// server calls it after verifying the state and exchanging Sentry's code.
// It stores the grant under the link's principal, marks the principal's
// parked questions ready and wakes the resumer.
func (b *Bot) Connected(w http.ResponseWriter, r *http.Request, st store.State, c oauth.Consent) {
	ctx := r.Context()
	if st.Kind != ConnectKind || !strings.HasPrefix(st.Principal, PrincipalPrefix) {
		b.log.Error("slack: consent for a state that is not a Slack connect flow", "kind", st.Kind)
		renderPage(w, http.StatusBadRequest, pageView{Title: "Sign-in refused",
			What: "This sign-in was not started from a Slack connect link.", Todo: askAgain})
		return
	}
	if _, err := b.cfg.Vault.Put(ctx, vault.Grant{Principal: st.Principal, Token: c.Token, Scopes: c.Scopes, User: c.User}); err != nil {
		b.log.Error("slack: storing the Sentry grant", "principal", st.Principal, "err", err)
		renderPage(w, http.StatusInternalServerError, pageView{Title: "Something went wrong",
			What: "lookout could not store your Sentry connection.", Todo: "Try again in a minute: " + lowerFirst(askAgain)})
		return
	}
	n, err := b.cfg.Store.MarkParkedReady(ctx, st.Principal, b.now())
	if err != nil {
		b.log.Error("slack: marking parked questions ready", "principal", st.Principal, "err", err)
	}
	b.nudge()
	b.log.Info("slack: user connected Sentry", "principal", st.Principal, "sentry_user", c.User.ID,
		"scopes", strings.Join(c.Scopes, " "), "questions_to_resume", n)

	v := pageView{Title: "Connected", What: "Connected to Sentry as " + accountName(c.User) + "."}
	switch {
	case err != nil:
		v.Todo = "lookout could not pick up your waiting question, though. Ask it again in Slack."
	case n > 0:
		v.What = "Connected. You can close this tab; the answer is in Slack."
		v.Todo = "lookout is using your Sentry account (" + accountName(c.User) + ") for your questions."
	default:
		v.Todo = "You can close this tab and ask your question in Slack."
	}
	var cd consentData
	if json.Unmarshal(st.Data, &cd) == nil {
		var missing []string
		for _, s := range cd.Scopes {
			if !slices.Contains(c.Scopes, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			v.Note = "Sentry granted fewer permissions than lookout asked for (missing: " + strings.Join(missing, " ") + "); some questions may still fail."
		}
	}
	renderPage(w, http.StatusOK, v)
}

func accountName(u vault.SentryUser) string {
	switch {
	case u.Email != "":
		return u.Email
	case u.Name != "":
		return u.Name
	}
	return "your Sentry account"
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
