package authserver

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/lookout-hq/lookout/internal/store"
)

// codeFor runs a sign-in and returns lookout's code and its PKCE verifier.
func codeFor(t *testing.T, c *mcpClient, params map[string]string) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	back := c.signIn(t, c.e.browser(), challenge, params)
	return back.Query().Get("code"), verifier
}

func TestCodeRedemptionRefusals(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	other := e.client(t, "https://other.example.com/cb")
	tests := []struct {
		name   string
		client *mcpClient
		edit   func(f url.Values)
		status int
		code   string
	}{
		{"missing verifier", c, func(f url.Values) { f.Del("code_verifier") }, 400, "invalid_request"},
		{"wrong verifier", c, func(f url.Values) { f.Set("code_verifier", strings.Repeat("a", 43)) }, 400, "invalid_grant"},
		{"verifier as challenge (plain)", c, func(f url.Values) { f.Set("code_verifier", f.Get("challenge")) }, 400, "invalid_grant"},
		{"malformed verifier", c, func(f url.Values) { f.Set("code_verifier", "short") }, 400, "invalid_grant"},
		{"missing redirect_uri", c, func(f url.Values) { f.Del("redirect_uri") }, 400, "invalid_request"},
		{"other redirect_uri", c, func(f url.Values) { f.Set("redirect_uri", "https://client.example.com/cb/") }, 400, "invalid_grant"},
		{"wrong resource", c, func(f url.Values) { f.Set("resource", e.base+"/mcp/other") }, 400, "invalid_target"},
		{"foreign resource", c, func(f url.Values) { f.Set("resource", "https://evil.example.com/mcp") }, 400, "invalid_target"},
		{"code of another client", other, func(f url.Values) { f.Set("redirect_uri", c.redirectURI) }, 400, "invalid_grant"},
		{"unknown code", c, func(f url.Values) { f.Set("code", "lkc_nope") }, 400, "invalid_grant"},
		{"missing code", c, func(f url.Values) { f.Del("code") }, 400, "invalid_request"},
		{"unknown client", c, func(f url.Values) { f.Set("client_id", "mcpc_NOSUCH") }, 401, "invalid_client"},
		{"no client", c, func(f url.Values) { f.Set("client_id", "") }, 401, "invalid_client"},
		{"public client sends a secret", c, func(f url.Values) { f.Set("client_secret", "x") }, 401, "invalid_client"},
		{"grant type missing", c, func(f url.Values) { f.Del("grant_type") }, 400, "invalid_request"},
		{"grant type unsupported", c, func(f url.Values) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifier, challenge := pkce()
			back := c.signIn(t, e.browser(), challenge, map[string]string{"resource": e.base + "/mcp/acme"})
			f := url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
				"code_verifier": {verifier}, "redirect_uri": {c.redirectURI}, "resource": {e.base + "/mcp/acme"},
				"client_id": {tt.client.id}, "challenge": {challenge}}
			tt.edit(f)
			f.Del("challenge")
			wantOAuthError(t, tt.client.token(t, f), tt.status, tt.code)
		})
	}
}

func TestTokenEndpointRequestShape(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	post := func(body, contentType string) response {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		return do(t, http.DefaultClient, req)
	}
	wantOAuthError(t, post(`{"grant_type":"authorization_code"}`, "application/json"), 400, "invalid_request")
	wantOAuthError(t, post("grant_type=authorization_code&grant_type=refresh_token&client_id="+c.id, "application/x-www-form-urlencoded"), 400, "invalid_request")
	wantOAuthError(t, post("client_id="+c.id+"&code="+strings.Repeat("a", 20<<10), "application/x-www-form-urlencoded"), 400, "invalid_request")
	resp := do(t, http.DefaultClient, must(http.NewRequest(http.MethodGet, e.base+"/oauth/token", nil)))
	if resp.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /oauth/token: %d", resp.status)
	}
}

func must(req *http.Request, err error) *http.Request {
	if err != nil {
		panic(err)
	}
	return req
}

// A code used twice revokes everything issued from it (RFC 6749 §4.1.2).
func TestCodeReplayRevokesFamily(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) { testCodeReplay(t, newEnv(t, envOptions{store: newStore})) })
	}
}

