package authserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// docServer serves client metadata documents over TLS.
type docServer struct {
	srv     *httptest.Server
	fetches atomic.Int64
	docs    map[string]func(base string) (status int, body string, header map[string]string)
}

func newDocServer(t *testing.T) *docServer {
	d := &docServer{docs: map[string]func(string) (int, string, map[string]string){}}
	d.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fetches.Add(1)
		if r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" {
			t.Errorf("metadata fetch sent credentials: %v", r.Header)
		}
		h, ok := d.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		status, body, header := h(d.srv.URL)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func jsonDoc(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// doc serves a document whose client_id is its own URL unless m sets one.
func (d *docServer) doc(path string, m map[string]any) string {
	d.docs[path] = func(base string) (int, string, map[string]string) {
		full := map[string]any{"client_id": base + path}
		for k, v := range m {
			full[k] = v
		}
		return http.StatusOK, jsonDoc(full), map[string]string{"Content-Type": "application/json"}
	}
	return d.srv.URL + path
}

func TestClientIDMetadataDocument(t *testing.T) {
	docs := newDocServer(t)
	e := newEnv(t, envOptions{cimdHTTP: docs.srv.Client()})
	good := map[string]any{"client_name": "Doc Client", "redirect_uris": []string{"http://127.0.0.1:4000/cb"},
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none"}
	id := docs.doc("/good.json", good)

	t.Run("full sign-in", func(t *testing.T) {
		c := &mcpClient{e: e, id: id, redirectURI: "http://127.0.0.1:4000/cb", http: &http.Client{Transport: e.rec}}
		_, challenge := pkce()
		page := e.browser().get(t, c.authorizeURL(challenge, nil))
		approvalForm(t, page)
		host := "<strong class=\"mono\">127.0.0.1</strong>"
		if !strings.Contains(page.body, "Doc Client") || !strings.Contains(page.body, host) ||
			!strings.Contains(page.body, "approve only if you started connecting") || strings.Contains(page.body, "not to 127.0.0.1") {
			t.Errorf("approval page for a metadata document client:\n%s", page.body)
		}
		tm := c.tokens(t, e.browser(), nil)
		info, err := e.as.VerifyAccessToken(t.Context(), tm["access_token"].(string), nil)
		if err != nil || info.Extra["client_id"] != id {
			t.Fatalf("%+v %v", info, err)
		}
	})
	t.Run("cached", func(t *testing.T) {
		before := docs.fetches.Load()
		if _, err := e.as.lookupClient(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if docs.fetches.Load() != before {
			t.Error("the document was fetched again within the cache lifetime")
		}
	})

	docs.docs["/redirect.json"] = func(base string) (int, string, map[string]string) {
		return http.StatusFound, "", map[string]string{"Location": base + "/good.json"}
	}
	docs.docs["/big.json"] = func(base string) (int, string, map[string]string) {
		m := map[string]any{"client_id": base + "/big.json", "client_name": strings.Repeat("x", cimdMaxBytes), "redirect_uris": []string{"https://a.example.com/cb"}}
		return http.StatusOK, jsonDoc(m), nil
	}
	docs.docs["/notjson.json"] = func(string) (int, string, map[string]string) { return http.StatusOK, "<html>", nil }
	docs.docs["/error.json"] = func(string) (int, string, map[string]string) { return http.StatusInternalServerError, "{}", nil }
	tests := []struct {
		name string
		id   string
		say  string
	}{
		{"client_id differs", docs.doc("/wrong.json", map[string]any{"client_id": docs.srv.URL + "/good.json", "client_name": "X", "redirect_uris": []string{"https://a.example.com/cb"}}), "does not match its URL"},
		{"oversized", docs.srv.URL + "/big.json", "larger than 64 KiB"},
		{"redirect not followed", docs.srv.URL + "/redirect.json", "does not follow redirects"},
		{"not found", docs.srv.URL + "/missing.json", "answered HTTP 404"},
		{"server error", docs.srv.URL + "/error.json", "answered HTTP 500"},
		{"not JSON", docs.srv.URL + "/notjson.json", "not valid"},
		{"secret in document", docs.doc("/secret.json", map[string]any{"client_name": "X", "client_secret": "s", "redirect_uris": []string{"https://a.example.com/cb"}}), "must not contain a client_secret"},
		{"shared-secret auth", docs.doc("/basic.json", map[string]any{"client_name": "X", "token_endpoint_auth_method": "client_secret_basic", "redirect_uris": []string{"https://a.example.com/cb"}}), "not supported"},
		{"no name", docs.doc("/noname.json", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}}), "no client_name"},
		{"bad redirect", docs.doc("/badredirect.json", map[string]any{"client_name": "X", "redirect_uris": []string{"http://evil.example.com/cb"}}), "http redirect URIs are allowed only"},
		{"no path", docs.srv.URL, "must have a path"},
		{"dot segment", docs.srv.URL + "/a/../good.json", "path segments"},
		{"userinfo", strings.Replace(docs.srv.URL, "https://", "https://user@", 1) + "/good.json", "userinfo"},
		{"fragment", docs.srv.URL + "/good.json#x", "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &mcpClient{e: e, id: tt.id, redirectURI: "https://a.example.com/cb"}
			_, challenge := pkce()
			wantErrorPage(t, e.browser().get(t, c.authorizeURL(challenge, nil)), http.StatusBadRequest, tt.say)
		})
	}
	t.Run("redirect_uri not in the document", func(t *testing.T) {
		c := &mcpClient{e: e, id: id, redirectURI: "http://127.0.0.1:4001/cb"}
		_, challenge := pkce()
		wantErrorPage(t, e.browser().get(t, c.authorizeURL(challenge, nil)), http.StatusBadRequest, "not one this MCP client registered")
	})
}

