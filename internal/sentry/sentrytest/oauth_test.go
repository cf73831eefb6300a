package sentrytest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOAuthCodeFlowWithPKCE(t *testing.T) {
	f := newTestFake(t)
	verifier, challenge := pkcePair("a")
	q := authorize(t, f, "org:read event:read", "state-123", challenge)
	if q.Get("state") != "state-123" || q.Get("code") == "" {
		t.Fatalf("redirect query %v: want code and state", q)
	}
	before := time.Now()
	r, tr := exchange(t, f, q.Get("code"), verifier)
	if r.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	if tr.TokenType != "bearer" || tr.Scope != "org:read event:read" || tr.AccessToken == "" || tr.RefreshToken == "" {
		t.Errorf("token response %+v", tr)
	}
	if tr.User.ID != AliceID || tr.User.Email != "alice@example.com" || tr.User.Name != "Alice Anderson" {
		t.Errorf("user %+v, want alice", tr.User)
	}
	if d := time.Duration(tr.ExpiresIn) * time.Second; d < DefaultAccessTokenTTL-time.Minute || d > DefaultAccessTokenTTL {
		t.Errorf("expires_in %d, want about 30 days", tr.ExpiresIn)
	}
	exp, err := time.Parse(time.RFC3339, tr.ExpiresAt)
	if err != nil || exp.Before(before.Add(DefaultAccessTokenTTL-time.Minute)) {
		t.Errorf("expires_at %q (%v)", tr.ExpiresAt, err)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}

	var me struct{ ID, Email string }
	res := get(t, f.URL+"/api/0/auth/", tr.AccessToken)
	res.json(t, &me)
	if res.status != http.StatusOK || me.ID != AliceID {
		t.Fatalf("/auth/: %d %s", res.status, res.body)
	}
	if got := f.TokenCalls(); got["authorization_code"] != 1 || got["refresh_token"] != 0 {
		t.Errorf("TokenCalls %v", got)
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].UserID != AliceID || reqs[0].TokenFingerprint != Fingerprint(tr.AccessToken) ||
		reqs[0].Path != "/api/0/auth/" || reqs[0].Method != http.MethodGet || reqs[0].Status != http.StatusOK {
		t.Errorf("Requests() = %+v", reqs)
	}
}

func TestOAuthConsentUserAndFormCredentials(t *testing.T) {
	f := newTestFake(t)
	f.SetConsentUser(BobID)
	q := authorize(t, f, "org:read", "s", "") // no PKCE: allowed, as for Sentry's confidential clients
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {callbackURL},
		"client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}
	r := postForm(t, f.URL+"/oauth/token/", form, "", "")
	var tr tokenResponse
	r.json(t, &tr)
	if r.status != http.StatusOK || tr.User.ID != BobID {
		t.Fatalf("exchange as bob: %d %s", r.status, r.body)
	}
}

func TestOAuthPKCERefused(t *testing.T) {
	f := newTestFake(t)
	_, challenge := pkcePair("a")
	for name, verifier := range map[string]string{
		"wrong verifier":   strings.Repeat("b", 64),
		"missing verifier": "",
		"too short":        "abc",
	} {
		t.Run(name, func(t *testing.T) {
			q := authorize(t, f, "org:read", "s", challenge)
			r, tr := exchange(t, f, q.Get("code"), verifier)
			if r.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
				t.Fatalf("got %d %s, want 400 invalid_grant", r.status, r.body)
			}
		})
	}
	t.Run("plain method", func(t *testing.T) {
		q := url.Values{"client_id": {DefaultClientID}, "response_type": {"code"}, "redirect_uri": {callbackURL},
			"state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"plain"}}
		r := get(t, f.URL+"/oauth/authorize/?"+q.Encode(), "")
		loc, _ := url.Parse(r.header.Get("Location"))
		if r.status != http.StatusFound || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("code") != "" {
			t.Fatalf("got %d Location %q, want error=invalid_request", r.status, r.header.Get("Location"))
		}
	})
}