func testCodeReplay(t *testing.T, e *env) {
	c := e.client(t, "https://client.example.com/cb")
	code, verifier := codeFor(t, c, nil)
	first := c.redeem(t, code, verifier)
	if first.status != http.StatusOK {
		t.Fatalf("first redemption: %d %s", first.status, first.body)
	}
	tm := first.json(t)
	access := tm["access_token"].(string)
	info, err := e.as.VerifyAccessToken(t.Context(), access, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantOAuthError(t, c.redeem(t, code, verifier), 400, "invalid_grant")
	if err := e.verify(t, access); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("access token after code replay: %v", err)
	}
	wantOAuthError(t, c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}}), 400, "invalid_grant")
	if _, err := e.vault.Status(t.Context(), info.UserID); err == nil {
		t.Error("the Sentry grant survived the code replay")
	}
	wantAudit(t, e, ActionCodeReplayed)
}

// Attack (issue #8, finding 6): whoever saw a code (in a log, a Referer, a
// shared screen) presents it from another client, with a wrong verifier or
// redirect URI, before and after its owner redeems it. Nothing is spent or
// revoked: the owner's redemption and its tokens survive.
func TestCodeCheckedBeforeSpent(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{store: newStore})
			owner := e.client(t, "https://client.example.com/cb")
			stranger := e.client(t, "https://stranger.example.com/cb")
			code, verifier := codeFor(t, owner, nil)
			wrongVerifier, _ := pkce()
			attempts := func() {
				t.Helper()
				// From another client, even naming the owner's redirect URI.
				wantOAuthError(t, stranger.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"code_verifier": {verifier}, "redirect_uri": {owner.redirectURI}}), 400, "invalid_grant")
				// As the (public) owner, without its verifier.
				wantOAuthError(t, owner.redeem(t, code, wrongVerifier), 400, "invalid_grant")
				// As the owner, with another redirect URI.
				wantOAuthError(t, owner.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"code_verifier": {verifier}, "redirect_uri": {stranger.redirectURI}}), 400, "invalid_grant")
			}
			attempts()
			first := owner.redeem(t, code, verifier)
			if first.status != http.StatusOK {
				t.Fatalf("the owner's redemption after the stranger's attempts: %d %s", first.status, first.body)
			}
			access := first.json(t)["access_token"].(string)
			attempts()
			info, err := e.as.VerifyAccessToken(t.Context(), access, nil)
			if err != nil {
				t.Fatalf("the owner's access token after a stranger presented its code again: %v", err)
			}
			if _, err := e.vault.Status(t.Context(), info.UserID); err != nil {
				t.Fatalf("the owner's Sentry grant after a stranger presented its code again: %v", err)
			}
			events, _ := e.store.ListAudit(t.Context(), "", 0)
			for _, ev := range events {
				if ev.Action == ActionCodeReplayed {
					t.Errorf("a stranger's presentation was recorded as the owner's replay: %s", ev.Detail)
				}
			}
		})
	}
}

// Refresh token reuse revokes the family, on every backend.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{store: newStore})
			c := e.client(t, "https://client.example.com/cb")
			tm := c.tokens(t, e.browser(), nil)
			old := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}}
			r1 := c.token(t, old)
			if r1.status != http.StatusOK {
				t.Fatalf("%d %s", r1.status, r1.body)
			}
			e.clock.Advance(refreshReuseGrace + time.Second) // no longer a parallel refresh
			wantOAuthError(t, c.token(t, old), 400, "invalid_grant")
			if err := e.verify(t, r1.json(t)["access_token"].(string)); !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("rotated access token after reuse: %v", err)
			}
			wantAudit(t, e, ActionRefreshReused)
		})
	}
}

