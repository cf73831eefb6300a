package authserver

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Refusals before lookout trusts the redirect URI are pages, never
// redirects: sending the browser to an unvetted URI is an open redirect.
func TestAuthorizeRefusedAsPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	_, challenge := pkce()
	tests := []struct {
		name   string
		params map[string]string
		say    string
	}{
		{"unknown client", map[string]string{"client_id": "mcpc_NOSUCHCLIENT"}, "Unknown MCP client"},
		{"missing client", map[string]string{"client_id": "-"}, "client_id is missing"},
		{"missing redirect", map[string]string{"redirect_uri": "-"}, "no redirect_uri"},
		{"look-alike host", map[string]string{"redirect_uri": "https://client.example.com.evil.com/cb"}, "not one this MCP client registered"},
		{"userinfo", map[string]string{"redirect_uri": "https://client.example.com@evil.com/cb"}, "not one this MCP client registered"},
		{"other port", map[string]string{"redirect_uri": "https://client.example.com:8443/cb"}, "not one this MCP client registered"},
		{"other path", map[string]string{"redirect_uri": "https://client.example.com/cb/evil"}, "not one this MCP client registered"},
		{"trailing slash", map[string]string{"redirect_uri": "https://client.example.com/cb/"}, "not one this MCP client registered"},
		{"case", map[string]string{"redirect_uri": "https://Client.example.com/cb"}, "not one this MCP client registered"},
		{"scheme", map[string]string{"redirect_uri": "http://client.example.com/cb"}, "not one this MCP client registered"},
		{"query added", map[string]string{"redirect_uri": "https://client.example.com/cb?next=https://evil.com"}, "not one this MCP client registered"},
		{"fragment", map[string]string{"redirect_uri": "https://client.example.com/cb#x"}, "not one this MCP client registered"},
		{"encoded", map[string]string{"redirect_uri": "https://client.example.com/%63b"}, "not one this MCP client registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.browser().get(t, c.authorizeURL(challenge, tt.params))
			wantErrorPage(t, resp, http.StatusBadRequest, tt.say)
			if strings.Contains(resp.body, "evil.com") {
				t.Error("the page repeats the attacker's URI")
			}
		})
	}
	t.Run("duplicate redirect_uri", func(t *testing.T) {
		u := c.authorizeURL(challenge, nil) + "&redirect_uri=https%3A%2F%2Fevil.com%2Fcb"
		wantErrorPage(t, e.browser().get(t, u), http.StatusBadRequest, "more than one redirect_uri")
	})
}

// authorizeErrors are requests refused once the client and redirect URI
// check out, and the error each gets.
func authorizeErrors(e *env, verifier string) []struct {
	name   string
	params map[string]string
	code   string
} {
	return []struct {
		name   string
		params map[string]string
		code   string
	}{
		{"missing PKCE", map[string]string{"code_challenge": "-", "code_challenge_method": "-"}, "invalid_request"},
		{"plain PKCE", map[string]string{"code_challenge": verifier, "code_challenge_method": "plain"}, "invalid_request"},
		{"PKCE without method", map[string]string{"code_challenge_method": "-"}, "invalid_request"},
		{"malformed challenge", map[string]string{"code_challenge": "short"}, "invalid_request"},
		{"response_type token", map[string]string{"response_type": "token"}, "unsupported_response_type"},
		{"response_type x", map[string]string{"response_type": "x"}, "unsupported_response_type"},
		{"unknown scope", map[string]string{"scope": "read admin"}, "invalid_scope"},
		{"wrong resource host", map[string]string{"resource": "https://evil.example.com/mcp"}, "invalid_target"},
		{"wrong resource path", map[string]string{"resource": e.base + "/other"}, "invalid_target"},
		{"resource too deep", map[string]string{"resource": e.base + "/mcp/a/b/c"}, "invalid_target"},
		{"resource bad slug", map[string]string{"resource": e.base + "/mcp/Acme"}, "invalid_target"},
		{"resource trailing slash", map[string]string{"resource": e.base + "/mcp/"}, "invalid_target"},
		{"resource query", map[string]string{"resource": e.base + "/mcp?x=1"}, "invalid_target"},
		{"resource fragment", map[string]string{"resource": e.base + "/mcp#x"}, "invalid_target"},
		{"resource userinfo", map[string]string{"resource": strings.Replace(e.base, "://", "://u@", 1) + "/mcp"}, "invalid_target"},
	}
}

