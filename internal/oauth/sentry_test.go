package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/vault"
)

const (
	testClientID     = "lookout-client-id"
	testClientSecret = "CLIENT-SECRET-0123456789abcdef"
	testRedirect     = "https://lookout.example/api/oauth/callback/sentry"
	testCode         = "AUTH-CODE-abcdef0123"
	testVerifier     = "VERIFIER-0123456789abcdefghijklmnopqrstuvwxyz-._~"
	testAccess       = "ACCESS-TOKEN-old-111"
	testRefresh      = "REFRESH-TOKEN-old-222"
	newAccess        = "ACCESS-TOKEN-new-333"
	newRefresh       = "REFRESH-TOKEN-new-444"
	bodyMarker       = "BODY-MARKER-must-not-leak"
)

// everySecret is what no error string may contain.
var everySecret = []string{testClientSecret, testCode, testVerifier, testAccess, testRefresh, newAccess, newRefresh, bodyMarker}

func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range everySecret {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}

// tokenEndpoint imitates Sentry's /oauth/token/: it records each request's
// form and answers with respond.
type tokenEndpoint struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	forms   []url.Values
	respond func(w http.ResponseWriter, form url.Values)
}

func newTokenEndpoint(t *testing.T, respond func(w http.ResponseWriter, form url.Values)) *tokenEndpoint {
	te := &tokenEndpoint{t: t, respond: respond}
	// TLS: a Sentry that ignored SentryConfig.HTTPClient would fail the
	// certificate check instead of passing by accident.
	te.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth/token/" {
			t.Errorf("token request: %s %s, want POST /oauth/token/", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("client credentials sent in the Authorization header, want the body")
		}
		if r.URL.RawQuery != "" {
			t.Errorf("token request has a query string %q; everything belongs in the body", r.URL.RawQuery)
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		te.mu.Lock()
		te.forms = append(te.forms, r.PostForm)
		te.mu.Unlock()
		te.respond(w, r.PostForm)
	}))
	t.Cleanup(te.srv.Close)
	return te
}

func (te *tokenEndpoint) sentry() *Sentry {
	return NewSentry(SentryConfig{
		URL: te.srv.URL + "/", ClientID: testClientID, ClientSecret: secret.New(testClientSecret),
		RedirectURL: testRedirect, HTTPClient: te.srv.Client(),
	})
}

func (te *tokenEndpoint) requests() []url.Values {
	te.mu.Lock()
	defer te.mu.Unlock()
	return te.forms
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sentryTokenResponse(access, refresh string) map[string]any {
	return map[string]any{
		"access_token":  access,
		"refresh_token": refresh,
		"expires_in":    2591999,
		"expires_at":    "2031-01-01T00:00:00.000000Z",
		"token_type":    "bearer",
		"scope":         "org:read project:read  team:read event:read",
		"user":          map[string]any{"id": "42", "name": "Ada", "email": "ada@example.com"},
	}
}

func assertForm(t *testing.T, form url.Values, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := form[k]; len(got) != 1 || got[0] != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	for k := range form {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected form field %s", k)
		}
	}
}

func TestExchange(t *testing.T) {
	te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, sentryTokenResponse(newAccess, newRefresh))
	})
	before := time.Now()
	c, err := te.sentry().Exchange(context.Background(), testCode, testVerifier)
	if err != nil {
		t.Fatal(err)
	}
	reqs := te.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	assertForm(t, reqs[0], map[string]string{
		"grant_type": "authorization_code", "code": testCode, "redirect_uri": testRedirect,
		"client_id": testClientID, "client_secret": testClientSecret, "code_verifier": testVerifier,
	})
	if access, refresh := tokenValues(c.Token); access != newAccess || refresh != newRefresh {
		t.Errorf("token not taken from the response")
	}
	assertExpiry(t, c.Token.Expiry(), before, 2591999*time.Second)
	wantScopes := []string{"org:read", "project:read", "team:read", "event:read"}
	if strings.Join(c.Scopes, ",") != strings.Join(wantScopes, ",") {
		t.Errorf("scopes %q, want %q", c.Scopes, wantScopes)
	}
	if c.User != (vault.SentryUser{ID: "42", Name: "Ada", Email: "ada@example.com"}) {
		t.Errorf("user %+v", c.User)
	}
}

