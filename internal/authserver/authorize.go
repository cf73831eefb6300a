package authserver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/store"
)

// authRequest is a validated authorization request, in canonical form.
type authRequest struct {
	ClientID      string `json:"client_id"`
	RedirectURI   string `json:"redirect_uri"`
	State         string `json:"state,omitempty"`
	CodeChallenge string `json:"code_challenge"`
	Scope         string `json:"scope"`    // "read" or "read triage"
	Resource      string `json:"resource"` // canonical resource URL
}

// hash identifies the request, for the CSRF token bound to it.
func (a authRequest) hash() string {
	b, _ := json.Marshal(a)
	return hashString(string(b))
}

// authParams are the parameters of an authorization request; the approval
// form posts them back unchanged.
var authParams = []string{"response_type", "client_id", "redirect_uri", "state",
	"code_challenge", "code_challenge_method", "scope", "resource"}

const (
	maxStateLen      = 2048
	maxAuthFormBytes = 64 << 10
)

// authorizeError is a refused authorization request: shown as a page when
// the client or redirect URI cannot be trusted, else sent to the client.
type authorizeError struct {
	page errorView // Title set: render this page (400)
	code string    // RFC 6749 §4.1.2.1 error
	desc string
}

func (e *authorizeError) Error() string {
	if e.page.Title != "" {
		return e.page.Title
	}
	return e.code + ": " + e.desc
}

// parseAuthorize validates an authorization request (RFC 6749 §4.1.1 with
// OAuth 2.1 and MCP rules).
func (s *Server) parseAuthorize(ctx context.Context, q url.Values) (authRequest, *client, *authorizeError) {
	var req authRequest
	pageErr := func(title, what string) (authRequest, *client, *authorizeError) {
		return req, nil, &authorizeError{page: errorView{Title: title, What: what, Todo: startAgain}}
	}
	for _, p := range []string{"client_id", "redirect_uri"} {
		if len(q[p]) > 1 {
			return pageErr("Invalid sign-in request", "The request names more than one "+p+".")
		}
	}
	req.ClientID = q.Get("client_id")
	if req.ClientID == "" {
		return pageErr("Invalid sign-in request", "The request does not say which MCP client is asking (client_id is missing).")
	}
	c, err := s.lookupClient(ctx, req.ClientID)
	switch {
	case errors.Is(err, errUnknownClient):
		return pageErr("Unknown MCP client",
			"lookout does not know this MCP client. Registrations unused for a while expire, and the client may have registered with another lookout.")
	case isDocumentError(err):
		return pageErr("MCP client not usable", "lookout could not use this client's metadata document: "+err.Error()+".")
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: client lookup failed", "err", err)
		return req, nil, &authorizeError{page: errorView{Title: "Something went wrong",
			What: "lookout could not look up this MCP client.", Todo: "Try again in a moment."}}
	}
	req.RedirectURI = q.Get("redirect_uri")
	if req.RedirectURI == "" {
		return pageErr("Invalid sign-in request", "The request has no redirect_uri, so lookout cannot send you back to the client.")
	}
	if !matchRedirectURI(c.RedirectURIs, req.RedirectURI) {
		return pageErr("Redirect address not registered",
			"The address this request wants to send you back to is not one this MCP client registered, so lookout will not go there.")
	}

	// From here on the redirect URI is trusted: errors go back to the client.
	fail := func(code, desc string) (authRequest, *client, *authorizeError) {
		return req, c, &authorizeError{code: code, desc: desc}
	}
	req.State = q.Get("state")
	if len(req.State) > maxStateLen {
		req.State = ""
		return fail("invalid_request", "state is too long")
	}
	for _, p := range authParams {
		if len(q[p]) > 1 {
			return fail("invalid_request", p+" appears more than once")
		}
	}
	if q.Get("response_type") != "code" {
		return fail("unsupported_response_type", "response_type must be code")
	}
	if !c.allows(grantAuthorizationCode) {
		return fail("unauthorized_client", "this client is not registered for the authorization_code grant")
	}
	req.CodeChallenge = q.Get("code_challenge")
	switch method := q.Get("code_challenge_method"); {
	case req.CodeChallenge == "":
		return fail("invalid_request", "code_challenge is required (PKCE with S256)")
	case method != "S256":
		return fail("invalid_request", "code_challenge_method must be S256 (plain is not supported)")
	case !validChallenge(req.CodeChallenge):
		return fail("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")
	}
	scope, err := parseScope(q.Get("scope"))
	if err != nil {
		return fail("invalid_scope", err.Error())
	}
	req.Scope = scope
	req.Resource = s.defaultResource()
	if raw := q.Get("resource"); raw != "" {
		res, ok := s.canonicalResource(raw)
		if !ok {
			return fail("invalid_target", errNotMCPResource.Error())
		}
		req.Resource = res
	}
	return req, c, nil
}

// validChallenge: an S256 challenge is 43 base64url characters.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for i := 0; i < len(c); i++ {
		switch ch := c[i]; {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9', ch == '-', ch == '_':
		default:
			return false
		}
	}
	return true
}