// Once the client and redirect URI check out, errors in a browser that
// approved that client and redirect URI go back to the client with state
// and iss (RFC 6749 §4.1.2.1, RFC 9207).
func TestAuthorizeRefusedByRedirect(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	c.tokens(t, b, nil) // approved in b
	verifier, challenge := pkce()
	for _, tt := range authorizeErrors(e, verifier) {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.get(t, c.authorizeURL(challenge, tt.params))
			wantRedirectError(t, resp, c.redirectURI, tt.code, "client-state-123", e.base)
		})
	}
	t.Run("duplicate scope", func(t *testing.T) {
		resp := b.get(t, c.authorizeURL(challenge, nil)+"&scope=triage")
		wantRedirectError(t, resp, c.redirectURI, "invalid_request", "client-state-123", e.base)
	})
}

// wantErrorPageWithLink checks a refusal shown as lookout's page, with a
// link (not a redirect) to the client's redirect URI carrying the error.
func wantErrorPageWithLink(t *testing.T, resp response, redirectURI, code, state, iss string) {
	t.Helper()
	wantErrorPage(t, resp, http.StatusBadRequest, "lookout does not send you on to an address you have not approved")
	m := regexp.MustCompile(`<a href="([^"]+)"`).FindStringSubmatch(resp.body)
	if m == nil {
		t.Fatalf("no link back to the client:\n%s", resp.body)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	u.RawQuery = ""
	if u.String() != redirectURI || q.Get("error") != code || q.Get("state") != state || q.Get("iss") != iss {
		t.Fatalf("link %s, want %s with error=%s state=%s iss=%s", m[1], redirectURI, code, state, iss)
	}
}

// Attack (issue #8, finding 3): registration is open, so anyone registers
// https://evil.example/phish and sends people to lookout's
// /oauth/authorize with a bad parameter; lookout, answering with a 302 to
// the registered redirect URI, was an open redirector on its own origin.
// An error for a redirect URI this browser has not approved is lookout's
// page with a link instead (RFC 9700 §4.11.2), for registered clients and
// client metadata documents alike.
func TestAuthorizeNoOpenRedirect(t *testing.T) {
	docs := newDocServer(t)
	e := newEnv(t, envOptions{cimdHTTP: docs.srv.Client()})
	phish := "https://evil.example/phish"
	registered := e.registerClient(t, map[string]any{"client_name": "Claude", "redirect_uris": []string{phish},
		"token_endpoint_auth_method": "none"})
	document := &mcpClient{e: e, id: docs.doc("/evil.json", map[string]any{"client_name": "Claude Code",
		"redirect_uris": []string{phish}}), redirectURI: phish}
	verifier, challenge := pkce()
	for kind, c := range map[string]*mcpClient{"registered": registered, "document": document} {
		for _, tt := range authorizeErrors(e, verifier) {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				resp := e.browser().get(t, c.authorizeURL(challenge, tt.params))
				wantErrorPageWithLink(t, resp, phish, tt.code, "client-state-123", e.base)
				if !strings.Contains(resp.body, "evil.example") {
					t.Error("the page does not name where the link leads")
				}
			})
		}
	}
	// Denying on the approval page still answers the client: the user saw
	// where it leads and chose.
	b := e.browser()
	form := approvalForm(t, b.get(t, registered.authorizeURL(challenge, nil)))
	form.Set("decision", "deny")
	wantRedirectError(t, b.post(t, e.base+"/oauth/authorize", form), phish, "access_denied", "client-state-123", e.base)
	// Still a page in that browser: it approved nothing.
	wantErrorPageWithLink(t, b.get(t, registered.authorizeURL(challenge, map[string]string{"response_type": "x"})),
		phish, "unsupported_response_type", "client-state-123", e.base)
}