// A client running calls in parallel refreshes once per call when its
// access token expires, all with the same refresh token. Within the grace
// period each presentation gets the same pair; the family survives.
//
// Attack (issue #8, finding 2): a thief who raced the owner within the
// grace period used to get a pair of its own, a live branch of the family
// that reuse detection never saw (20 parallel presentations gave 20 live
// refresh tokens). Now all 20 get the one successor pair.
func TestParallelRefreshWithinGrace(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{store: newStore})
			c := e.client(t, "https://client.example.com/cb")
			tm := c.tokens(t, e.browser(), nil)
			old := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}}
			const n = 20
			resps := make([]response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { resps[i] = c.token(t, old) })
			}
			wg.Wait()
			access, refresh := map[string]bool{}, map[string]bool{}
			for i, r := range resps {
				if r.status != http.StatusOK {
					t.Fatalf("presentation %d within the grace period: %d %s", i, r.status, r.body)
				}
				m := r.json(t)
				access[m["access_token"].(string)] = true
				refresh[m["refresh_token"].(string)] = true
				if m["expires_in"] != float64(3600) || m["scope"] != "read" {
					t.Errorf("presentation %d: %v", i, m)
				}
			}
			if len(refresh) != 1 || len(access) != 1 {
				t.Fatalf("%d parallel presentations got %d refresh tokens and %d access tokens, want one pair", n, len(refresh), len(access))
			}
			var next string
			for r := range refresh {
				next = r
			}
			for a := range access {
				if err := e.verify(t, a); err != nil {
					t.Errorf("the successor access token: %v", err)
				}
			}
			// Later, within the grace period still, the same pair again.
			e.clock.Advance(refreshReuseGrace / 2)
			again := c.token(t, old)
			if again.status != http.StatusOK || again.json(t)["refresh_token"] != next {
				t.Fatalf("presented again later in the grace period: %d %s", again.status, again.body)
			}
			// The successor rotates as usual, once.
			r2 := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}})
			if r2.status != http.StatusOK {
				t.Fatalf("the successor refresh token: %d %s", r2.status, r2.body)
			}
			newest := r2.json(t)["access_token"].(string)
			// The first token again, its successor now spent: refused, and
			// the family lives on (nothing was stolen).
			wantOAuthError(t, c.token(t, old), 400, "invalid_grant")
			if err := e.verify(t, newest); err != nil {
				t.Fatalf("newest access token after a late parallel refresh: %v", err)
			}
			// Past the grace period the first token's reuse is theft again.
			e.clock.Advance(refreshReuseGrace)
			wantOAuthError(t, c.token(t, old), 400, "invalid_grant")
			if err := e.verify(t, newest); !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("newest access token after reuse past the grace period: %v", err)
			}
			wantAudit(t, e, ActionRefreshReused)
		})
	}
}

// A presentation within the grace period that narrows the scope gets its
// own access token with that scope, and the one successor refresh token.
func TestParallelRefreshNarrowingScope(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	tm := c.tokens(t, e.browser(), map[string]string{"scope": "read triage"})
	old := tm["refresh_token"].(string)
	r1 := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}})
	r2 := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}, "scope": {"read"}})
	if r1.status != http.StatusOK || r2.status != http.StatusOK {
		t.Fatalf("%d %s / %d %s", r1.status, r1.body, r2.status, r2.body)
	}
	m1, m2 := r1.json(t), r2.json(t)
	if m1["refresh_token"] != m2["refresh_token"] || m1["scope"] != "read triage" || m2["scope"] != "read" ||
		m1["access_token"] == m2["access_token"] {
		t.Fatalf("first %v, narrowed %v", m1, m2)
	}
}

func TestCodeExpires(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	code, verifier := codeFor(t, c, nil)
	e.clock.Advance(61 * time.Second) // codes live 60 s
	wantOAuthError(t, c.redeem(t, code, verifier), 400, "invalid_grant")
}

