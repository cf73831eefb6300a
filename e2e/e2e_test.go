package e2e

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// TestMCPSDKFlow runs the whole remote sign-in with the official MCP
// TypeScript SDK as the client (sdk_flow.mjs): 401 and discovery, dynamic
// client registration, lookout's approval form posted like a browser would,
// the fake Sentry's consent, the code exchange, tools/list, tools/call
// search_issues, a client-side refresh (rotated refresh token), an upstream
// one (Sentry's token expired), and a new sign-in after Sentry revoked the
// grant. Then it scans everything lookout logged and every HTTP exchange
// the client saw for Sentry's tokens and lookout's secrets.
func TestMCPSDKFlow(t *testing.T) {
	testSDKFlow(t, "/mcp", "Every organization your Sentry account can see")
}

// TestMCPSDKFlowPinnedOrg is the same flow on a URL pinned to one
// organization: path-suffixed resource metadata, a token for that
// resource, the pin shown on the approval page, tools without
// organizationSlug.
func TestMCPSDKFlowPinnedOrg(t *testing.T) {
	testSDKFlow(t, "/mcp/acme", "Only the organization acme")
}

func testSDKFlow(t *testing.T, path, access string) {
	requireNodeModules(t, "@modelcontextprotocol/sdk")
	node := nodeBinary(t)
	s := startStack(t)
	control := controlServer(t, s.fake)
	record := filepath.Join(artifactDir(t), "sdk-http.json")
	mcpURL := s.base + path
	prmPath := "/.well-known/oauth-protected-resource" + path

	sc := runScript(t, node, "sdk_flow.mjs", mcpURL, "--record", record, "--control", control)
	s.stop() // the shutdown's log lines are scanned too
	r := sc.result

	// What the SDK did, as the script saw it.
	if got := field(r, "unauthenticated", "status"); got != float64(401) {
		t.Errorf("unauthenticated POST /mcp: status %v, want 401", got)
	}
	if got, _ := field(r, "unauthenticated", "wwwAuthenticate").(string); !strings.Contains(got, `resource_metadata="`+s.base+prmPath+`"`) {
		t.Errorf("WWW-Authenticate %q does not point at %s", got, prmPath)
	}
	if got := strs(field(r, "discovery", "protectedResource")); !slices.Contains(got, prmPath+" 200") {
		t.Errorf("protected-resource discovery: %v, want %s", got, prmPath)
	}
	if got := strs(field(r, "discovery", "authorizationServer")); !slices.Contains(got, "/.well-known/oauth-authorization-server 200") {
		t.Errorf("authorization-server discovery: %v", got)
	}
	if got := strs(field(r, "registration", "requests")); !slices.Equal(got, []string{"201"}) {
		t.Errorf("DCR requests: %v, want one 201", got)
	}
	if got := field(r, "registration", "clientIdPrefix"); got != "mcpc_" {
		t.Errorf("registered client id prefix %v", got)
	}
	if got := field(r, "authorizationRequest", "resource"); got != mcpURL {
		t.Errorf("authorization request resource %v, want %s", got, mcpURL)
	}
	if got := field(r, "approvalPage", "showsClientName"); got != true {
		t.Error("the approval page does not show the client's name")
	}
	if got := field(r, "approvalPage", "access"); got != access {
		t.Errorf("the approval page says the client gets access to %q, want %q", got, access)
	}
	if got := field(r, "searchTakesOrganization"); got != (path == "/mcp") {
		t.Errorf("search_issues takes organizationSlug: %v on %s", got, path)
	}
	if got := field(r, "approvalPage", "xFrameOptions"); got != "DENY" {
		t.Errorf("approval page X-Frame-Options %v", got)
	}
	hops := objects(field(r, "browser", "hops"))
	var sawSentry, sawCallback bool
	for _, h := range hops {
		u, _ := h["url"].(string)
		sawSentry = sawSentry || strings.HasPrefix(u, s.fake.URL+"/oauth/authorize")
		sawCallback = sawCallback || u == s.base+"/api/oauth/callback/sentry"
	}
	if !sawSentry || !sawCallback {
		t.Errorf("the browser did not go lookout -> Sentry -> lookout callback: %v", hops)
	}
	if rej := strs(field(r, "browser", "rejectedCookies")); len(rej) > 0 {
		t.Errorf("a browser would reject lookout's cookies: %v", rej)
	}
	for _, k := range []string{"hasCode", "stateMatches"} {
		if field(r, "authorizationResponse", k) != true {
			t.Errorf("authorization response %s: %v", k, field(r, "authorizationResponse"))
		}
	}
	if got := field(r, "authorizationResponse", "iss"); got != s.base {
		t.Errorf("authorization response iss %v, want %s", got, s.base)
	}
	if p, q := field(r, "tokens", "accessPrefix"), field(r, "tokens", "refreshPrefix"); p != "lka_" || q != "lkr_" {
		t.Errorf("token prefixes %v %v", p, q)
	}
	tools := strs(r["tools"])
	for _, want := range []string{"search_issues", "get_issue_details", "find_projects", "search_sentry_tools", "execute_sentry_tool"} {
		if !slices.Contains(tools, want) {
			t.Errorf("tools/list lacks %s: %v", want, tools)
		}
	}
	if pinned := path != "/mcp"; slices.Contains(tools, "find_organizations") == pinned {
		t.Errorf("tools/list on %s: find_organizations listed = %v", path, !pinned)
	}
	for _, banned := range []string{"update_issue", "add_issue_note"} {
		if slices.Contains(tools, banned) {
			t.Errorf("tools/list offers %s without the triage permission", banned)
		}
	}
	for _, step := range []string{"search", "afterRefresh", "afterSentryExpiry", "afterReauth"} {
		ids := strs(field(r, step, "shortIds"))
		if len(ids) == 0 || !shortIDRe.MatchString(ids[0]) {
			t.Errorf("%s: search_issues returned no issue short ids: %v", step, field(r, step))
		}
	}
	if field(r, "refresh", "saveTokensCalls") != float64(1) || field(r, "refresh", "newRefreshToken") != true {
		t.Errorf("the SDK did not refresh (rotating the refresh token): %v", field(r, "refresh"))
	}
	// After Sentry revoked the grant: an error telling the user to sign in
	// again, then a 401, a refused refresh, and a new sign-in without the
	// approval page (remembered in the browser), after which calls work.
	if field(r, "afterRevocation", "isError") != true {
		t.Errorf("tools/call after the revocation: %v", field(r, "afterRevocation"))
	}
	reauth := strs(field(r, "reauth", "exchanges"))
	for _, want := range []string{"POST " + path + " 401", "POST /oauth/token 400 refresh_token", "GET /oauth/authorize 302", "GET /api/oauth/callback/sentry 302"} {
		if !slices.Contains(reauth, want) {
			t.Errorf("re-authorization after the revocation lacks %q: %v", want, reauth)
		}
	}
	if field(r, "reauth", "newCode") != true {
		t.Errorf("no new sign-in after the revocation: %v", field(r, "reauth"))
	}

	// What the fake Sentry saw: two consents (the first sign-in, the one
	// after the revocation), an upstream refresh after the expiry, and API
	// calls as alice.
	calls := s.fake.TokenCalls()
	if calls["authorization_code"] != 2 {
		t.Errorf("Sentry token endpoint authorization_code calls: %d, want 2", calls["authorization_code"])
	}
	if calls["refresh_token"] < 1 {
		t.Errorf("lookout never refreshed its Sentry grant after the token expired: %v", calls)
	}
	var asAlice, searches int
	for _, req := range s.fake.Requests() {
		if req.UserID == sentrytest.AliceID {
			asAlice++
		}
		if req.Path == "/api/0/organizations/acme/issues/" && req.Status == 200 {
			searches++
		}
	}
	if asAlice == 0 || searches < 4 {
		t.Errorf("Sentry API calls: %d as alice, %d successful issue searches in acme (want >= 4)", asAlice, searches)
	}

	// lookout's log: JSON lines recording the sign-in. (At
	// LOOKOUT_LOG_LEVEL=debug; lookout has no debug lines on these paths.)
	lines := s.logLines(t)
	var signedIn, registered int
	for _, l := range lines {
		switch l["msg"] {
		case "authserver: MCP client signed in":
			signedIn++
		case "authserver: client registered":
			registered++
		}
	}
	if signedIn != 2 || registered != 1 {
		t.Errorf("lookout logged %d registrations (want 1) and %d sign-ins (want 2)", registered, signedIn)
	}

	// The leak scan, and proof that it had something to read.
	records := readRecord(t, record)
	issued := s.fake.IssuedTokens()
	if len(issued) < 6 {
		t.Errorf("the fake Sentry issued %d tokens, want >= 6 (access+refresh at two consents and one upstream refresh): the scan would be weak", len(issued))
	}
	var approvalPages, toolResults int
	for _, rec := range records {
		if rec.Method == "GET" && rec.path() == "/oauth/authorize" && rec.Status == 200 && strings.Contains(rec.Body, "Approve") {
			approvalPages++
		}
		if rec.Method == "POST" && rec.path() == path && rec.Status == 200 && strings.Contains(rec.RequestBody, `"tools/call"`) &&
			(strings.Contains(rec.Body, "WEB-") || strings.Contains(rec.Body, "CHECKOUT-")) {
			toolResults++
		}
	}
	if approvalPages != 1 || toolResults < 4 {
		t.Errorf("the HTTP record lacks the approval page (%d, want 1) or the tools/call results (%d, want >= 4)", approvalPages, toolResults)
	}
	t.Logf("recorded %d HTTP responses, %d log lines, %d Sentry tokens issued", len(records), len(lines), len(issued))
	checkNoLeaks(t, corpus(s, sc, records), s.needles(t))
}

