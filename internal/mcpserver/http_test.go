package mcpserver_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// remote is an HTTP MCP endpoint over the fake Sentry. Tokens are minted
// by the test ("lka_<name>" -> principal, resource, scopes) instead of an
// OAuth dance; the authorization server has its own tests and the e2e
// suite runs the whole flow.
type remote struct {
	t         *testing.T
	fake      *sentrytest.Fake
	vault     *vault.Vault
	srv       *httptest.Server
	base      string
	mu        sync.Mutex
	tokens    map[string]*auth.TokenInfo
	refreshes int
	// refreshErr is what the Sentry refresh returns: by default a refusal,
	// as Sentry answers for a revoked grant.
	refreshErr error
	store      *storetest.Faulty
	// rowless: verify hands on no grant row (a verifier other than
	// authserver's), so the endpoint reads the grant by principal.
	rowless bool
}

func newRemote(t *testing.T, opts mcpserver.HTTPOptions) *remote {
	t.Helper()
	r := &remote{t: t, fake: sentrytest.NewServer(t, sentrytest.Options{}), tokens: map[string]*auth.TokenInfo{},
		refreshErr: fmt.Errorf("invalid_grant: %w", vault.ErrStale)}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	kr, err := vault.NewKeyring(vault.Key{ID: "k1", Secret: secret.FromBytes(b)})
	if err != nil {
		t.Fatal(err)
	}
	r.store = storetest.NewFaulty(storetest.SQLite(t))
	r.vault = vault.New(r.store, kr, vault.Options{
		Refresher: func(context.Context, secret.Value) (vault.Token, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.refreshes++
			return vault.Token{}, r.refreshErr
		},
		Sentry: sentry.Options{BaseURL: r.fake.URL},
	})
	t.Cleanup(func() { r.vault.Close(context.Background()) })
	mux := http.NewServeMux()
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	r.base = r.srv.URL
	opts.BaseURL = r.base
	opts.Verify = r.verify
	opts.MetadataURL = func(resource string) string {
		return r.base + "/.well-known/oauth-protected-resource" + strings.TrimPrefix(resource, r.base)
	}
	opts.Vault = r.vault
	opts.Sentry = sentry.Options{BaseURL: r.fake.URL}
	h, err := mcpserver.NewHTTP(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.Register(mux)
	return r
}

// verify is authserver.VerifyAccessToken's contract over the minted
// tokens: the principal's grant row, read with the token, is handed on
// under vault.GrantRowKey (read from the store beneath the Faulty one, so
// that the endpoint's own reads are what the Faulty store counts).
func (r *remote) verify(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	r.mu.Lock()
	info, ok := r.tokens[token]
	rowless := r.rowless
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: unknown token", auth.ErrInvalidToken)
	}
	if rowless {
		return info, nil
	}
	row, err := r.store.Store.GetGrant(ctx, info.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: the Sentry connection behind this token was removed", auth.ErrInvalidToken)
	} else if err != nil {
		return nil, err
	}
	out := *info
	out.Extra = maps.Clone(info.Extra)
	out.Extra[vault.GrantRowKey] = row
	return &out, nil
}

// connect stores a Sentry grant for a user and mints a lookout token for
// resource path ("/mcp", "/mcp/acme"...).
func (r *remote) connect(name, sentryUser, path string, scopes ...string) string {
	r.t.Helper()
	principal := "mcp:" + name
	access := r.fake.IssueToken(sentryUser, sentrytest.WriteScopes, 0)
	_, err := r.vault.Put(context.Background(), vault.Grant{
		Principal: principal, Token: vault.NewToken(access, "rt-"+name, time.Now().Add(time.Hour)),
		Scopes: sentrytest.WriteScopes,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	token := "lka_" + name
	r.mu.Lock()
	r.tokens[token] = &auth.TokenInfo{UserID: principal, Scopes: scopes, Expiration: time.Now().Add(time.Hour),
		Extra: map[string]any{"resource": r.base + path}}
	r.mu.Unlock()
	return token
}

// bearer adds a fixed Authorization header (and Origin, when set).
type bearer struct {
	token, origin string
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *remote) session(token, path string) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	return client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: r.base + path, HTTPClient: &http.Client{Transport: bearer{token: token}},
		MaxRetries: -1, DisableStandaloneSSE: true,
	}, nil)
}

