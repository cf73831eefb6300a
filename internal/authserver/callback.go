package authserver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// handleCallback is GET /api/oauth/callback/sentry, where Sentry sends the
// user back after consent, for MCP sign-ins and connect links alike.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	signed := q.Get("state")
	if signed == "" {
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Sign-in link incomplete",
			What: "Sentry sent you back without the state lookout needs to finish signing in.", Todo: startAgain})
		return
	}
	st, err := s.finishState(r.Context(), signed)
	if err != nil {
		s.stateFailed(w, err)
		return
	}
	var sd stateData
	if err := json.Unmarshal(st.Data, &sd); err != nil || sd.Verifier == "" {
		s.log.ErrorContext(r.Context(), "authserver: undecodable state record", "kind", st.Kind)
		s.stateFailed(w, oauth.ErrTampered)
		return
	}
	switch st.Kind {
	case kindMCPAuthorize:
		s.finishMCP(w, r, signed, sd)
	case kindConnections:
		s.finishConnections(w, r, signed, sd)
	default:
		s.finishConnect(w, r, signed, st, sd)
	}
}

// finishState verifies and consumes a state of any kind this server
// handles. Finish refuses a state of another kind before touching the
// store, so trying the kinds in turn burns nothing.
func (s *Server) finishState(ctx context.Context, signed string) (store.State, error) {
	var err error
	for _, kind := range []string{kindMCPAuthorize, kindConnect, kindConnections} {
		var st store.State
		st, err = s.states.Finish(ctx, signed, kind)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, oauth.ErrTampered) {
			return store.State{}, err
		}
	}
	return store.State{}, err
}

// stateFailed renders the page for a state that did not verify.
func (s *Server) stateFailed(w http.ResponseWriter, err error) {
	v := errorView{Title: "Sign-in could not be completed", Todo: startAgain}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, oauth.ErrExpired):
		v.What = "This sign-in took more than 10 minutes, so it expired."
	case errors.Is(err, oauth.ErrReplayed):
		v.What = "This sign-in link was already used. Each one works once; reloading the page or going back does not resume it."
	case errors.Is(err, oauth.ErrTampered), errors.Is(err, oauth.ErrUnknownState):
		v.What = "lookout could not verify this sign-in: the link was altered, or it was not started by this lookout."
	default:
		s.log.ErrorContext(responseCtx(w), "authserver: finishing state", "err", err)
		v.What, v.Todo, status = "lookout could not check this sign-in.", "Try again in a moment.", http.StatusInternalServerError
	}
	s.errorPage(w, status, v)
}

// finishMCP completes an MCP client's sign-in: checks the browser, trades
// Sentry's code for the user's grant, stores it under a new principal and
// sends the client lookout's own code.
func (s *Server) finishMCP(w http.ResponseWriter, r *http.Request, signed string, sd stateData) {
	ctx := r.Context()
	req := sd.Request
	if req == nil {
		s.stateFailed(w, oauth.ErrTampered)
		return
	}
	if !s.flowBound(r, signed) {
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Sign-in refused",
			What: "This sign-in was not started in this browser. lookout finishes a sign-in only in the browser where you approved the MCP client.",
			Todo: startAgain})
		return
	}
	if _, ok := s.approvalFor(ctx, r, *req); !ok {
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Sign-in refused",
			What: "lookout has no record in this browser that you approved this MCP client, so it will not hand the client access to your Sentry account.",
			Todo: startAgain})
		return
	}
	consent, ok := s.consentFrom(w, r, sd, startAgain, func() {
		// The client is waiting for an answer, at the redirect URI this
		// browser approved: give it one.
		s.redirectError(w, r, *req, "access_denied", "the user denied access on Sentry")
	})
	if !ok {
		return
	}
	principal := principalPrefix + rand.Text()
	if _, err := s.cfg.Vault.Put(ctx, vault.Grant{Principal: principal, Token: consent.Token, Scopes: consent.Scopes, User: consent.User}); err != nil {
		s.log.ErrorContext(r.Context(), "authserver: storing the Sentry grant", "principal", principal, "err", err)
		s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
			What: "lookout could not store your Sentry connection.", Todo: startAgain})
		return
	}
	codeValue, err := s.issueCode(ctx, *req, principal, grantedScope(req.Scope, consent.Scopes))
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: issuing an authorization code", "client_id", req.ClientID, "err", err)
		s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
			What: "lookout could not finish signing you in.", Todo: startAgain})
		return
	}
	s.log.InfoContext(r.Context(), "authserver: MCP client signed in", "client_id", req.ClientID, "principal", principal, "scope", req.Scope)
	redirectWithParams(w, r, req.RedirectURI, url.Values{
		"code": {codeValue}, "state": {req.State}, "iss": {s.cfg.BaseURL},
	}, http.StatusFound)
}