func TestRefresh(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	other := e.client(t, "https://other.example.com/cb")
	refresh := func(cl *mcpClient, token string, extra map[string]string) response {
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}
		for k, v := range extra {
			f.Set(k, v)
		}
		return cl.token(t, f)
	}

	t.Run("reuse revokes the family", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		old := tm["refresh_token"].(string)
		r1 := refresh(c, old, nil)
		if r1.status != http.StatusOK {
			t.Fatalf("%d %s", r1.status, r1.body)
		}
		m1 := r1.json(t)
		e.clock.Advance(refreshReuseGrace + time.Second)
		wantOAuthError(t, refresh(c, old, nil), 400, "invalid_grant")
		for _, tok := range []string{tm["access_token"].(string), m1["access_token"].(string)} {
			if err := e.verify(t, tok); err == nil {
				t.Error("an access token of the family still works after refresh reuse")
			}
		}
		wantOAuthError(t, refresh(c, m1["refresh_token"].(string), nil), 400, "invalid_grant")
		wantAudit(t, e, ActionRefreshReused)
	})
	t.Run("scope narrows, never widens", func(t *testing.T) {
		b := e.browser()
		tm := c.tokens(t, b, map[string]string{"scope": "read triage"})
		if tm["scope"] != "read triage" {
			t.Fatalf("scope %v", tm["scope"])
		}
		r1 := refresh(c, tm["refresh_token"].(string), map[string]string{"scope": "read"})
		m1 := r1.json(t)
		if m1["scope"] != "read" {
			t.Fatalf("narrowed: %v", m1)
		}
		// The new refresh token keeps the original scope (RFC 6749 §6).
		m2 := refresh(c, m1["refresh_token"].(string), nil).json(t)
		if m2["scope"] != "read triage" {
			t.Fatalf("after narrowing once: %v", m2)
		}
		tm = c.tokens(t, e.browser(), nil)
		wantOAuthError(t, refresh(c, tm["refresh_token"].(string), map[string]string{"scope": "read triage"}), 400, "invalid_scope")
		wantOAuthError(t, refresh(c, tm["refresh_token"].(string), map[string]string{"scope": "admin"}), 400, "invalid_scope")
		// Refused requests do not spend the refresh token.
		if r := refresh(c, tm["refresh_token"].(string), nil); r.status != http.StatusOK {
			t.Fatalf("refresh after refused ones: %d %s", r.status, r.body)
		}
	})
	t.Run("resource must match", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), map[string]string{"resource": e.base + "/mcp/acme"})
		wantOAuthError(t, refresh(c, tm["refresh_token"].(string), map[string]string{"resource": e.base + "/mcp/other"}), 400, "invalid_target")
		r := refresh(c, tm["refresh_token"].(string), map[string]string{"resource": e.base + "/mcp/acme"})
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		info, err := e.as.VerifyAccessToken(t.Context(), r.json(t)["access_token"].(string), nil)
		if err != nil || info.Extra["resource"] != e.base+"/mcp/acme" {
			t.Fatalf("%+v %v", info, err)
		}
	})
	t.Run("client must match", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		wantOAuthError(t, refresh(other, tm["refresh_token"].(string), nil), 400, "invalid_grant")
	})
	t.Run("access token is not a refresh token", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		wantOAuthError(t, refresh(c, tm["access_token"].(string), nil), 400, "invalid_grant")
	})
	t.Run("refresh token expires", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		e.clock.Advance(DefaultRefreshTokenTTL - time.Hour)
		c.tokens(t, e.browser(), nil) // another sign-in keeps the registration alive
		e.clock.Advance(time.Hour + time.Second)
		wantOAuthError(t, refresh(c, tm["refresh_token"].(string), nil), 400, "invalid_grant")
	})
}

// A client registered without refresh_token gets no refresh token.
func TestNoRefreshWithoutGrantType(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.registerClient(t, map[string]any{"redirect_uris": []string{"https://client.example.com/cb"}, "token_endpoint_auth_method": "none"})
	tm := c.tokens(t, e.browser(), nil)
	if _, ok := tm["refresh_token"]; ok {
		t.Fatal("refresh token issued to a client not registered for the grant")
	}
}

func TestAccessTokens(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")

	t.Run("bound to its resource", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), map[string]string{"resource": e.base + "/mcp/a"})
		info, err := e.as.VerifyAccessToken(t.Context(), tm["access_token"].(string), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.as.CheckResource(info, e.base+"/mcp/a"); err != nil {
			t.Errorf("own resource: %v", err)
		}
		for _, res := range []string{e.base + "/mcp/b", e.base + "/mcp", e.base + "/mcp/a/web", "https://evil.example.com/mcp/a"} {
			if err := e.as.CheckResource(info, res); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("token for /mcp/a accepted for %s: %v", res, err)
			}
		}
	})
	t.Run("expires", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		access := tm["access_token"].(string)
		e.clock.Advance(DefaultAccessTokenTTL - time.Second)
		if err := e.verify(t, access); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		e.clock.Advance(2 * time.Second)
		if err := e.verify(t, access); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("after expiry: %v", err)
		}
	})
	t.Run("stop working when the grant is deleted", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		info, _ := e.as.VerifyAccessToken(t.Context(), tm["access_token"].(string), nil)
		if err := e.vault.Delete(t.Context(), info.UserID, "admin"); err != nil {
			t.Fatal(err)
		}
		if err := e.verify(t, tm["access_token"].(string)); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("after grant deletion: %v", err)
		}
		wantOAuthError(t, c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}}), 400, "invalid_grant")
	})
	t.Run("refresh refused when the grant is stale", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		info, _ := e.as.VerifyAccessToken(t.Context(), tm["access_token"].(string), nil)
		if err := e.vault.MarkStale(t.Context(), info.UserID, "test"); err != nil {
			t.Fatal(err)
		}
		wantOAuthError(t, c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}}), 400, "invalid_grant")
	})
	t.Run("a refresh token record is not an access token", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		info, _ := e.as.VerifyAccessToken(t.Context(), tm["access_token"].(string), nil)
		value, hash := newSecret(prefixAccessToken)
		now := e.clock.Now()
		if err := e.store.CreateToken(t.Context(), store.Token{Hash: hash, Kind: store.RefreshToken, ClientID: c.id,
			Principal: info.UserID, FamilyID: "f", Resource: e.base + "/mcp", Scope: "read", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := e.verify(t, value); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("refresh record accepted as access token: %v", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		for _, tok := range []string{"", "lka_", "lka_nope", "sntryu_abc", "lkr_whatever"} {
			if err := e.verify(t, tok); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("%q: %v", tok, err)
			}
		}
	})
}