func (r *remote) mustSession(token, path string) *mcp.ClientSession {
	r.t.Helper()
	s, err := r.session(token, path)
	if err != nil {
		r.t.Fatalf("connect %s: %v", path, err)
	}
	r.t.Cleanup(func() { _ = s.Close() })
	return s
}

// post sends a raw initialize request and returns the response.
func (r *remote) post(path, token string, header map[string]string) *http.Response {
	r.t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// postBody sends an initialize request with token and returns the status
// and body of the answer.
func (r *remote) postBody(path, token string) (int, string) {
	r.t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestUnauthenticatedGets401WithResourceMetadata(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	for path, meta := range map[string]string{
		"/mcp":          "/.well-known/oauth-protected-resource/mcp",
		"/mcp/acme":     "/.well-known/oauth-protected-resource/mcp/acme",
		"/mcp/acme/web": "/.well-known/oauth-protected-resource/mcp/acme/web",
	} {
		resp := r.post(path, "", nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s without a token: %d", path, resp.StatusCode)
		}
		want := `resource_metadata="` + r.base + meta + `"`
		if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, want) {
			t.Errorf("%s: WWW-Authenticate %q lacks %s", path, got, want)
		}
	}
	if resp := r.post("/mcp", "lka_forged", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown token: %d", resp.StatusCode)
	}
	for _, bad := range []string{"/mcp/ACME", "/mcp/a/b/c", "/mcp/../x", "/mcpx", "/mcp/a%2Fb"} {
		if resp := r.post(bad, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, resp.StatusCode)
		}
	}
}

