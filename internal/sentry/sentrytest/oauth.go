package sentrytest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// codeTTL is how long an authorization code can be exchanged (Sentry: 10
// minutes). Consent forms live as long.
const codeTTL = 10 * time.Minute

// authCode is an issued authorization code, bound to the client, the
// redirect URI and (with PKCE) the code challenge.
type authCode struct {
	clientID, redirectURI, userID string
	scopes                        []string
	challenge                     string // S256 code challenge, "" without PKCE
	expiresAt                     time.Time
}

// authRequest is a validated /oauth/authorize/ request.
type authRequest struct {
	clientID, redirectURI, state string
	scopes                       []string
	challenge                    string
}

// pendingConsent is an authorize request waiting on the consent page.
type pendingConsent struct {
	authRequest
	expiresAt time.Time
}

// SetRedirectURIs replaces the OAuth application's allowed redirect URIs
// (exact match), for tests that learn their callback URL late.
func (f *Fake) SetRedirectURIs(uris ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redirectURIs = slices.Clone(uris)
}

// SetConsentUser chooses who approves with AutoConsent, and who is
// preselected on the consent page (default alice).
func (f *Fake) SetConsentUser(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consentUser = userID
}

// Deny makes AutoConsent deny every authorization (redirect with
// error=access_denied) until Deny(false).
func (f *Fake) Deny(deny bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = deny
}

// TokenCalls counts POST /oauth/token/ requests by grant_type (failed ones
// included), e.g. {"authorization_code": 1, "refresh_token": 1}.
func (f *Fake) TokenCalls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.tokenCalls)
}

// redirectWith sends the browser back to the client with params appended to
// the redirect URI's query, as Sentry does.
func redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		writeOAuthErrorPage(w, http.StatusBadRequest, "Invalid redirect_uri", "Missing or invalid redirect_uri parameter.")
		return
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" || k == "state" {
				q.Add(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// validateAuthorize checks an authorize request the way Sentry does:
// problems with the client or redirect URI are shown as an error page
// (never redirected); the rest go back to the client as error=....
// It returns ok=false when it has answered.
func (f *Fake) validateAuthorize(w http.ResponseWriter, r *http.Request) (authRequest, bool) {
	q := r.URL.Query()
	ar := authRequest{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), state: q.Get("state")}
	if ar.clientID == "" || ar.clientID != f.opts.ClientID {
		writeOAuthErrorPage(w, http.StatusBadRequest, "Invalid client_id", "Missing or invalid client_id parameter.")
		return ar, false
	}
	if ar.redirectURI == "" && len(f.redirectURIs) == 1 {
		ar.redirectURI = f.redirectURIs[0]
	}
	if ar.redirectURI == "" || !slices.Contains(f.redirectURIs, ar.redirectURI) {
		writeOAuthErrorPage(w, http.StatusBadRequest, "Invalid redirect_uri", "Missing or invalid redirect_uri parameter.")
		return ar, false
	}
	fail := func(code, desc string) (authRequest, bool) {
		redirectWith(w, r, ar.redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {ar.state}})
		return ar, false
	}
	if q.Get("response_type") != "code" {
		return fail("unsupported_response_type", "response_type must be code")
	}
	for _, s := range strings.Fields(q.Get("scope")) {
		if _, ok := scopeDescriptions[s]; !ok {
			return fail("invalid_scope", "unknown scope "+s)
		}
		if !slices.Contains(ar.scopes, s) {
			ar.scopes = append(ar.scopes, s)
		}
	}
	ar.challenge = q.Get("code_challenge")
	method := q.Get("code_challenge_method")
	switch {
	case ar.challenge == "" && method != "":
		return fail("invalid_request", "code_challenge_method without code_challenge")
	case ar.challenge != "" && method != "S256":
		return fail("invalid_request", "code_challenge_method must be S256")
	case ar.challenge != "" && (len(ar.challenge) != 43 || strings.ContainsAny(ar.challenge, "+/=")):
		return fail("invalid_request", "code_challenge must be the base64url SHA-256 of the verifier")
	}
	return ar, true
}

// handleAuthorize is GET /oauth/authorize/.
func (f *Fake) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ar, ok := f.validateAuthorize(w, r)
	if !ok {
		return
	}
	if f.opts.AutoConsent {
		if f.deny {
			redirectWith(w, r, ar.redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"The user denied the request."}, "state": {ar.state}})
			return
		}
		code := f.issueCode(ar, f.consentUser)
		redirectWith(w, r, ar.redirectURI, url.Values{"code": {code}, "state": {ar.state}})
		return
	}
	now := f.now()
	for k, pc := range f.consents { // forget abandoned consent pages
		if !now.Before(pc.expiresAt) {
			delete(f.consents, k)
		}
	}
	formToken := randomHex(16)
	f.consents[formToken] = &pendingConsent{authRequest: ar, expiresAt: now.Add(codeTTL)}
	f.renderConsentPage(w, ar, formToken)
}