func assertExpiry(t *testing.T, got, before time.Time, in time.Duration) {
	t.Helper()
	lo, hi := before.Add(in), time.Now().Add(in)
	if got.Before(lo.Add(-time.Second)) || got.After(hi.Add(time.Second)) {
		t.Errorf("expiry %v, want between %v and %v (expires_in)", got, lo, hi)
	}
}

func TestExchangeUserAndExpiryVariants(t *testing.T) {
	te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{
			"access_token": newAccess, "refresh_token": newRefresh, "token_type": "bearer",
			"expires_at": "2031-01-01T00:00:00.000000Z", // no expires_in
			"user":       map[string]any{"id": 1234567, "email": "ada@example.com"},
		})
	})
	c, err := te.sentry().Exchange(context.Background(), testCode, testVerifier)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC); !c.Token.Expiry().Equal(want) {
		t.Errorf("expiry %v, want expires_at %v", c.Token.Expiry(), want)
	}
	if c.User.ID != "1234567" || c.User.Email != "ada@example.com" {
		t.Errorf("user %+v", c.User)
	}
	if len(c.Scopes) != 0 {
		t.Errorf("scopes %q from a response without scope", c.Scopes)
	}
}

func TestExchangeErrorStripsBody(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		ctype     string
		body      string
		wantCode  string
		wantStale bool
	}{
		{"invalid_grant json", 400, "application/json",
			`{"error":"invalid_grant","error_description":"invalid redirect URI","debug":"` + bodyMarker + `"}`,
			"invalid_grant", true},
		{"description echoes input", 400, "application/json",
			`{"error":"invalid_grant","error_description":"bad code ` + testCode + ` secret ` + testClientSecret + ` verifier ` + testVerifier + `"}`,
			"invalid_grant", true},
		{"html 500", 500, "text/html", "<html>" + bodyMarker + "</html>", "", false},
		{"plain 502", 502, "text/plain", bodyMarker, "", false},
		{"error with 200", 200, "application/json", `{"error":"invalid_grant","x":"` + bodyMarker + `"}`, "invalid_grant", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := te.sentry().Exchange(context.Background(), testCode, testVerifier)
			if err == nil {
				t.Fatal("no error")
			}
			assertNoSecrets(t, err)
			var tokErr *TokenError
			if !errors.As(err, &tokErr) {
				t.Fatalf("%v is not a *TokenError", err)
			}
			if tokErr.Status != tt.status || tokErr.Code != tt.wantCode {
				t.Errorf("TokenError %+v, want status %d code %q", tokErr, tt.status, tt.wantCode)
			}
			if got := errors.Is(err, vault.ErrStale); got != tt.wantStale {
				t.Errorf("errors.Is(ErrStale) = %v, want %v", got, tt.wantStale)
			}
			if tt.wantCode != "" && !strings.Contains(err.Error(), tt.wantCode) {
				t.Errorf("error %q does not name %s", err, tt.wantCode)
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, sentryTokenResponse(newAccess, newRefresh))
	})
	var refresh vault.Refresher = te.sentry().Refresh // usable as a Refresher
	before := time.Now()
	// Not expired: a refresh after a 401 must still reach Sentry.
	tok, err := refresh(context.Background(), secret.New(testRefresh))
	if err != nil {
		t.Fatal(err)
	}
	reqs := te.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want exactly 1", len(reqs))
	}
	assertForm(t, reqs[0], map[string]string{
		"grant_type": "refresh_token", "refresh_token": testRefresh,
		"client_id": testClientID, "client_secret": testClientSecret,
	})
	if access, refresh := tokenValues(tok); access != newAccess || refresh != newRefresh {
		t.Errorf("rotated token not returned")
	}
	assertExpiry(t, tok.Expiry(), before, 2591999*time.Second)
}

func TestRefreshErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantStale bool
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"invalid refresh token"}`, true},
		{"401 no code", 401, `{"detail":"` + bodyMarker + `"}`, true},
		{"400 no code", 400, `not json ` + bodyMarker, true},
		{"invalid_grant as 401", 401, `{"error":"invalid_grant"}`, true},
		// Lookout's own misconfiguration: every grant would go stale.
		{"invalid_client", 401, `{"error":"invalid_client","error_description":"invalid client_id or client_secret"}`, false},
		{"unauthorized_client", 400, `{"error":"unauthorized_client"}`, false},
		{"503", 503, `{"detail":"` + bodyMarker + `"}`, false},
		{"500", 500, `<html>` + bodyMarker + `</html>`, false},
		{"429", 429, `{"detail":"slow down"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := te.sentry().Refresh(context.Background(), secret.New(testRefresh))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, vault.ErrStale); got != tt.wantStale {
				t.Errorf("errors.Is(%v, ErrStale) = %v, want %v", err, got, tt.wantStale)
			}
			// One request even on failure: a retry (e.g. x/oauth2's
			// auth-style probing) would spend a rotated refresh token.
			if n := len(te.requests()); n != 1 {
				t.Errorf("%d token requests, want exactly 1", n)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestRefreshNetworkError(t *testing.T) {
	te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {})
	s := te.sentry()
	te.srv.Close()
	_, err := s.Refresh(context.Background(), secret.New(testRefresh))
	if err == nil || errors.Is(err, vault.ErrStale) {
		t.Fatalf("err = %v, want a non-stale error", err)
	}
	assertNoSecrets(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Refresh(ctx, secret.New(testRefresh))
	if !errors.Is(err, context.Canceled) || errors.Is(err, vault.ErrStale) {
		t.Fatalf("err = %v, want context.Canceled, not stale", err)
	}
}

func TestRefreshWithoutRefreshToken(t *testing.T) {
	te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, sentryTokenResponse(newAccess, newRefresh))
	})
	_, err := te.sentry().Refresh(context.Background(), secret.Value{})
	if !errors.Is(err, vault.ErrStale) {
		t.Fatalf("err = %v, want ErrStale", err)
	}
	if n := len(te.requests()); n != 0 {
		t.Errorf("%d token requests without a refresh token", n)
	}
	assertNoSecrets(t, err)
}

func TestRefreshKeepsRefreshTokenWhenNotRotated(t *testing.T) {
	te := newTokenEndpoint(t, func(w http.ResponseWriter, _ url.Values) {
		writeJSON(w, 200, map[string]any{"access_token": newAccess, "token_type": "bearer", "expires_in": 60})
	})
	tok, err := te.sentry().Refresh(context.Background(), secret.New(testRefresh))
	if err != nil {
		t.Fatal(err)
	}
	if access, refresh := tokenValues(tok); access != newAccess || refresh != testRefresh {
		t.Errorf("got access %q refresh %q", access, refresh)
	}
}

func TestAuthCodeURL(t *testing.T) {
	s := NewSentry(SentryConfig{URL: "https://sentry.example", ClientID: testClientID, ClientSecret: secret.New(testClientSecret), RedirectURL: testRedirect})
	verifier := NewVerifier()
	raw := s.AuthCodeURL("STATE.value", verifier, []string{"org:read", "event:read"})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "sentry.example" || u.Path != "/oauth/authorize/" {
		t.Errorf("authorize endpoint %s://%s%s", u.Scheme, u.Host, u.Path)
	}
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": testClientID, "redirect_uri": testRedirect,
		"scope": "org:read event:read", "state": "STATE.value",
		"code_challenge_method": "S256", "code_challenge": challengeOf(verifier),
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if !VerifyS256(verifier, q.Get("code_challenge")) {
		t.Error("code_challenge is not S256 of the verifier")
	}
	for _, leak := range []string{verifier, testClientSecret} {
		if strings.Contains(raw, leak) || strings.Contains(raw, url.QueryEscape(leak)) {
			t.Errorf("authorize URL %s contains a secret", raw)
		}
	}
	if q.Has("code_verifier") || q.Has("client_secret") {
		t.Errorf("authorize URL carries %v", q)
	}
}

func TestTokenURLHasTrailingSlash(t *testing.T) {
	for _, base := range []string{"https://sentry.example", "https://sentry.example/"} {
		s := NewSentry(SentryConfig{URL: base})
		if got := s.cfg.Endpoint.TokenURL; got != "https://sentry.example/oauth/token/" {
			t.Errorf("token URL %q", got)
		}
	}
}

// tokenValues reads a vault.Token's values for assertions. Outside the
// vault a Token is opaque by design, so the test reads its unexported
// fields by reflection.
func tokenValues(tok vault.Token) (access, refresh string) {
	rv := reflect.ValueOf(tok)
	return rv.FieldByName("access").Field(0).String(), rv.FieldByName("refresh").Field(0).String()
}