// Each call runs with its caller's own grant: two users at once, each seen
// by Sentry as themselves.
func TestCallsUseTheCallersGrant(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	users := map[string]string{"lka_alice": sentrytest.AliceID, "lka_bob": sentrytest.BobID}
	r.connect("alice", sentrytest.AliceID, "/mcp")
	r.connect("bob", sentrytest.BobID, "/mcp")
	var wg sync.WaitGroup
	for token := range users {
		wg.Go(func() {
			s, err := r.session(token, "/mcp")
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			for range 3 {
				res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
				if err != nil || res.IsError {
					t.Errorf("%s whoami: %v %s", token, err, text(res))
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, req := range r.fake.Requests() {
		seen[req.UserID] = true
	}
	if !seen[sentrytest.AliceID] || !seen[sentrytest.BobID] || len(seen) != 2 {
		t.Fatalf("Sentry saw users %v, want alice and bob", seen)
	}
}

func TestTokenIsBoundToItsResource(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	acme := r.connect("alice-acme", sentrytest.AliceID, "/mcp/acme")
	if _, err := r.session(acme, "/mcp/acme"); err != nil {
		t.Fatalf("token for /mcp/acme on /mcp/acme: %v", err)
	}
	for _, path := range []string{"/mcp/globex", "/mcp", "/mcp/acme/web"} {
		if resp := r.post(path, acme, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token for /mcp/acme used on %s: %d, want 401", path, resp.StatusCode)
		}
	}
}

// A URL pinned to an organization the grant cannot see is refused with a
// clear message, not Sentry errors on every call.
func TestPinnedOrganizationMustBeVisible(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	bob := r.connect("bob", sentrytest.BobID, "/mcp/globex")
	resp := r.post("/mcp/globex", bob, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob on /mcp/globex: %d, want 403", resp.StatusCode)
	}
	alice := r.connect("alice", sentrytest.AliceID, "/mcp/globex/mobile")
	s := r.mustSession(alice, "/mcp/globex/mobile")
	list, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		if tool.Name == "find_organizations" || tool.Name == "find_projects" {
			t.Errorf("%s offered on a project-pinned URL", tool.Name)
		}
	}
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_issues", Arguments: map[string]any{}})
	if err != nil || res.IsError || !strings.Contains(text(res), "MOBILE-") {
		t.Fatalf("pinned search_issues: %v %q", err, text(res))
	}
}

// The refusal of a pinned URL is written for a person: what is wrong and
// what to do, as sentences ending in one period, with no Go error chain
// and no "forbidden:" jargon.
func TestPinnedRefusalReadsAsSentences(t *testing.T) {
	t.Parallel()
	r := newRemote(t, mcpserver.HTTPOptions{})
	bob := r.connect("bob", sentrytest.BobID, "/mcp/globex")
	status, body := r.postBody("/mcp/globex", bob)
	want := "Your Sentry account cannot see organization globex. Use " + r.base +
		"/mcp for every organization you can see, or sign in with a Sentry account that can see organization globex.\n"
	if status != http.StatusForbidden || body != want {
		t.Errorf("bob on /mcp/globex: %d %q\nwant 403 %q", status, body, want)
	}
	alice := r.connect("alice", sentrytest.AliceID, "/mcp/acme/nope")
	if status, body := r.postBody("/mcp/acme/nope", alice); status != http.StatusForbidden ||
		!strings.HasPrefix(body, "Your Sentry account cannot see project acme/nope. ") {
		t.Errorf("alice on /mcp/acme/nope: %d %q", status, body)
	}

	// Sentry failing while lookout checks: its answer, in plain words.
	r.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/organizations/acme/", Status: 429, RetryAfter: "3600"})
	carol := r.connect("carol", sentrytest.AliceID, "/mcp/acme")
	status, body = r.postBody("/mcp/acme", carol)
	if status != http.StatusForbidden || !strings.HasPrefix(body, "lookout could not check your access to organization acme. Sentry is rate limiting requests") {
		t.Errorf("Sentry down during the check: %d %q", status, body)
	}
	for _, b := range []string{want, body} {
		if strings.Contains(b, "..") || !strings.HasSuffix(b, ".\n") || strings.Contains(b, "sentry:") || strings.Contains(b, "forbidden") {
			t.Errorf("not plain sentences: %q", b)
		}
	}
}

func TestTriageToolsFollowTheTokenScope(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	names := func(token string) map[string]bool {
		list, err := r.mustSession(token, "/mcp").ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, tool := range list.Tools {
			m[tool.Name] = true
		}
		return m
	}
	if names(r.connect("reader", sentrytest.AliceID, "/mcp"))["update_issue"] {
		t.Error("update_issue offered to a read token")
	}
	if !names(r.connect("triager", sentrytest.AliceID, "/mcp", "read", "triage"))["update_issue"] {
		t.Error("update_issue not offered to a triage token")
	}
}

// When Sentry refuses the grant and the refresh, the call says to sign in
// again, the grant is marked stale, and the next request is a 401 so the
// client re-runs OAuth.
func TestRevokedGrantLeadsToSignIn(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	token := r.connect("alice", sentrytest.AliceID, "/mcp")
	s := r.mustSession(token, "/mcp")
	r.fake.RevokeUserTokens(sentrytest.AliceID)
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(text(res), "Sign in again") {
		t.Fatalf("after revocation: isError=%t %q", res.IsError, text(res))
	}
	if r.refreshes != 1 {
		t.Errorf("%d refresh attempts, want 1", r.refreshes)
	}
	if g, err := r.vault.Status(context.Background(), "mcp:alice"); err != nil || !g.Stale {
		t.Fatalf("grant after refused refresh: stale=%t err=%v", g.Stale, err)
	}
	resp := r.post("/mcp", token, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "resource_metadata") {
		t.Fatalf("next request: %d %q, want 401 with resource_metadata", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// A grant that is gone entirely is the same to the client.
	gone := r.connect("carol", sentrytest.AliceID, "/mcp")
	if err := r.vault.Delete(context.Background(), "mcp:carol", "test"); err != nil {
		t.Fatal(err)
	}
	if resp := r.post("/mcp", gone, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("deleted grant: %d, want 401", resp.StatusCode)
	}
}

// DNS rebinding: a foreign Origin is refused; a loopback server answers
// only to loopback host names.
func TestOriginAndHostChecks(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{AllowedOrigins: []string{"https://inspector.example.com"}})
	token := r.connect("alice", sentrytest.AliceID, "/mcp")
	cases := []struct {
		header map[string]string
		want   int
	}{
		{map[string]string{"Origin": "https://evil.example.com"}, http.StatusForbidden},
		{map[string]string{"Origin": "null"}, http.StatusForbidden},
		{map[string]string{"Origin": r.base}, http.StatusOK},
		{map[string]string{"Origin": "https://inspector.example.com"}, http.StatusOK},
		{map[string]string{"Host": "evil.example.com"}, http.StatusForbidden},
		{map[string]string{"Host": "evil.example.com:80"}, http.StatusForbidden},
		{map[string]string{"Host": "localhost"}, http.StatusOK},
		{nil, http.StatusOK},
	}
	for _, c := range cases {
		if got := r.post("/mcp", token, c.header).StatusCode; got != c.want {
			t.Errorf("headers %v: %d, want %d", c.header, got, c.want)
		}
	}
	// Even unauthenticated, the origin check comes first.
	if got := r.post("/mcp", "", map[string]string{"Origin": "https://evil.example.com"}).StatusCode; got != http.StatusForbidden {
		t.Errorf("foreign origin without a token: %d, want 403", got)
	}
}

// A browser page at an allowed origin (the MCP Inspector's, in the demo)
// can call /mcp: the preflight is answered and the answers are readable,
// the 401's WWW-Authenticate included. Other origins get none of it.
func TestAllowedOriginsGetCORS(t *testing.T) {
	t.Parallel()
	const inspector = "http://localhost:6274"
	r := newRemote(t, mcpserver.HTTPOptions{AllowedOrigins: []string{inspector}})
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, r.base+"/mcp", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight(inspector)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != inspector ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight from %s: %d %v", inspector, resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example.com"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a foreign origin: %d %v", resp.StatusCode, resp.Header)
	}
	unauth := r.post("/mcp", "", map[string]string{"Origin": inspector})
	if unauth.StatusCode != http.StatusUnauthorized || unauth.Header.Get("Access-Control-Allow-Origin") != inspector ||
		!strings.Contains(unauth.Header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
		t.Errorf("401 to %s: %d %v", inspector, unauth.StatusCode, unauth.Header)
	}
	ok := r.post("/mcp", r.connect("alice", sentrytest.AliceID, "/mcp"), map[string]string{"Origin": inspector})
	if ok.StatusCode != http.StatusOK || ok.Header.Get("Access-Control-Allow-Origin") != inspector {
		t.Errorf("initialize from %s: %d %v", inspector, ok.StatusCode, ok.Header)
	}
	if plain := r.post("/mcp", "", nil); plain.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers without an Origin: %v", plain.Header)
	}
}

func TestRawSentryTokensOnlyWhenAllowed(t *testing.T) {
	off := newRemote(t, mcpserver.HTTPOptions{})
	raw := off.fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)
	if resp := off.post("/mcp", raw, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("raw Sentry token by default: %d, want 401", resp.StatusCode)
	}
	on := newRemote(t, mcpserver.HTTPOptions{AllowSentryTokens: true})
	raw = on.fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)
	res, err := on.mustSession(raw, "/mcp").CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
	if err != nil || res.IsError || !strings.Contains(text(res), "alice@example.com") {
		t.Fatalf("raw token allowed: %v %q", err, text(res))
	}
}

func TestRequestBodyLimit(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{MaxBodyBytes: 1024})
	token := r.connect("alice", sentrytest.AliceID, "/mcp")
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"x":"` + strings.Repeat("a", 4096) + `"}}}`
	req, _ := http.NewRequest(http.MethodPost, r.base+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d, want 413", resp.StatusCode)
	}
}

var requestIDText = regexp.MustCompile(`request id [0-9a-f]{16}`)

// Issue #9 §2: Sentry answers 401 and its token endpoint then fails with a
// 503. That is Sentry having trouble, not the grant dying: the call is a
// tool error saying to try again (with a request id), the grant is not
// stale, and the next request is not a 401.
func TestTransientRefreshFailureIsAToolError(t *testing.T) {
	t.Parallel()
	r := newRemote(t, mcpserver.HTTPOptions{})
	token := r.connect("alice", sentrytest.AliceID, "/mcp")
	s := r.mustSession(token, "/mcp")
	r.mu.Lock()
	r.refreshErr = errors.New("sentry oauth: refresh: token endpoint answered 503")
	r.mu.Unlock()
	r.fake.ExpireTokens()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	msg := text(res)
	if !res.IsError || !strings.Contains(msg, "try again in a minute") || strings.Contains(msg, "Sign in") || !requestIDText.MatchString(msg) {
		t.Fatalf("after a 503 from the token endpoint: isError=%t %q", res.IsError, msg)
	}
	if st, err := r.vault.Status(context.Background(), "mcp:alice"); err != nil || st.Stale {
		t.Fatalf("grant after a transient refresh failure: stale=%t err=%v", st.Stale, err)
	}
	if resp := r.post("/mcp", token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("next request: %d, want 200 (not a sign-in)", resp.StatusCode)
	}
}

// Issue #9 §4: with lookout's database down, a client is neither told to
// sign in (401) nor shown the database's address: requests still get in,
// and a tool call that needs the grant says to try again, with a request
// id.
func TestDatabaseDownIsNotASignIn(t *testing.T) {
	t.Parallel()
	r := newRemote(t, mcpserver.HTTPOptions{})
	r.rowless = true // authserver's verifier reads the grant with the token: a failure there fails the request
	token := r.connect("alice", sentrytest.AliceID, "/mcp")
	r.store.Set(storetest.Fail, "GetGrant")
	resp := r.post("/mcp", token, nil)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500 {
		t.Fatalf("initialize with the database down: %d, want it served", resp.StatusCode)
	}
	s := r.mustSession(token, "/mcp")
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	msg := text(res)
	if !res.IsError || !strings.Contains(msg, "try again in a minute") || !requestIDText.MatchString(msg) {
		t.Fatalf("tool call with the database down: isError=%t %q", res.IsError, msg)
	}
	for _, internal := range []string{"10.0.0.5", "dial tcp", "5432", "GetGrant", "vault:"} {
		if strings.Contains(msg, internal) {
			t.Fatalf("the tool result shows internals (%q): %q", internal, msg)
		}
	}
}

// Issue #9 §4: one budget per tool call, retries included. Sentry
// answering in 30 s no longer makes a call take minutes.
func TestToolCallBudget(t *testing.T) {
	t.Parallel()
	r := newRemote(t, mcpserver.HTTPOptions{ToolTimeout: 500 * time.Millisecond})
	token := r.connect("alice", sentrytest.AliceID, "/mcp")
	s := r.mustSession(token, "/mcp")
	r.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/", Latency: 30 * time.Second})
	start := time.Now()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the call took %v with a 500ms budget", d)
	}
	if msg := text(res); !res.IsError || !strings.Contains(msg, "took longer than 500ms") || !requestIDText.MatchString(msg) {
		t.Fatalf("over budget: isError=%t %q", res.IsError, msg)
	}
}
