package authserver

import (
	"net/http"
	"reflect"
	"testing"
)

func TestServerMetadata(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp := e.browser().get(t, e.base+"/.well-known/oauth-authorization-server")
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %v", resp.status, resp.header)
	}
	m := resp.json(t)
	b := e.base
	want := map[string]any{
		"issuer":                                         b,
		"authorization_endpoint":                         b + "/oauth/authorize",
		"token_endpoint":                                 b + "/oauth/token",
		"registration_endpoint":                          b + "/oauth/register",
		"revocation_endpoint":                            b + "/oauth/revoke",
		"response_types_supported":                       []any{"code"},
		"response_modes_supported":                       []any{"query"},
		"grant_types_supported":                          []any{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []any{"S256"},
		"token_endpoint_auth_methods_supported":          []any{"none", "client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":     []any{"none", "client_secret_basic", "client_secret_post"},
		"scopes_supported":                               []any{"read", "triage"},
		"client_id_metadata_document_supported":          true,
		"authorization_response_iss_parameter_supported": true,
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("server metadata\n got %v\nwant %v", m, want)
	}
}

func TestResourceMetadata(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		path     string
		resource string
		name     string
	}{
		{"/.well-known/oauth-protected-resource", e.base + "/mcp", "lookout for Sentry"},
		{"/.well-known/oauth-protected-resource/mcp", e.base + "/mcp", "lookout for Sentry"},
		{"/.well-known/oauth-protected-resource/mcp/acme", e.base + "/mcp/acme", "lookout for Sentry (acme)"},
		{"/.well-known/oauth-protected-resource/mcp/acme/web", e.base + "/mcp/acme/web", "lookout for Sentry (acme/web)"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := e.browser().get(t, e.base+tt.path)
			if resp.status != http.StatusOK || resp.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("%d %v", resp.status, resp.header)
			}
			want := map[string]any{
				"resource": tt.resource, "authorization_servers": []any{e.base},
				"scopes_supported": []any{"read"}, "bearer_methods_supported": []any{"header"}, "resource_name": tt.name,
			}
			if got := resp.json(t); !reflect.DeepEqual(got, want) {
				t.Fatalf("\n got %v\nwant %v", got, want)
			}
			if tt.path != "/.well-known/oauth-protected-resource" && e.as.ResourceMetadataURL(tt.resource) != e.base+tt.path {
				t.Errorf("ResourceMetadataURL(%s) = %s", tt.resource, e.as.ResourceMetadataURL(tt.resource))
			}
		})
	}
	for _, bad := range []string{"/mcp/", "/mcp/Acme", "/mcp/a/b/c", "/other", "/mcpx", "/mcp/a%2Fb"} {
		if resp := e.browser().get(t, e.base+"/.well-known/oauth-protected-resource"+bad); resp.status != http.StatusNotFound {
			t.Errorf("%s: %d", bad, resp.status)
		}
	}
	if got := e.as.ResourceMetadataURL("https://evil.example.com/mcp"); got != e.base+"/.well-known/oauth-protected-resource" {
		t.Errorf("ResourceMetadataURL of a foreign resource: %s", got)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp",
		"/oauth/token", "/oauth/register", "/oauth/revoke"} {
		req, _ := http.NewRequest(http.MethodOptions, e.base+path, nil)
		req.Header.Set("Origin", "http://localhost:6274")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp := do(t, http.DefaultClient, req)
		h := resp.header
		if resp.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Access-Control-Allow-Headers") == "" {
			t.Errorf("preflight %s: %d %v", path, resp.status, h)
		}
	}
	for _, path := range []string{"/oauth/authorize", "/api/oauth/callback/sentry"} {
		req, _ := http.NewRequest(http.MethodOptions, e.base+path, nil)
		req.Header.Set("Origin", "https://evil.example.com")
		resp := do(t, http.DefaultClient, req)
		if resp.header.Get("Access-Control-Allow-Origin") != "" || resp.status != http.StatusMethodNotAllowed {
			t.Errorf("%s answers CORS: %d %v", path, resp.status, resp.header)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	e := newEnv(t, envOptions{})
	good := e.as.cfg
	tests := map[string]func(c *Config){
		"http base URL":       func(c *Config) { c.BaseURL = "http://lookout.example.com" },
		"base URL with path":  func(c *Config) { c.BaseURL = "https://lookout.example.com/x" },
		"base URL relative":   func(c *Config) { c.BaseURL = "/lookout" },
		"short cookie secret": func(c *Config) { c.CookieSecret = make([]byte, 31) },
		"no store":            func(c *Config) { c.Store = nil },
		"no vault":            func(c *Config) { c.Vault = nil },
		"no sentry":           func(c *Config) { c.Sentry = nil },
		"bad sentry URL":      func(c *Config) { c.SentryURL = "sentry.io" },
		"custom transport": func(c *Config) {
			c.HTTPClient = &http.Client{Transport: rewriteRedirect{}}
		},
	}
	for name, edit := range tests {
		c := good
		edit(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	c := good
	c.BaseURL = "https://lookout.example.com/"
	s, err := New(c)
	if err != nil || s.cfg.BaseURL != "https://lookout.example.com" {
		t.Fatalf("trailing slash: %v %q", err, s.cfg.BaseURL)
	}
}