// Attack (issue #8, finding 7): a metadata document on any https host
// called itself "Claude Code" and was shown without a warning, as if
// verified, and its redirect URIs could be on a third host. The page names
// the document's host prominently, says the name is only what that host
// says, and warns when the redirect URI leads elsewhere.
func TestClientIDMetadataDocumentNameNotVerified(t *testing.T) {
	docs := newDocServer(t)
	e := newEnv(t, envOptions{cimdHTTP: docs.srv.Client()})
	host := strings.TrimPrefix(docs.srv.URL, "https://")
	hostname, _, _ := strings.Cut(host, ":")
	for name, tt := range map[string]struct {
		redirect  string
		elsewhere bool
	}{
		"redirect on a third host": {"https://third.example/cb", true},
		"redirect on its own host": {"https://" + host + "/cb", false},
	} {
		t.Run(name, func(t *testing.T) {
			c := &mcpClient{e: e, id: docs.doc("/"+strings.ReplaceAll(name, " ", "-")+".json", map[string]any{
				"client_name": "Claude Code", "redirect_uris": []string{tt.redirect}}), redirectURI: tt.redirect}
			_, challenge := pkce()
			page := e.browser().get(t, c.authorizeURL(challenge, nil))
			approvalForm(t, page)
			for _, want := range []string{"Claude Code", `described by a document on <strong class="mono">` + hostname + `</strong>`,
				"lookout checked only that " + hostname + " serves it"} {
				if !strings.Contains(page.body, want) {
					t.Errorf("the page lacks %q:\n%s", want, page.body)
				}
			}
			warned := strings.Contains(page.body, `<p class="warn">After you approve, you will be sent to third.example, not to `+hostname)
			if warned != tt.elsewhere {
				t.Errorf("redirect-elsewhere warning shown: %t, want %t:\n%s", warned, tt.elsewhere, page.body)
			}
		})
	}
}