// Attack (issue #8, finding 4): approving a client for /mcp/acme ("only
// the organization acme") silently approved it for /mcp (every
// organization). An approval covers client, resource, scope and redirect
// URI; anything wider asks again.
func TestApprovalCoversOnlyWhatWasApproved(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.registerClient(t, map[string]any{"client_name": "Two Callbacks", "token_endpoint_auth_method": "none",
		"redirect_uris": []string{"https://client.example.com/cb", "https://client.example.com/other", "http://127.0.0.1/cb"},
		"grant_types":   []string{"authorization_code", "refresh_token"}})
	_, challenge := pkce()
	asks := func(b *browser, params map[string]string) bool {
		t.Helper()
		resp := b.get(t, c.authorizeURL(challenge, params))
		switch {
		case resp.status == http.StatusOK && strings.Contains(resp.body, `action="/oauth/authorize"`):
			return true
		case resp.status == http.StatusFound && strings.HasPrefix(resp.location, e.fake.URL):
			return false
		}
		t.Fatalf("authorize %v: %d %q", params, resp.status, resp.location)
		return false
	}
	acme := map[string]string{"resource": e.base + "/mcp/acme"}
	b := e.browser()
	c.tokens(t, b, acme)
	if asks(b, acme) {
		t.Error("the approved request asks again")
	}
	if asks(b, map[string]string{"resource": e.base + "/mcp/acme/web"}) {
		t.Error("a project of the approved organization asks again")
	}
	for name, params := range map[string]map[string]string{
		"every organization":    {"resource": e.base + "/mcp"},
		"default resource":      {"resource": "-"},
		"another org":           {"resource": e.base + "/mcp/other"},
		"wider scope":           {"resource": e.base + "/mcp/acme", "scope": "read triage"},
		"other redirect URI":    {"resource": e.base + "/mcp/acme", "redirect_uri": "https://client.example.com/other"},
		"loopback redirect":     {"resource": e.base + "/mcp/acme", "redirect_uri": "http://127.0.0.1:5000/cb"},
		"org prefix look-alike": {"resource": e.base + "/mcp/acmecorp"},
	} {
		if !asks(b, params) {
			t.Errorf("%s: no approval page after approving only /mcp/acme", name)
		}
	}
	// Approving a loopback redirect URI approves it on any port (the
	// client picks one per sign-in), and /mcp covers every pin below it.
	b2 := e.browser()
	c.redirectURI = "http://127.0.0.1:5000/cb"
	c.tokens(t, b2, nil)
	for _, params := range []map[string]string{{"redirect_uri": "http://127.0.0.1:6000/cb"}, acme} {
		if asks(b2, params) {
			t.Errorf("%v asks again after approving /mcp at http://127.0.0.1:5000/cb", params)
		}
	}
}

func TestAuthorizeAcceptsResources(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	_, challenge := pkce()
	upper := strings.Replace(strings.Replace(e.base, "http://", "HTTP://", 1), "127.0.0.1", "127.0.0.1", 1)
	for _, res := range []string{"-", e.base + "/mcp", e.base + "/mcp/acme", e.base + "/mcp/acme/web", upper + "/mcp/my_org-2"} {
		t.Run(res, func(t *testing.T) {
			resp := e.browser().get(t, c.authorizeURL(challenge, map[string]string{"resource": res}))
			if resp.status != http.StatusOK {
				t.Fatalf("%d %s", resp.status, resp.location)
			}
		})
	}
	page := e.browser().get(t, c.authorizeURL(challenge, map[string]string{"resource": e.base + "/mcp/acme/web"}))
	if !strings.Contains(page.body, "Only the project web of the organization acme") {
		t.Error("the approval page does not show the pinned project")
	}
}

func TestApprovalCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	other := e.client(t, "https://other.example.com/cb")
	_, challenge := pkce()
	tests := []struct {
		name   string
		tamper func(b *browser, form map[string][]string)
	}{
		{"token missing", func(_ *browser, f map[string][]string) { delete(f, "csrf_token") }},
		{"token forged", func(_ *browser, f map[string][]string) { f["csrf_token"] = []string{"00" + f["csrf_token"][0][2:]} }},
		{"cookie missing", func(b *browser, _ map[string][]string) { b.setCookie(cookieCSRF, "") }},
		{"cookie of another browser", func(b *browser, _ map[string][]string) {
			b.setCookie(cookieCSRF, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		}},
		{"token for another request", func(b *browser, f map[string][]string) {
			// Same browser, same cookie, but the token of another client's page.
			f["csrf_token"] = []string{approvalForm(t, b.get(t, other.authorizeURL(challenge, nil))).Get("csrf_token")}
		}},
		{"request changed under the token", func(_ *browser, f map[string][]string) { f["scope"] = []string{"read triage"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			form := approvalForm(t, b.get(t, c.authorizeURL(challenge, nil)))
			form.Set("decision", "approve")
			tt.tamper(b, form)
			resp := b.post(t, e.base+"/oauth/authorize", form)
			wantErrorPage(t, resp, http.StatusForbidden, "did not come from the page lookout showed you")
			if b.cookie(cookieApprovals) != "" {
				t.Error("approval recorded despite a failed CSRF check")
			}
		})
	}
	t.Run("cross-site origin", func(t *testing.T) {
		b := e.browser()
		form := approvalForm(t, b.get(t, c.authorizeURL(challenge, nil)))
		form.Set("decision", "approve")
		req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/authorize", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example.com")
		wantErrorPage(t, do(t, b.c, req), http.StatusForbidden, "from another website")
	})
}

func TestApprovalPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.registerClient(t, map[string]any{
		"client_name":   `<script>alert("x")</script> & "Claude"`,
		"redirect_uris": []string{"https://client.example.com/cb"}, "token_endpoint_auth_method": "none",
	})
	_, challenge := pkce()
	resp := e.browser().get(t, c.authorizeURL(challenge, map[string]string{"state": `"><script>s</script>`}))
	if resp.status != http.StatusOK {
		t.Fatalf("%d", resp.status)
	}
	if strings.Contains(resp.body, "<script>") {
		t.Fatalf("unescaped markup on the page:\n%s", resp.body)
	}
	if !strings.Contains(resp.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Claude&#34;") {
		t.Errorf("client name not shown escaped:\n%s", resp.body)
	}
	h := resp.header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'",
		"form-action 'self' " + e.fake.URL + " https://client.example.com", "style-src " + pageStyleHash} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if !strings.Contains(resp.body, "<style>"+pageCSS+"</style>") {
		t.Error("the inline style is not the hashed one")
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS on the authorization page")
	}
}

// In production the cookies are __Host-, Secure, HttpOnly, SameSite=Lax
// with a 30-day Max-Age.
func TestCookieAttributes(t *testing.T) {
	e := newEnv(t, envOptions{prodMode: true})
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	_, challenge := pkce()
	page := b.get(t, c.authorizeURL(challenge, nil))
	form := approvalForm(t, page)
	form.Set("decision", "approve")
	// Secure cookies are not sent over the test's http, so add it by hand.
	var csrf string
	for _, sc := range page.header.Values("Set-Cookie") {
		if name, rest, _ := strings.Cut(sc, "="); name == "__Host-"+cookieCSRF {
			csrf, _, _ = strings.Cut(rest, ";")
			for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
				if !strings.Contains(sc, attr) {
					t.Errorf("csrf cookie %q lacks %s", sc, attr)
				}
			}
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "__Host-" + cookieCSRF, Value: csrf})
	resp := do(t, b.c, req)
	if resp.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", resp.status, resp.body)
	}
	found := 0
	for _, sc := range resp.header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(sc, "=")
		if name != "__Host-"+cookieApprovals && name != "__Host-"+cookieFlow {
			continue
		}
		found++
		for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(sc, attr) {
				t.Errorf("cookie %q lacks %s", sc, attr)
			}
		}
		if name == "__Host-"+cookieApprovals && !strings.Contains(sc, "Max-Age=2592000") {
			t.Errorf("approval cookie %q: want Max-Age=2592000", sc)
		}
	}
	if found != 2 {
		t.Fatalf("Set-Cookie %v: want the approvals and flow cookies", resp.header.Values("Set-Cookie"))
	}
}

func TestLoopbackPortException(t *testing.T) {
	registered := []string{"http://127.0.0.1/cb", "http://[::1]/cb", "http://localhost/cb", "http://127.0.0.1:8000/fixed"}
	tests := []struct {
		uri  string
		want bool
	}{
		{"http://127.0.0.1/cb", true},
		{"http://127.0.0.1:53682/cb", true},
		{"http://[::1]:53682/cb", true},
		{"http://127.0.0.1:8000/fixed", true},
		{"http://127.0.0.1:8001/fixed", false}, // a registered port is exact
		{"http://localhost:53682/cb", false},   // RFC 8252: only IP literals
		{"http://127.0.0.1:53682/cb/x", false},
		{"http://127.0.0.1:053682/cb", false},
		{"http://127.0.0.1:99999/cb", false},
		{"http://127.0.0.1:/cb", false},
		{"http://127.0.0.1:80@evil.com/cb", false},
		{"https://127.0.0.1:53682/cb", false},
	}
	for _, tt := range tests {
		if got := matchRedirectURI(registered, tt.uri); got != tt.want {
			t.Errorf("matchRedirectURI(%q) = %t, want %t", tt.uri, got, tt.want)
		}
	}
}
