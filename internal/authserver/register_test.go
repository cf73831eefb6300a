package authserver

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRegisterAccepts(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name     string
		metadata map[string]any
		method   string // expected token_endpoint_auth_method
		secret   bool
	}{
		{"loopback ip any port", map[string]any{"redirect_uris": []string{"http://127.0.0.1:33418/callback"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"localhost", map[string]any{"redirect_uris": []string{"http://localhost:6274/oauth/callback"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"ipv6 loopback", map[string]any{"redirect_uris": []string{"http://[::1]:8080/cb"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"https", map[string]any{"redirect_uris": []string{"https://claude.ai/api/mcp/auth_callback"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"https with query", map[string]any{"redirect_uris": []string{"https://vscode.dev/redirect?x=1"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"private-use scheme (RFC 8252)", map[string]any{"redirect_uris": []string{"com.example.app:/oauth2redirect"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"cursor", map[string]any{"redirect_uris": []string{"cursor://anysphere.cursor-mcp/oauth/callback"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"reverse domain with digits and hyphens", map[string]any{"redirect_uris": []string{"io.my-app2.desktop:/cb"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"highest port", map[string]any{"redirect_uris": []string{"http://127.0.0.1:65535/cb"}, "token_endpoint_auth_method": "none"}, "none", false},
		{"default is client_secret_basic", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}}, "client_secret_basic", true},
		{"client_secret_post", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}, "token_endpoint_auth_method": "client_secret_post"}, "client_secret_post", true},
		{"unknown fields ignored", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}, "token_endpoint_auth_method": "none",
			"software_id": "x", "scope": "openid profile", "logo_uri": "https://app.example.com/logo.png"}, "none", false},
		{"name at the limit", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}, "token_endpoint_auth_method": "none",
			"client_name": strings.Repeat("é", 100)}, "none", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.register(t, tt.metadata)
			if resp.status != http.StatusCreated {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
			if resp.header.Get("Cache-Control") != "no-store" {
				t.Error("registration response may be cached")
			}
			m := resp.json(t)
			id, _ := m["client_id"].(string)
			secret, hasSecret := m["client_secret"].(string)
			if !strings.HasPrefix(id, prefixClientID) || m["token_endpoint_auth_method"] != tt.method || hasSecret != tt.secret {
				t.Fatalf("response %v", m)
			}
			if tt.secret && (!strings.HasPrefix(secret, prefixClientSecret) || m["client_secret_expires_at"] != float64(0)) {
				t.Fatalf("secret fields %v", m)
			}
			if m["client_id_issued_at"] != float64(e.clock.Now().Unix()) {
				t.Errorf("client_id_issued_at %v", m["client_id_issued_at"])
			}
			if _, ok := m["scope"]; ok {
				t.Error("scope echoed: lookout ignores it")
			}
		})
	}
	wantAudit(t, e, ActionClientRegistered)
}

func TestRegisterRefuses(t *testing.T) {
	e := newEnv(t, envOptions{})
	uri := func(u string) map[string]any {
		return map[string]any{"redirect_uris": []string{u}, "token_endpoint_auth_method": "none"}
	}
	tests := []struct {
		name     string
		metadata any
		code     string
	}{
		{"no redirect_uris", map[string]any{"token_endpoint_auth_method": "none"}, "invalid_redirect_uri"},
		{"too many redirect_uris", map[string]any{"redirect_uris": strings.Split(strings.Repeat("https://a.example.com/cb,", 6), ",")[:6], "token_endpoint_auth_method": "none"}, "invalid_redirect_uri"},
		{"http non-loopback", uri("http://client.example.com/cb"), "invalid_redirect_uri"},
		{"http loopback look-alike", uri("http://127.0.0.1.evil.com/cb"), "invalid_redirect_uri"},
		{"http other loopback address", uri("http://127.0.0.2/cb"), "invalid_redirect_uri"},
		{"userinfo", uri("https://client.example.com@evil.com/cb"), "invalid_redirect_uri"},
		{"userinfo on loopback", uri("http://evil.com@127.0.0.1/cb"), "invalid_redirect_uri"},
		{"fragment", uri("https://client.example.com/cb#frag"), "invalid_redirect_uri"},
		{"empty fragment", uri("https://client.example.com/cb#"), "invalid_redirect_uri"},
		{"javascript", uri("javascript:alert(1)"), "invalid_redirect_uri"},
		{"javascript with slashes", uri("javascript://x/%0aalert(1)"), "invalid_redirect_uri"},
		{"data", uri("data:text/html,<script>alert(1)</script>"), "invalid_redirect_uri"},
		{"file", uri("file:///etc/passwd"), "invalid_redirect_uri"},
		{"relative", uri("/cb"), "invalid_redirect_uri"},
		{"no host", uri("https:///cb"), "invalid_redirect_uri"},
		{"upper-case scheme", uri("HTTPS://client.example.com/cb"), "invalid_redirect_uri"},
		{"white space", uri("https://client.example.com/c b"), "invalid_redirect_uri"},
		{"backslash host", uri(`https://client.example.com\@evil.com/cb`), "invalid_redirect_uri"},
		{"too long", uri("https://client.example.com/" + strings.Repeat("a", 2000)), "invalid_redirect_uri"},
		{"private-use opaque", uri("com.example.app:cb"), "invalid_redirect_uri"},
		// Attack (issue #8, finding 3): schemes that make the operating
		// system act, registered by anyone and reached by a redirect.
		{"smb", uri("smb://attacker.example/share"), "invalid_redirect_uri"},
		{"ms-msdt", uri("ms-msdt:/id%20PCWDiagnostic"), "invalid_redirect_uri"},
		{"search-ms", uri("search-ms:/query=x&crumb=location:\\\\attacker.example"), "invalid_redirect_uri"},
		{"ssh", uri("ssh://attacker.example/"), "invalid_redirect_uri"},
		{"ms-officecmd", uri("ms-officecmd:/x"), "invalid_redirect_uri"},
		{"single-word scheme", uri("myapp:/cb"), "invalid_redirect_uri"},
		{"reverse domain with empty label", uri("com..example:/cb"), "invalid_redirect_uri"},
		{"reverse domain starting with a digit", uri("1com.example:/cb"), "invalid_redirect_uri"},
		{"reverse domain with a hyphen at a label end", uri("com.example-:/cb"), "invalid_redirect_uri"},
		{"loopback port 0", uri("http://127.0.0.1:0/cb"), "invalid_redirect_uri"},
		{"loopback port 65536", uri("http://127.0.0.1:65536/cb"), "invalid_redirect_uri"},
		{"loopback port 99999", uri("http://[::1]:99999/cb"), "invalid_redirect_uri"},
		{"loopback port with a leading zero", uri("http://localhost:08080/cb"), "invalid_redirect_uri"},
		{"loopback empty port", uri("http://127.0.0.1:/cb"), "invalid_redirect_uri"},
		{"https port 0", uri("https://app.example.com:0/cb"), "invalid_redirect_uri"},
		{"private-use for confidential client", map[string]any{"redirect_uris": []string{"com.example.app:/cb"}}, "invalid_redirect_uri"},
		{"redirect_uris not a list", map[string]any{"redirect_uris": "https://client.example.com/cb"}, "invalid_client_metadata"},
		{"unknown auth method", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"},
		{"implicit grant", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "none", "grant_types": []string{"implicit"}}, "invalid_client_metadata"},
		{"client_credentials", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "none", "grant_types": []string{"client_credentials"}}, "invalid_client_metadata"},
		{"refresh without code", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "none", "grant_types": []string{"refresh_token"}}, "invalid_client_metadata"},
		{"response type token", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "none", "response_types": []string{"token"}}, "invalid_client_metadata"},
		{"name too long", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "none", "client_name": strings.Repeat("x", 101)}, "invalid_client_metadata"},
		{"name with control characters", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "none", "client_name": "Claude\nApproved"}, "invalid_client_metadata"},
		{"name with direction override", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "none", "client_name": "Claude\u202eedualC"}, "invalid_client_metadata"},
		{"not an object", []string{"https://a.example.com/cb"}, "invalid_client_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.register(t, tt.metadata)
			if resp.status != http.StatusBadRequest {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
			if got := resp.json(t)["error"]; got != tt.code {
				t.Fatalf("error %v, want %s (%s)", got, tt.code, resp.body)
			}
		})
	}
	post := func(body []byte, contentType string) response {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/register", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		return do(t, http.DefaultClient, req)
	}
	for name, resp := range map[string]response{
		"form body":      post([]byte("redirect_uris=https://a.example.com/cb"), "application/x-www-form-urlencoded"),
		"malformed JSON": post([]byte(`{"redirect_uris": [`), "application/json"),
		"trailing data":  post([]byte(`{"redirect_uris": ["https://a.example.com/cb"]} {}`), "application/json"),
		"oversized": post([]byte(`{"client_name":"`+strings.Repeat("a", maxRegistrationBytes)+`",`+
			`"redirect_uris":["https://a.example.com/cb"],"token_endpoint_auth_method":"none"}`), "application/json"),
	} {
		if resp.status != http.StatusBadRequest || resp.json(t)["error"] != "invalid_client_metadata" {
			t.Errorf("%s: %d %s", name, resp.status, resp.body)
		}
	}
}

// Registrations unused for RegistrationTTL lapse; use keeps them alive.
func TestRegistrationExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	used := e.client(t, "https://client.example.com/cb")
	unused := e.client(t, "https://client.example.com/cb")
	used.tokens(t, e.browser(), nil)
	unused.tokens(t, e.browser(), nil)
	_, challenge := pkce()
	e.clock.Advance(DefaultRegistrationTTL - time.Hour)
	used.tokens(t, e.browser(), nil)
	e.clock.Advance(2 * time.Hour)
	if resp := e.browser().get(t, used.authorizeURL(challenge, nil)); resp.status != http.StatusOK {
		t.Fatalf("a client in use expired: %d", resp.status)
	}
	wantErrorPage(t, e.browser().get(t, unused.authorizeURL(challenge, nil)), http.StatusBadRequest, "Unknown MCP client")
}