// Without dev mode, metadata documents are never fetched from loopback,
// private, link-local or unspecified addresses, whatever the URL says.
func TestClientIDMetadataDocumentSSRF(t *testing.T) {
	docs := newDocServer(t)
	e := newEnv(t, envOptions{prodMode: true, cimdHTTP: docs.srv.Client()})
	port := docs.srv.URL[strings.LastIndex(docs.srv.URL, ":"):]
	docs.doc("/good.json", map[string]any{"client_name": "X", "redirect_uris": []string{"https://a.example.com/cb"}})
	for _, id := range []string{
		docs.srv.URL + "/good.json",               // 127.0.0.1
		"https://localhost" + port + "/good.json", // resolves to loopback
		"https://[::1]" + port + "/good.json",
		"https://10.0.0.1/client.json",
		"https://192.168.1.1/client.json",
		"https://169.254.169.254/latest/meta-data.json",
		"https://0.0.0.0" + port + "/good.json",
		"https://[::ffff:127.0.0.1]" + port + "/good.json",
		"https://[::127.0.0.1]" + port + "/good.json", // IPv4-compatible (issue #8, finding 8)
		"https://[::ffff:0:127.0.0.1]" + port + "/good.json",
		"https://[64:ff9b::127.0.0.1]" + port + "/good.json",
		"https://100.100.100.200/client.json",
	} {
		t.Run(id, func(t *testing.T) {
			// As an attacker would: the client id in an authorization request.
			c := &mcpClient{e: e, id: id, redirectURI: "https://a.example.com/cb"}
			_, challenge := pkce()
			wantErrorPage(t, e.browser().get(t, c.authorizeURL(challenge, nil)), http.StatusBadRequest,
				"does not fetch client metadata from private or loopback addresses")
		})
	}
	if n := docs.fetches.Load(); n != 0 {
		t.Fatalf("the document server was reached %d times", n)
	}
}

// TestPublicAddr checks every special-purpose range of the IANA IPv4 and
// IPv6 registries (and the deprecated ones that embed IPv4): its first,
// second and last address are refused; addresses just outside are not.
func TestPublicAddr(t *testing.T) {
	special := []string{
		// IPv4
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32", "192.0.0.170/31",
		"192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
		// IPv6
		"::1/128", "::/128", "::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48",
		"100::/64", "2001::/23", "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:2::/48", "2001:3::/32",
		"2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28", "2001:db8::/32", "2002::/16",
		"3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	}
	for _, r := range special {
		p := netip.MustParsePrefix(r)
		first := p.Masked().Addr()
		last := lastAddr(p)
		for _, a := range []netip.Addr{first, first.Next(), last} {
			if !p.Contains(a) {
				continue // a /32 or /128 has no second address
			}
			if publicAddr(a) {
				t.Errorf("publicAddr(%s) = true, but it is in the special-purpose range %s", a, r)
			}
		}
	}
	// The attack of issue #8 and its relatives: IPv4 inside IPv6.
	for _, a := range []string{"::127.0.0.1", "::ffff:127.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::127.0.0.1",
		"2002:7f00:1::", "::ffff:169.254.169.254", "::10.0.0.1"} {
		if publicAddr(netip.MustParseAddr(a)) {
			t.Errorf("publicAddr(%s) = true", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "151.101.1.1", "100.63.255.255", "100.128.0.0",
		"192.0.1.0", "198.17.255.255", "198.20.0.0", "223.255.255.255", "2606:4700:4700::1111",
		"2001:200::1", "2a00:1450:4001::1", "2003::1"} {
		if !publicAddr(netip.MustParseAddr(a)) {
			t.Errorf("publicAddr(%s) = false for a public address", a)
		}
	}
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestClientIDURLRules(t *testing.T) {
	for _, raw := range []string{"https://app.example.com/client.json", "https://app.example.com:8443/oauth/client?v=1"} {
		if err := checkClientIDURL(raw); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
	for _, raw := range []string{"http://app.example.com/client.json", "https://app.example.com", "https://app.example.com/",
		"https://app.example.com/./c.json", "https://app.example.com/%2e%2e/c.json", "https://u:p@app.example.com/c.json",
		"https://app.example.com/c.json#f", "HTTPS://app.example.com/c.json"} {
		if err := checkClientIDURL(raw); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
}
