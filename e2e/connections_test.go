package e2e

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConnectionsPageInChromium drives the connections page (issue #11)
// in Debian's headless Chromium (connections_page.mjs): an MCP client signs
// in; the person then signs in to /connections with Sentry in another
// browser profile, sees the client (name escaped, security headers, the
// stylesheet allowed by the CSP, no console error), revokes it, and the
// client's token gets a 401 from /mcp. The session cookie is HttpOnly,
// SameSite=Lax and lasts at most an hour; nothing secret shows anywhere.
func TestConnectionsPageInChromium(t *testing.T) {
	requireNodeModules(t, "playwright-core")
	node := nodeBinary(t)
	chromium := chromiumBinary(t)
	s := startStack(t)
	shots := artifactDir(t)
	record := filepath.Join(shots, "chromium-http.json")

	sc := runScript(t, node, "connections_page.mjs", s.base, "--chromium", chromium, "--screenshots", shots, "--record", record)
	s.stop()
	r := sc.result
	t.Logf("Chromium %v; screenshots in %s", r["chromiumVersion"], shots)

	for _, name := range []string{"connections-page.png", "after-revoke.png"} {
		b, err := os.ReadFile(filepath.Join(shots, name))
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width < 800 {
			t.Errorf("screenshot %s is not a page-wide PNG: %v %dx%d", name, err, cfg.Width, cfg.Height)
		}
	}
	if got := field(r, "before", "mcpStatus"); got != float64(200) {
		t.Errorf("/mcp before the revoke: %v", got)
	}
	if got := field(r, "after", "mcpStatus"); got != float64(401) {
		t.Errorf("/mcp after the revoke: %v, want 401", got)
	}
	if csp, _ := field(r, "signinPage", "csp").(string); !strings.Contains(csp, "form-action 'self' "+s.fake.URL) {
		t.Errorf("sign-in page CSP %q: the redirect to Sentry must be allowed", csp)
	}
	var session map[string]any
	for _, c := range objects(field(r, "page", "cookies")) {
		if name, _ := c["name"].(string); strings.HasSuffix(name, "lookout-session") {
			session = c
		}
	}
	expiresIn, _ := session["expiresIn"].(float64)
	if session == nil || session["httpOnly"] != true || session["sameSite"] != "Lax" || expiresIn <= 0 || expiresIn > 3600 {
		t.Errorf("session cookie %v, want HttpOnly, SameSite=Lax, at most an hour", session)
	}
	if calls := s.fake.TokenCalls(); calls["authorization_code"] != 2 {
		t.Errorf("Sentry code exchanges: %v, want 2 (the client's sign-in, the page's)", calls)
	}
	records := readRecord(t, record)
	var listings int
	for _, rec := range records {
		if rec.Via == "chromium" && rec.path() == "/connections" && rec.Status == 200 && strings.Contains(rec.Body, "Revoke") {
			listings++
		}
	}
	if listings < 2 {
		t.Errorf("the browser saw %d listings of connections, want 2 (before and after the revoke)", listings)
	}
	checkNoLeaks(t, corpus(s, sc, records), s.needles(t))
}
