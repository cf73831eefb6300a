package sentrytest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const callbackURL = "https://lookout.example/api/oauth/callback/sentry"

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func pkcePair(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 64)[:64]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) detail(t *testing.T) string {
	t.Helper()
	var d struct{ Detail string }
	r.json(t, &d)
	return d.Detail
}

// newRequest builds an API request with an optional bearer token and JSON body.
func newRequest(method, u, token string, body io.Reader) *http.Request {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		panic(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// tryDo sends a request without following redirects; safe off the test
// goroutine.
func tryDo(req *http.Request) (resp, error) {
	res, err := noRedirects.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}, err
}

func do(t *testing.T, method, u, token string, body io.Reader) resp {
	t.Helper()
	r, err := tryDo(newRequest(method, u, token, body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t *testing.T, u, token string) resp { t.Helper(); return do(t, http.MethodGet, u, token, nil) }

func formRequest(u string, form url.Values, basicUser, basicPass string) *http.Request {
	req := newRequest(http.MethodPost, u, "", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	return req
}

func postForm(t *testing.T, u string, form url.Values, basicUser, basicPass string) resp {
	t.Helper()
	r, err := tryDo(formRequest(u, form, basicUser, basicPass))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	ExpiresAt    string `json:"expires_at"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	User         struct {
		ID, Name, Email string
	} `json:"user"`
	Error string `json:"error"`
}

// authorize starts the OAuth flow and returns the redirect's query.
func authorize(t *testing.T, f *Fake, scope, state, challenge string) url.Values {
	t.Helper()
	q := url.Values{"client_id": {DefaultClientID}, "response_type": {"code"}, "scope": {scope},
		"state": {state}, "redirect_uri": {callbackURL}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	r := get(t, f.URL+"/oauth/authorize/?"+q.Encode(), "")
	if r.status != http.StatusFound {
		t.Fatalf("authorize: status %d: %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callbackURL {
		t.Fatalf("redirected to %s, want %s", got, callbackURL)
	}
	return loc.Query()
}

func exchange(t *testing.T, f *Fake, code, verifier string) (resp, tokenResponse) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURL}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	r := postForm(t, f.URL+"/oauth/token/", form, DefaultClientID, DefaultClientSecret)
	var tr tokenResponse
	r.json(t, &tr)
	return r, tr
}

func refresh(t *testing.T, f *Fake, refreshToken string) (resp, tokenResponse) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}
	r := postForm(t, f.URL+"/oauth/token/", form, "", "")
	var tr tokenResponse
	r.json(t, &tr)
	return r, tr
}

// login runs the whole code flow with PKCE as the consent user.
func login(t *testing.T, f *Fake, scope string) tokenResponse {
	t.Helper()
	verifier, challenge := pkcePair("v")
	q := authorize(t, f, scope, "st", challenge)
	r, tr := exchange(t, f, q.Get("code"), verifier)
	if r.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	return tr
}

func newTestFake(t *testing.T) *Fake {
	return NewServer(t, Options{AutoConsent: true, RedirectURIs: []string{callbackURL}})
}

var linkRe = regexp.MustCompile(`<([^>]+)>; rel="(previous|next)"; results="(true|false)"; cursor="([^"]+)"`)

type link struct{ url, results, cursor string }

// parseLink reads Sentry's Link header into rel -> link.
func parseLink(t *testing.T, h string) map[string]link {
	t.Helper()
	out := map[string]link{}
	for _, m := range linkRe.FindAllStringSubmatch(h, -1) {
		out[m[2]] = link{m[1], m[3], m[4]}
	}
	if len(out) != 2 {
		t.Fatalf("Link header %q: want previous and next", h)
	}
	return out
}