// handleAuthorizeDecision is the consent page's POST back.
func (f *Fake) handleAuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		writeOAuthErrorPage(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	formToken := r.PostForm.Get("form_token")
	pc := f.consents[formToken]
	delete(f.consents, formToken)
	if pc == nil || !f.now().Before(pc.expiresAt) {
		writeOAuthErrorPage(w, http.StatusBadRequest, "Authorization expired",
			"We were unable to complete your request. Please re-initiate the authorization flow.")
		return
	}
	switch r.PostForm.Get("op") {
	case "approve":
		uid := r.PostForm.Get("user")
		if f.w.user(uid) == nil {
			writeOAuthErrorPage(w, http.StatusBadRequest, "Unknown user", "Pick one of the demo users.")
			return
		}
		code := f.issueCode(pc.authRequest, uid)
		redirectWith(w, r, pc.redirectURI, url.Values{"code": {code}, "state": {pc.state}})
	case "deny":
		redirectWith(w, r, pc.redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"The user denied the request."}, "state": {pc.state}})
	default:
		writeOAuthErrorPage(w, http.StatusBadRequest, "Bad request", "Choose Approve or Deny.")
	}
}

// issueCode records a new authorization code; callers hold f.mu.
func (f *Fake) issueCode(ar authRequest, userID string) string {
	now := f.now()
	for k, c := range f.codes { // forget codes nobody redeemed
		if !now.Before(c.expiresAt) {
			delete(f.codes, k)
		}
	}
	code := randomHex(32)
	f.codes[code] = &authCode{
		clientID: ar.clientID, redirectURI: ar.redirectURI, userID: userID,
		scopes: slices.Clone(ar.scopes), challenge: ar.challenge, expiresAt: now.Add(codeTTL),
	}
	return code
}

// tokenError answers like Sentry's token endpoint: {"error": name}.
func tokenError(w http.ResponseWriter, status int, name string) {
	if name == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
	}
	noStore(w)
	writeJSON(w, status, obj{"error": name})
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")
}

// clientCredentials reads client_id/client_secret from HTTP Basic or the
// form (not both, as in Sentry).
func clientCredentials(r *http.Request) (id, secret string, ok bool) {
	bid, bsecret, basic := r.BasicAuth()
	fid, fsecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if basic {
		if fid != "" || fsecret != "" {
			return "", "", false
		}
		return bid, bsecret, true
	}
	return fid, fsecret, true
}

// handleToken is POST /oauth/token/.
func (f *Fake) handleToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	grant := r.PostForm.Get("grant_type")
	f.tokenCalls[grant]++
	if grant == "" {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if grant != "authorization_code" && grant != "refresh_token" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	id, secret, ok := clientCredentials(r)
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if id == "" || id != f.opts.ClientID ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(f.opts.ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var t *token
	if grant == "authorization_code" {
		t = f.exchangeCode(w, r, id)
	} else {
		t = f.refreshToken(w, r, id)
	}
	if t == nil {
		return
	}
	u := f.w.user(t.userID)
	noStore(w)
	writeJSON(w, http.StatusOK, obj{
		"access_token":  t.access,
		"refresh_token": t.refresh,
		"expires_in":    int(t.expiresAt.Sub(f.now()).Seconds()),
		"expires_at":    isoTime(t.expiresAt),
		"token_type":    "bearer",
		"scope":         strings.Join(t.scopes, " "),
		"user":          obj{"id": u.ID, "name": u.Name, "email": u.Email},
	})
}

// exchangeCode redeems an authorization code. The code is spent by the
// first attempt, whether or not it succeeds.
func (f *Fake) exchangeCode(w http.ResponseWriter, r *http.Request, clientID string) *token {
	v := r.PostForm.Get("code")
	c := f.codes[v]
	if c == nil || c.clientID != clientID {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return nil
	}
	delete(f.codes, v)
	if !f.now().Before(c.expiresAt) || r.PostForm.Get("redirect_uri") != c.redirectURI {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return nil
	}
	if c.challenge != "" && !pkceMatches(r.PostForm.Get("code_verifier"), c.challenge) {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return nil
	}
	t := &token{
		access: randomHex(32), refresh: randomHex(32), userID: c.userID, clientID: clientID,
		scopes: c.scopes, expiresAt: f.now().Add(f.opts.AccessTokenTTL),
	}
	f.tokens[t.access], f.refresh[t.refresh] = t, t
	f.issued = append(f.issued, t.access, t.refresh)
	return t
}

// refreshToken rotates a token like Sentry's ApiToken.refresh(): new access
// and refresh values replace the old ones, which stop working at once.
func (f *Fake) refreshToken(w http.ResponseWriter, r *http.Request, clientID string) *token {
	v := r.PostForm.Get("refresh_token")
	if v == "" || r.PostForm.Get("scope") != "" {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return nil
	}
	t := f.refresh[v]
	if t == nil || t.clientID != clientID {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return nil
	}
	delete(f.refresh, t.refresh)
	delete(f.tokens, t.access)
	t.access, t.refresh = randomHex(32), randomHex(32)
	t.expiresAt = f.now().Add(f.opts.AccessTokenTTL)
	f.tokens[t.access], f.refresh[t.refresh] = t, t
	f.issued = append(f.issued, t.access, t.refresh)
	return t
}

// pkceMatches checks an RFC 7636 S256 verifier against its challenge.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, c := range verifier {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