// issueCode stores a new single-use authorization code for req, starting a
// new token family, and returns it.
func (s *Server) issueCode(ctx context.Context, req authRequest, principal, scope string) (string, error) {
	value, hash := newSecret(prefixCode)
	now := s.now()
	err := s.cfg.Store.CreateAuthCode(ctx, store.AuthCode{
		Hash: hash, ClientID: req.ClientID, Principal: principal, RedirectURI: req.RedirectURI,
		CodeChallenge: req.CodeChallenge, Resource: req.Resource, Scope: scope,
		FamilyID: rand.Text(), CreatedAt: now, ExpiresAt: now.Add(codeTTL),
	})
	return value, err
}

// sentryRefused renders Sentry's refusal of the authorization request
// itself (other than the user denying it): a configuration problem.
func (s *Server) sentryRefused(w http.ResponseWriter, code string) {
	code = oauthErrorCode(code)
	s.log.WarnContext(responseCtx(w), "authserver: Sentry refused the authorization request", "error", code)
	s.errorPage(w, http.StatusBadGateway, errorView{Title: "Sentry refused the sign-in",
		What: "Sentry answered with the error \u201c" + code + "\u201d instead of asking you to consent. This is usually a problem with lookout's Sentry OAuth application.",
		Todo: "Tell whoever runs this lookout; they can check the Sentry OAuth application's settings and lookout's log."})
}

// oauthErrorCode keeps an error code from a URL safe to show: RFC 6749
// codes are short and use a small alphabet.
func oauthErrorCode(c string) string {
	if len(c) > 64 || strings.IndexFunc(c, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '_') }) >= 0 {
		return "unrecognised error"
	}
	return c
}

// consentFrom reads Sentry's answer at the callback, for every flow: the
// user declining (denied renders what that flow says), another refusal,
// a missing code, or the code exchanged (with the state's PKCE verifier)
// for the user's consent. todo is the flow's advice on starting again.
// When it returns false it has answered the request.
func (s *Server) consentFrom(w http.ResponseWriter, r *http.Request, sd stateData, todo string, denied func()) (oauth.Consent, bool) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			denied()
		} else {
			s.sentryRefused(w, e)
		}
		return oauth.Consent{}, false
	}
	code := q.Get("code")
	if code == "" {
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Sign-in link incomplete",
			What: "Sentry sent you back without an authorization code.", Todo: todo})
		return oauth.Consent{}, false
	}
	consent, err := s.cfg.Sentry.Exchange(r.Context(), code, sd.Verifier)
	if err != nil {
		s.exchangeFailedThen(w, err, todo)
		return oauth.Consent{}, false
	}
	return consent, true
}

// exchangeFailed renders a failed code exchange with Sentry. When Sentry
// refuses the code (invalid_grant on a code it issued seconds ago: almost
// always a redirect URI mismatch), the page names the exact redirect URL
// the Sentry OAuth application must have (docs/architecture.md, "Guidance").
func (s *Server) exchangeFailed(w http.ResponseWriter, err error) {
	s.exchangeFailedThen(w, err, startAgain)
}

// exchangeFailedThen is exchangeFailed for a flow whose advice on starting
// again is again.
func (s *Server) exchangeFailedThen(w http.ResponseWriter, err error, again string) {
	var te *oauth.TokenError
	if !errors.As(err, &te) {
		s.log.WarnContext(responseCtx(w), "authserver: Sentry token endpoint unreachable", "err", err)
		s.errorPage(w, http.StatusBadGateway, errorView{Title: "Sentry is unavailable",
			What: "lookout could not reach Sentry to finish signing you in.", Todo: "Wait a moment, then " + lowerFirst(again)})
		return
	}
	s.log.WarnContext(responseCtx(w), "authserver: Sentry refused the code exchange", "status", te.Status, "error", te.Code)
	v := errorView{Title: "Sentry did not accept the sign-in", Todo: again}
	switch {
	case te.Code == "invalid_grant" || strings.Contains(strings.ToLower(te.Description), "redirect"):
		v.What = "Sentry refused to exchange the authorization code it had just issued. This usually means the redirect URL of lookout's Sentry OAuth application does not match lookout's exactly."
		v.URLLabel = "The Sentry OAuth application must list exactly this redirect URL:"
		v.URL = s.callbackURL()
		v.Todo = "Whoever runs this lookout: in Sentry, open Settings → Developer Settings → lookout's OAuth application, set the redirect URL above, save, then " + lowerFirst(again)
		v.Link, v.LinkText = template.URL(s.sentryOrigin+"/settings/account/api/applications/"), "Sentry OAuth applications"
	case te.Code == "invalid_client" || te.Code == "unauthorized_client":
		v.What = "Sentry did not accept lookout's OAuth client credentials."
		v.Todo = "Whoever runs this lookout: check SENTRY_CLIENT_ID and SENTRY_CLIENT_SECRET against the Sentry OAuth application, then " + lowerFirst(again)
	default:
		v.What = "Sentry answered with an error while lookout finished signing you in."
		v.Todo = "Wait a moment, then " + lowerFirst(again)
	}
	s.errorPage(w, http.StatusBadGateway, v)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