// TestApprovalPageInChromium opens lookout's approval page in Debian's
// headless Chromium (approval_page.mjs with playwright-core): it renders
// (client name escaped, permissions, buttons, stylesheet allowed by the
// CSP), carries the security headers, Approve leads through the fake
// Sentry to the client's redirect URI with a code that the token endpoint
// accepts, the approval is remembered, and Deny answers access_denied.
// Screenshots go to $LOOKOUT_E2E_ARTIFACTS/TestApprovalPageInChromium if
// set (kept), else to a temporary directory; the test logs their paths.
func TestApprovalPageInChromium(t *testing.T) {
	requireNodeModules(t, "playwright-core")
	node := nodeBinary(t)
	chromium := chromiumBinary(t)
	s := startStack(t)
	shots := artifactDir(t)
	record := filepath.Join(shots, "chromium-http.json")

	sc := runScript(t, node, "approval_page.mjs", s.base, "--chromium", chromium, "--screenshots", shots, "--record", record)
	s.stop()
	r := sc.result
	t.Logf("Chromium %v; screenshots in %s", r["chromiumVersion"], shots)

	for _, name := range []string{"approval-page.png", "after-approve.png"} {
		p := filepath.Join(shots, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width < 800 || cfg.Height < 400 {
			t.Errorf("screenshot %s is not a full-page PNG: %v %dx%d", name, err, cfg.Width, cfg.Height)
		}
		t.Logf("screenshot: %s (%dx%d, %d bytes)", p, cfg.Width, cfg.Height, len(b))
	}

	if got := field(r, "page", "xFrameOptions"); got != "DENY" {
		t.Errorf("X-Frame-Options %v", got)
	}
	csp, _ := field(r, "page", "csp").(string)
	for _, d := range []string{"frame-ancestors 'none'", "default-src 'none'", "form-action 'self' " + s.fake.URL} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if got := field(r, "approve", "iss"); got != s.base {
		t.Errorf("Approve: iss %v", got)
	}
	if field(r, "approve", "hasCode") != true || field(r, "token", "status") != float64(200) {
		t.Errorf("Approve did not end with a code the token endpoint accepts: %v %v", field(r, "approve"), field(r, "token"))
	}
	if got := field(r, "deny", "error"); got != "access_denied" {
		t.Errorf("Deny: error %v", got)
	}
	// The approval cookie as the browser stored it (docs/architecture.md, "OAuth, both directions").
	var approvalCookie map[string]any
	for _, c := range objects(field(r, "approve", "cookiesAfter")) {
		if name, _ := c["name"].(string); strings.HasSuffix(name, "lookout-approvals") {
			approvalCookie = c
		}
	}
	if approvalCookie == nil {
		t.Errorf("Chromium holds no approvals cookie after Approve: %v", field(r, "approve", "cookiesAfter"))
	} else if approvalCookie["httpOnly"] != true || approvalCookie["sameSite"] != "Lax" {
		t.Errorf("approvals cookie: %v, want HttpOnly and SameSite=Lax", approvalCookie)
	}

	if calls := s.fake.TokenCalls(); calls["authorization_code"] != 2 {
		t.Errorf("Sentry code exchanges: %v, want 2 (approve, remembered approval)", calls)
	}
	records := readRecord(t, record)
	var pages int
	for _, rec := range records {
		if rec.Via == "chromium" && rec.path() == "/oauth/authorize" && rec.Status == 200 && strings.Contains(rec.Body, "Approve") {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("the browser saw %d approval pages, want 2 (first client, deny client)", pages)
	}
	checkNoLeaks(t, corpus(s, sc, records), s.needles(t))
}

// TestDemoSDKFlow runs sdk_flow.mjs against `lookout demo` itself, the
// README's zero-configuration command: its own fake Sentry, whose consent
// page the browser submits (picking the preselected demo user), and dev-mode
// cookies (no __Host- prefix, no Secure). The demo's secrets are generated
// inside it, so there is no leak scan here; TestMCPSDKFlow has one.
func TestDemoSDKFlow(t *testing.T) {
	requireNodeModules(t, "@modelcontextprotocol/sdk")
	node := nodeBinary(t)
	addr := freeLoopbackAddr(t)
	base := "http://" + addr
	p := startProc(t, base, []string{"LOOKOUT_ADDR=" + addr, "LOOKOUT_LOG_LEVEL=debug"}, "demo")
	m := regexp.MustCompile(`Fake Sentry\s+(http://\S+)`).FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("lookout demo's banner does not name the fake Sentry:\n%s", p.stdout.String())
	}
	fakeURL := m[1]
	record := filepath.Join(artifactDir(t), "demo-http.json")

	sc := runScript(t, node, "sdk_flow.mjs", base+"/mcp", "--record", record)
	p.stop()
	r := sc.result

	signIns := objects(r["signIns"])
	if len(signIns) != 1 {
		t.Fatalf("sign-ins: %v", signIns)
	}
	first := signIns[0]
	if first["approvalPage"] != true || !slices.Equal(strs(first["consentPages"]), []string{fakeURL + "/oauth/authorize/"}) {
		t.Errorf("the demo sign-in should pass lookout's approval page and the fake Sentry's consent page: %v", first)
	}
	var names []string
	for _, c := range objects(field(r, "browser", "cookies")) {
		if name, _ := c["name"].(string); strings.HasPrefix(name, "lookout-") {
			names = append(names, name)
			if c["secure"] != false || c["httpOnly"] != true {
				t.Errorf("demo cookie %v: want HttpOnly without Secure (plain http on loopback)", c)
			}
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"lookout-approvals", "lookout-csrf", "lookout-flow"}) {
		t.Errorf("demo cookies %v, want lookout-approvals, lookout-csrf, lookout-flow (dev mode: no __Host- prefix)", names)
	}
	for _, step := range []string{"search", "afterRefresh"} {
		if ids := strs(field(r, step, "shortIds")); len(ids) == 0 || !shortIDRe.MatchString(ids[0]) {
			t.Errorf("%s: search_issues returned no issue short ids: %v", step, field(r, step))
		}
	}
	if field(r, "refresh", "newRefreshToken") != true {
		t.Errorf("no refresh against the demo: %v", field(r, "refresh"))
	}
	if !strings.Contains(p.stdout.String(), "claude mcp add --transport http lookout "+base+"/mcp") {
		t.Errorf("the demo banner lacks the Claude Code command for %s/mcp:\n%s", base, p.stdout.String())
	}
	p.logLines(t)
}