// Attack (issue #8, finding 5): anonymous registrations were kept 30 days
// and every GET /oauth/authorize extended them. One no user approves is
// now forgotten after a day, however often it is asked for.
func TestUnapprovedRegistrationExpires(t *testing.T) {
	e := newEnv(t, envOptions{})
	junk := e.client(t, "https://junk.example/cb")
	kept := e.client(t, "https://client.example.com/cb")
	_, challenge := pkce()
	for range 4 {
		e.clock.Advance(6*time.Hour - time.Minute)
		if resp := e.browser().get(t, junk.authorizeURL(challenge, nil)); resp.status != http.StatusOK {
			t.Fatalf("within the day: %d", resp.status)
		}
	}
	kept.tokens(t, e.browser(), nil) // approved and used within the day
	e.clock.Advance(5 * time.Minute) // 24 h and a minute after registering
	wantErrorPage(t, e.browser().get(t, junk.authorizeURL(challenge, nil)), http.StatusBadRequest, "Unknown MCP client")
	if resp := e.browser().get(t, kept.authorizeURL(challenge, nil)); resp.status != http.StatusOK {
		t.Fatalf("an approved client expired after a day: %d", resp.status)
	}
	e.clock.Advance(DefaultRegistrationTTL - 2*time.Hour)
	if resp := e.browser().get(t, kept.authorizeURL(challenge, nil)); resp.status != http.StatusOK {
		t.Fatalf("an approved client expired before RegistrationTTL: %d", resp.status)
	}
}