// refuse answers a refused authorization request. An error for a client
// whose redirect URI this browser has approved goes back to the client
// (RFC 6749 §4.1.2.1). Any other is lookout's page, with a link to the
// client: registration is open, so a redirect URI that merely matches a
// registration may be anyone's, and redirecting there at once would make
// lookout an open redirector (RFC 9700 §4.11.2).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, req authRequest, e *authorizeError) {
	if e.page.Title != "" {
		s.errorPage(w, http.StatusBadRequest, e.page)
		return
	}
	if s.approvedRedirect(r.Context(), r, req.ClientID, req.RedirectURI) {
		s.redirectError(w, r, req, e.code, e.desc)
		return
	}
	back, err := withParams(req.RedirectURI, s.errorParams(req, e.code, e.desc))
	if err != nil { // cannot happen for a registered URI
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Invalid sign-in request", What: e.desc, Todo: startAgain})
		return
	}
	target, _, _ := describeRedirect(req.RedirectURI)
	s.errorPage(w, http.StatusBadRequest, errorView{
		Title:    "Sign-in request refused",
		What:     "lookout refused this sign-in request from an MCP client: " + e.desc + ".",
		URLLabel: "The client asked lookout to send you back to",
		URL:      target,
		Todo: "lookout does not send you on to an address you have not approved. If you started this sign-in, " +
			"follow the link below to tell the client what went wrong; if not, close this page.",
		Link: template.URL(back), LinkText: "Go back to " + target,
	})
}

// errorParams are the parameters of an error sent to the client (with
// iss, RFC 9207).
func (s *Server) errorParams(req authRequest, code, desc string) url.Values {
	return url.Values{"error": {code}, "error_description": {desc}, "state": {req.State}, "iss": {s.cfg.BaseURL}}
}

// redirectError sends an error to the client's redirect URI (with iss, RFC 9207).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req authRequest, code, desc string) {
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	redirectWithParams(w, r, req.RedirectURI, s.errorParams(req, code, desc), status)
}

// handleAuthorize is /oauth/authorize: GET starts a sign-in, POST is the
// approval form's answer.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.authorizeGet(w, r)
	case http.MethodPost:
		s.authorizePost(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Server) authorizeGet(w http.ResponseWriter, r *http.Request) {
	req, c, aerr := s.parseAuthorize(r.Context(), r.URL.Query())
	if aerr != nil {
		s.refuse(w, r, req, aerr)
		return
	}
	if _, ok := s.approvalFor(r.Context(), r, req); ok {
		s.touchClient(r.Context(), c)
		s.redirectToSentry(w, r, req)
		return
	}
	s.renderApproval(w, r, req, c)
}

func (s *Server) authorizePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAuthFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Invalid form", What: "lookout could not read the approval form.", Todo: startAgain})
		return
	}
	// The CSRF token is the defence; this only turns away a cross-site
	// post early. Browsers send "Origin: null" here because the approval
	// page has Referrer-Policy: no-referrer.
	if origin := r.Header.Get("Origin"); origin != "" && origin != "null" && !strings.EqualFold(origin, s.cfg.BaseURL) {
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Approval refused",
			What: "This approval was submitted from another website.", Todo: startAgain})
		return
	}
	q := url.Values{}
	for _, p := range authParams {
		if vs, ok := r.PostForm[p]; ok {
			q[p] = vs
		}
	}
	req, c, aerr := s.parseAuthorize(r.Context(), q)
	if aerr != nil {
		s.refuse(w, r, req, aerr)
		return
	}
	if err := s.checkCSRF(r, r.PostForm.Get("csrf_token"), req.hash()); err != nil {
		s.errorPage(w, http.StatusForbidden, errorView{Title: "Approval refused",
			What: "This approval did not come from the page lookout showed you in this browser, or the page was open for more than an hour.",
			Todo: startAgain})
		return
	}
	switch r.PostForm.Get("decision") {
	case "deny":
		s.redirectError(w, r, req, "access_denied", "the user denied the request")
	case "approve":
		now := s.now()
		a := store.Approval{ID: rand.Text(), ClientID: c.ID, Scope: req.Scope, Resource: req.Resource,
			RedirectURI: approvalRedirect(req.RedirectURI), CreatedAt: now, ExpiresAt: now.Add(approvalTTL)}
		if err := s.cfg.Store.CreateApproval(r.Context(), a); err != nil {
			s.log.ErrorContext(r.Context(), "authserver: store approval", "client_id", c.ID, "err", err)
			s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
				What: "lookout could not record your approval.", Todo: "Try again in a moment."})
			return
		}
		if err := s.addApproval(w, r, a.ID); err != nil {
			s.log.ErrorContext(r.Context(), "authserver: approval cookie", "err", err)
		}
		s.touchClient(r.Context(), c)
		s.audit(r.Context(), "", ActionClientApproved, fmt.Sprintf("client %s %q approved for scope %q on %s, returning to %s",
			c.ID, c.Name, req.Scope, req.Resource, strings.Join(redirectHosts([]string{req.RedirectURI}), "")))
		s.redirectToSentry(w, r, req)
	default:
		s.errorPage(w, http.StatusBadRequest, errorView{Title: "Invalid form", What: "Choose Approve or Deny.", Todo: startAgain})
	}
}

// stateData is what a state record holds: the Sentry PKCE verifier, and
// the MCP client's authorization request or the Sentry scopes a connect
// flow asked for.
type stateData struct {
	Verifier string       `json:"v"`
	Request  *authRequest `json:"r,omitempty"`
	Scopes   []string     `json:"s,omitempty"`
}

// redirectToSentry begins the Sentry consent for an approved request.
func (s *Server) redirectToSentry(w http.ResponseWriter, r *http.Request, req authRequest) {
	verifier := oauth.NewVerifier()
	data, _ := json.Marshal(stateData{Verifier: verifier, Request: &req})
	state, err := s.states.Begin(r.Context(), kindMCPAuthorize, "", data, 0)
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: begin state", "err", err)
		s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
			What: "lookout could not start the Sentry sign-in.", Todo: "Try again in a moment."})
		return
	}
	if err := s.bindFlow(w, r, state); err != nil {
		s.log.ErrorContext(r.Context(), "authserver: flow cookie", "err", err)
	}
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	noStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.cfg.Sentry.AuthCodeURL(state, verifier, s.SentryScopes(req.Scope)), status)
}