func TestOAuthCodeSingleUseAndBound(t *testing.T) {
	f := newTestFake(t)
	verifier, challenge := pkcePair("c")
	q := authorize(t, f, "org:read", "s", challenge)
	if r, _ := exchange(t, f, q.Get("code"), verifier); r.status != http.StatusOK {
		t.Fatalf("first exchange: %d %s", r.status, r.body)
	}
	if r, tr := exchange(t, f, q.Get("code"), verifier); r.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Fatalf("replayed code: %d %s, want 400 invalid_grant", r.status, r.body)
	}

	q = authorize(t, f, "org:read", "s", challenge)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {callbackURL + "/other"}, "code_verifier": {verifier}}
	r := postForm(t, f.URL+"/oauth/token/", form, DefaultClientID, DefaultClientSecret)
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"invalid_grant"`) {
		t.Fatalf("other redirect_uri: %d %s, want invalid_grant", r.status, r.body)
	}

	q = authorize(t, f, "org:read", "s", challenge)
	form = url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}
	r = postForm(t, f.URL+"/oauth/token/", form, DefaultClientID, "wrong-secret")
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), `"invalid_client"`) ||
		r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("wrong secret: %d %v %s, want 401 invalid_client", r.status, r.header, r.body)
	}

	q = authorize(t, f, "org:read", "s", challenge)
	f.Advance(codeTTL + time.Second)
	if r, tr := exchange(t, f, q.Get("code"), verifier); r.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Fatalf("expired code: %d %s", r.status, r.body)
	}
}

func TestOAuthRefreshRotation(t *testing.T) {
	f := newTestFake(t)
	first := login(t, f, strings.Join(ReadScopes, " "))

	r, second := refresh(t, f, first.RefreshToken)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh did not rotate both tokens")
	}
	if second.Scope != strings.Join(ReadScopes, " ") || second.User.ID != AliceID {
		t.Errorf("refreshed token %+v", second)
	}
	if r, tr := refresh(t, f, first.RefreshToken); r.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Fatalf("old refresh token: %d %s, want 400 invalid_grant", r.status, r.body)
	}
	// Like Sentry's ApiToken.refresh(), the old access token dies too.
	if r := get(t, f.URL+"/api/0/organizations/", first.AccessToken); r.status != http.StatusUnauthorized {
		t.Errorf("old access token: %d, want 401", r.status)
	}
	if r := get(t, f.URL+"/api/0/organizations/", second.AccessToken); r.status != http.StatusOK {
		t.Errorf("new access token: %d %s", r.status, r.body)
	}
	if r, _ := refresh(t, f, second.RefreshToken); r.status != http.StatusOK {
		t.Errorf("new refresh token: %d %s", r.status, r.body)
	}
	if got := f.TokenCalls(); got["authorization_code"] != 1 || got["refresh_token"] != 3 {
		t.Errorf("TokenCalls %v, want 1 code and 3 refreshes", got)
	}
}

func TestOAuthExpiry(t *testing.T) {
	f := NewServer(t, Options{AutoConsent: true, RedirectURIs: []string{callbackURL}, AccessTokenTTL: time.Hour})
	tr := login(t, f, "org:read")
	if tr.ExpiresIn > 3600 || tr.ExpiresIn < 3590 {
		t.Errorf("expires_in %d, want 3600", tr.ExpiresIn)
	}
	f.Advance(2 * time.Hour)
	r := get(t, f.URL+"/api/0/organizations/", tr.AccessToken)
	if r.status != http.StatusUnauthorized || r.detail(t) != DetailTokenExpired {
		t.Fatalf("expired: %d %s", r.status, r.body)
	}
	r, fresh := refresh(t, f, tr.RefreshToken)
	if r.status != http.StatusOK {
		t.Fatalf("refresh after expiry: %d %s", r.status, r.body)
	}
	if r := get(t, f.URL+"/api/0/organizations/", fresh.AccessToken); r.status != http.StatusOK {
		t.Fatalf("refreshed token: %d", r.status)
	}
	f.ExpireTokens()
	if r := get(t, f.URL+"/api/0/organizations/", fresh.AccessToken); r.status != http.StatusUnauthorized {
		t.Fatalf("after ExpireTokens: %d, want 401", r.status)
	}
}

func TestOAuthDeny(t *testing.T) {
	f := newTestFake(t)
	f.Deny(true)
	q := authorize(t, f, "org:read", "state-9", "")
	if q.Get("error") != "access_denied" || q.Get("state") != "state-9" || q.Get("code") != "" || q.Get("error_description") == "" {
		t.Fatalf("deny redirect query %v", q)
	}
	f.Deny(false)
	if q := authorize(t, f, "org:read", "s", ""); q.Get("code") == "" {
		t.Fatalf("after Deny(false): %v", q)
	}
}

func TestOAuthRedirectMismatch(t *testing.T) {
	f := newTestFake(t)
	for _, uri := range []string{"https://evil.example/cb", callbackURL + "/", strings.ToUpper(callbackURL)} {
		q := url.Values{"client_id": {DefaultClientID}, "response_type": {"code"}, "redirect_uri": {uri}, "state": {"s"}}
		r := get(t, f.URL+"/oauth/authorize/?"+q.Encode(), "")
		if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
			t.Fatalf("%s: %d Location %q, want a 400 page", uri, r.status, r.header.Get("Location"))
		}
		if body := string(r.body); !strings.Contains(body, "Invalid redirect_uri") || !strings.Contains(body, "redirect_uri") {
			t.Fatalf("%s: page %s", uri, body)
		}
	}
	q := url.Values{"client_id": {"someone-else"}, "response_type": {"code"}, "redirect_uri": {callbackURL}}
	if r := get(t, f.URL+"/oauth/authorize/?"+q.Encode(), ""); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "client_id") {
		t.Fatalf("unknown client: %d %s", r.status, r.body)
	}
	q = url.Values{"client_id": {DefaultClientID}, "response_type": {"code"}, "redirect_uri": {callbackURL}, "scope": {"org:read bogus:scope"}, "state": {"s"}}
	r := get(t, f.URL+"/oauth/authorize/?"+q.Encode(), "")
	if loc, _ := url.Parse(r.header.Get("Location")); r.status != http.StatusFound || loc.Query().Get("error") != "invalid_scope" {
		t.Fatalf("unknown scope: %d %q", r.status, r.header.Get("Location"))
	}
}

var formTokenRe = regexp.MustCompile(`name="form_token" value="([0-9a-f]+)"`)

func TestOAuthConsentPage(t *testing.T) {
	f := NewServer(t, Options{AppName: `<script>alert("x")</script>`, RedirectURIs: []string{callbackURL}})
	page := func() string {
		q := url.Values{"client_id": {DefaultClientID}, "response_type": {"code"}, "redirect_uri": {callbackURL},
			"scope": {"org:read event:write"}, "state": {"st"}}
		r := get(t, f.URL+"/oauth/authorize/?"+q.Encode(), "")
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("consent page: %d %v", r.status, r.header)
		}
		return string(r.body)
	}
	body := page()
	for _, want := range []string{"This is lookout's demo Sentry, not the real sentry.io", "event:write", "org:read",
		"Alice Anderson", "Bob Brown", `value="approve"`, `value="deny"`, "lookout.example", "&lt;script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(body, `<script>alert`) {
		t.Error("consent page did not escape the app name")
	}

	token := formTokenRe.FindStringSubmatch(body)[1]
	approve := url.Values{"form_token": {token}, "op": {"approve"}, "user": {BobID}}
	r := postForm(t, f.URL+"/oauth/authorize/", approve, "", "")
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st" {
		t.Fatalf("approve: %d %q", r.status, r.header.Get("Location"))
	}
	ex, tr := exchange(t, f, loc.Query().Get("code"), "")
	if ex.status != http.StatusOK || tr.User.ID != BobID || tr.Scope != "org:read event:write" {
		t.Fatalf("exchange after consent: %d %s", ex.status, ex.body)
	}
	if r := postForm(t, f.URL+"/oauth/authorize/", approve, "", ""); r.status != http.StatusBadRequest {
		t.Fatalf("reused form token: %d, want 400", r.status)
	}

	token = formTokenRe.FindStringSubmatch(page())[1]
	r = postForm(t, f.URL+"/oauth/authorize/", url.Values{"form_token": {token}, "op": {"deny"}}, "", "")
	loc, _ = url.Parse(r.header.Get("Location"))
	if r.status != http.StatusFound || loc.Query().Get("error") != "access_denied" {
		t.Fatalf("deny: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestOAuthTokenEndpointErrors(t *testing.T) {
	f := newTestFake(t)
	cases := []struct {
		name   string
		form   url.Values
		basic  bool
		status int
		err    string
	}{
		{"no grant type", url.Values{}, true, 400, "invalid_request"},
		{"unsupported grant", url.Values{"grant_type": {"password"}}, true, 400, "unsupported_grant_type"},
		{"no client", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, false, 401, "invalid_client"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, true, 400, "invalid_grant"},
		{"scope on refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "scope": {"org:read"}}, true, 400, "invalid_request"},
		{"basic and form credentials", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {DefaultClientID}}, true, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user, pass := "", ""
			if tc.basic {
				user, pass = DefaultClientID, DefaultClientSecret
			}
			r := postForm(t, f.URL+"/oauth/token/", tc.form, user, pass)
			var tr tokenResponse
			r.json(t, &tr)
			if r.status != tc.status || tr.Error != tc.err {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.err)
			}
		})
	}
}

// IssuedTokens remembers rotated tokens too: a leak scan must look for
// every token that ever existed.
func TestIssuedTokensIncludesRotated(t *testing.T) {
	f := newTestFake(t)
	first := login(t, f, strings.Join(ReadScopes, " "))
	_, second := refresh(t, f, first.RefreshToken)
	personal := f.IssueToken(BobID, ReadScopes, 0)
	got := f.IssuedTokens()
	for _, want := range []string{first.AccessToken, first.RefreshToken, second.AccessToken, second.RefreshToken, personal} {
		if !slices.Contains(got, want) {
			t.Errorf("IssuedTokens lacks a token (%d listed)", len(got))
		}
	}
}