func TestConfidentialClient(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.registerClient(t, map[string]any{
		"client_name": "Server App", "redirect_uris": []string{"https://app.example.com/cb"},
		"grant_types": []string{"authorization_code", "refresh_token"},
	})
	if !strings.HasPrefix(c.secret, prefixClientSecret) {
		t.Fatalf("no secret issued by default (client_secret_basic): %q", c.secret)
	}
	row, err := e.store.GetClient(t.Context(), c.id, e.clock.Now())
	if err != nil || len(row.SecretHash) != 32 || strings.Contains(string(row.Metadata), c.secret) {
		t.Fatalf("stored client: %v", err)
	}
	t.Run("basic", func(t *testing.T) {
		c.tokens(t, e.browser(), nil)
	})
	t.Run("post", func(t *testing.T) {
		code, verifier := codeFor(t, c, nil)
		resp := c.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {c.redirectURI}, "client_id": {c.id}, "client_secret": {c.secret}})
		if resp.status != http.StatusOK {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		code, verifier := codeFor(t, c, nil)
		bad := *c
		bad.secret = c.secret + "x"
		resp := bad.redeem(t, code, verifier)
		wantOAuthError(t, resp, 401, "invalid_client")
		if !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Basic") {
			t.Error("no Basic challenge after a failed Basic authentication")
		}
		// The code was not spent by the failed authentication.
		if r := c.redeem(t, code, verifier); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("no secret", func(t *testing.T) {
		code, verifier := codeFor(t, c, nil)
		resp := c.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {c.redirectURI}, "client_id": {c.id}, "client_secret": {""}})
		wantOAuthError(t, resp, 401, "invalid_client")
	})
	t.Run("both methods", func(t *testing.T) {
		code, verifier := codeFor(t, c, nil)
		req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader(url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {c.redirectURI}, "client_secret": {c.secret}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(c.id, c.secret)
		wantOAuthError(t, do(t, http.DefaultClient, req), 400, "invalid_request")
	})
}

func TestRevocation(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	other := e.client(t, "https://other.example.com/cb")
	revoke := func(cl *mcpClient, token string) response {
		return cl.postForm(t, "/oauth/revoke", url.Values{"token": {token}})
	}
	t.Run("access token", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		if r := revoke(c, tm["access_token"].(string)); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if err := e.verify(t, tm["access_token"].(string)); err == nil {
			t.Fatal("revoked access token still works")
		}
		// The refresh token (and the grant) are untouched.
		r := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}})
		if r.status != http.StatusOK {
			t.Fatalf("refresh after revoking an access token: %d %s", r.status, r.body)
		}
		wantAudit(t, e, ActionTokenRevoked)
	})
	t.Run("unknown token", func(t *testing.T) {
		if r := revoke(c, "lka_unknown"); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("another client's token is left alone", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		if r := revoke(other, tm["access_token"].(string)); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if err := e.verify(t, tm["access_token"].(string)); err != nil {
			t.Fatalf("another client revoked the token: %v", err)
		}
	})
	t.Run("client authentication required", func(t *testing.T) {
		tm := c.tokens(t, e.browser(), nil)
		wantOAuthError(t, c.postForm(t, "/oauth/revoke", url.Values{"token": {tm["access_token"].(string)}, "client_id": {"mcpc_NOSUCH"}}), 401, "invalid_client")
		wantOAuthError(t, c.postForm(t, "/oauth/revoke", url.Values{}), 400, "invalid_request")
	})
}
