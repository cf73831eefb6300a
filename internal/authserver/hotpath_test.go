package authserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/oauth"
	lookoutsecret "github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// The per-call path of the remote MCP server, as cmd/lookout wires it:
// this package's bearer check in front of mcpserver and the vault. Every
// request reads the store once (the token joined with its grant); a tool
// call decrypts the grant at most once, and only when it sends a Sentry
// request: a ping, or a tool that asks Sentry nothing, decrypts nothing.

// mcpEndpoint is the remote MCP endpoint over e.
func mcpEndpoint(tb testing.TB, e *Server, v *vault.Vault, sentryURL string) http.Handler {
	tb.Helper()
	h, err := mcpserver.NewHTTP(mcpserver.HTTPOptions{
		BaseURL: e.cfg.BaseURL, Verify: e.VerifyAccessToken, MetadataURL: e.ResourceMetadataURL,
		Vault: v, Sentry: sentry.Options{BaseURL: sentryURL},
	})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	return mux
}

// Bodies of the JSON-RPC requests measured, as a client sends them.
const (
	pingRPC     = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}`
	findOrgsRPC = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"find_organizations","arguments":{}}}`
	searchRPC   = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_issues","arguments":{"organizationSlug":"acme","query":"is:unresolved","limit":10}}}`
	toolsRPC    = `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"search_sentry_tools","arguments":{"query":"release deploys"}}}`
)

// rpc sends one JSON-RPC request to the endpoint in process and returns
// the answer, failing on anything but a successful result.
func rpc(tb testing.TB, h http.Handler, base, token, body string) string {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"result"`)) || bytes.Contains(rec.Body.Bytes(), []byte(`"isError":true`)) {
		tb.Fatalf("%s: %d %s", body, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// storeReads are the counted store reads an MCP request could make.
var storeReads = []string{"GetTokenGrant", "GetToken", "GetGrant", "ListGrants", "LeaseGrant"}

func TestMCPRequestReadsTheStoreOnceAndDecryptsAtMostOnce(t *testing.T) {
	t.Parallel()
	var faulty *storetest.Faulty
	e := newEnv(t, envOptions{store: func(t *testing.T) store.Store {
		faulty = storetest.NewFaulty(storetest.SQLite(t))
		return faulty
	}})
	c := e.client(t, "http://127.0.0.1:33418/callback")
	access := c.tokens(t, e.browser(), nil)["access_token"].(string)
	h := mcpEndpoint(t, e.as, e.vault, e.fake.URL)

	for _, call := range []struct {
		name     string
		body     string
		decrypts int64
	}{
		{"ping", pingRPC, 0},
		{"find_organizations", findOrgsRPC, 1},
		{"search_sentry_tools", toolsRPC, 0},
		{"search_issues", searchRPC, 0}, // the same sealed bytes: opened once (vault.openRow)
		{"ping again", pingRPC, 0},
		{"find_organizations again", findOrgsRPC, 0},
	} {
		before := map[string]int{}
		for _, m := range storeReads {
			before[m] = faulty.Calls(m)
		}
		opened := e.vault.Stats().Opened
		rpc(t, h, e.base, access, call.body)
		for _, m := range storeReads {
			want := 0
			if m == "GetTokenGrant" {
				want = 1
			}
			if n := faulty.Calls(m) - before[m]; n != want {
				t.Errorf("%s: %d %s calls, want %d", call.name, n, m, want)
			}
		}
		if n := e.vault.Stats().Opened - opened; n != call.decrypts {
			t.Errorf("%s: %d grant decrypts, want %d", call.name, n, call.decrypts)
		}
	}
}

// The single read keeps every refusal of the bearer check: a revoked
// token, a grant marked stale, a deleted grant and another resource's
// token are 401s, and one user's token never acts as another.
func TestMCPRequestRefusalsAfterOneRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	h := mcpEndpoint(t, e.as, e.vault, e.fake.URL)
	c := e.client(t, "http://127.0.0.1:33418/callback")
	status := func(token, path string) int {
		req := httptest.NewRequest(http.MethodPost, e.base+path, strings.NewReader(pingRPC))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	tokenOf := func() (access, principal string) {
		access = c.tokens(t, e.browser(), nil)["access_token"].(string)
		info, err := e.as.VerifyAccessToken(t.Context(), access, nil)
		if err != nil {
			t.Fatal(err)
		}
		return access, info.UserID
	}

	revoked, _ := tokenOf()
	if err := e.store.RevokeToken(t.Context(), hashString(revoked)); err != nil {
		t.Fatal(err)
	}
	stale, stalePrincipal := tokenOf()
	if err := e.vault.MarkStale(t.Context(), stalePrincipal, "test"); err != nil {
		t.Fatal(err)
	}
	deleted, deletedPrincipal := tokenOf()
	if err := e.vault.Delete(t.Context(), deletedPrincipal, "test"); err != nil {
		t.Fatal(err)
	}
	live, livePrincipal := tokenOf()
	for name, got := range map[string]int{
		"revoked token": status(revoked, "/mcp"), "stale grant": status(stale, "/mcp"),
		"deleted grant": status(deleted, "/mcp"), "token of another resource": status(live, "/mcp/acme"),
	} {
		if got != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, got)
		}
	}
	if got := status(live, "/mcp"); got != http.StatusOK {
		t.Fatalf("live token: %d", got)
	}
	// The row handed on is the token's principal's, whoever else signed in.
	info, err := e.as.VerifyAccessToken(t.Context(), live, nil)
	if err != nil {
		t.Fatal(err)
	}
	if row, ok := info.Extra[vault.GrantRowKey].(store.Grant); !ok || row.Principal != livePrincipal || info.UserID != livePrincipal {
		t.Fatalf("grant row of %s: %+v", livePrincipal, info.Extra[vault.GrantRowKey])
	}
}

// With the database down the bearer check cannot read the token: the
// client is told to try again (a 500 with the request id), never asked to
// sign in again (a 401), and shown nothing of the database.
func TestMCPRequestWithTheDatabaseDown(t *testing.T) {
	t.Parallel()
	p := newHotPath(t)
	p.faulty.Set(storetest.Fail, "GetTokenGrant")
	req := httptest.NewRequest(http.MethodPost, p.base+"/mcp", strings.NewReader(pingRPC))
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusInternalServerError || !strings.Contains(body, "try again in a minute") || !strings.Contains(body, "request id") {
		t.Fatalf("with the database down: %d %q, want a 500 saying to try again", rec.Code, body)
	}
	for _, internal := range []string{"10.0.0.5", "dial tcp", "5432", "GetTokenGrant", "authserver:"} {
		if strings.Contains(body, internal) || strings.Contains(rec.Header().Get("WWW-Authenticate"), internal) {
			t.Fatalf("the answer shows internals (%q): %q", internal, body)
		}
	}
}

// hotPath is the remote MCP server's per-call path set up without an
// OAuth dance (benchmarks have no browser): a grant stored through the
// vault and an access token stored as the token endpoint stores one.
type hotPath struct {
	as     *Server
	vault  *vault.Vault
	h      http.Handler
	base   string
	token  string
	store  store.Store
	faulty *storetest.Faulty
}

func newHotPath(tb testing.TB) *hotPath {
	tb.Helper()
	fake := sentrytest.NewServer(tb, sentrytest.Options{})
	faulty := storetest.NewFaulty(storetest.SQLiteTB(tb))
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	kr, err := vault.NewKeyring(vault.Key{ID: "k1", Secret: lookoutsecret.FromBytes(key)})
	if err != nil {
		tb.Fatal(err)
	}
	v := vault.New(faulty, kr, vault.Options{Sentry: sentry.Options{BaseURL: fake.URL}})
	tb.Cleanup(func() { v.Close(context.Background()) })
	base := "http://127.0.0.1:8080"
	cookie := make([]byte, 32)
	_, _ = rand.Read(cookie)
	as, err := New(Config{BaseURL: base, Store: faulty, Vault: v, SentryURL: fake.URL, CookieSecret: cookie, DevMode: true,
		Sentry: oauth.NewSentry(oauth.SentryConfig{URL: fake.URL, ClientID: "id", ClientSecret: lookoutsecret.New("secret"),
			RedirectURL: base + "/api/oauth/callback/sentry"})})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	const principal = "mcp:bench"
	if _, err := v.Put(ctx, vault.Grant{Principal: principal, Scopes: sentrytest.ReadScopes, User: vault.SentryUser{ID: sentrytest.AliceID},
		Token: vault.NewToken(fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0), "refresh", time.Now().Add(24*time.Hour))}); err != nil {
		tb.Fatal(err)
	}
	token := prefixAccessToken + "bench-token"
	now := time.Now()
	if err := faulty.CreateToken(ctx, store.Token{Hash: hashString(token), Kind: store.AccessToken, ClientID: "bench",
		Principal: principal, FamilyID: "f", Resource: base + "/mcp", Scope: "read", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
		tb.Fatal(err)
	}
	return &hotPath{as: as, vault: v, h: mcpEndpoint(tb, as, v, fake.URL), base: base, token: token, store: faulty, faulty: faulty}
}

// The benchmarks of the per-call path (docs/benchmarks.md, "Go
// benchmarks"):
//
//	go test -run XXX -bench HotPath -benchmem ./internal/authserver

// BenchmarkHotPathBearerCheck: VerifyAccessToken, one read of the token
// joined with its grant.
func BenchmarkHotPathBearerCheck(b *testing.B) {
	p := newHotPath(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.as.VerifyAccessToken(ctx, p.token, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHotPathBind: what binds a tool call to its caller once the
// bearer check has read the row: the vault's check of the row and a
// Sentry client whose token is decrypted on its first request (not here:
// vault's BenchmarkStatus measures a read and a decrypt).
func BenchmarkHotPathBind(b *testing.B) {
	p := newHotPath(b)
	ctx := context.Background()
	info, err := p.as.VerifyAccessToken(ctx, p.token, nil)
	if err != nil {
		b.Fatal(err)
	}
	row := info.Extra[vault.GrantRowKey].(store.Grant)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.vault.Check(ctx, row); err != nil {
			b.Fatal(err)
		}
		if _, err := p.vault.ClientOf(ctx, row); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHotPathPing: one `ping` through the whole HTTP handler: the
// bearer check, the SDK's stateless session, the answer.
func BenchmarkHotPathPing(b *testing.B) {
	p := newHotPath(b)
	b.ReportAllocs()
	for b.Loop() {
		rpc(b, p.h, p.base, p.token, pingRPC)
	}
}

// BenchmarkHotPathFindOrganizations: one tool call end to end, against
// the fake Sentry over loopback HTTP (the fake's own work, in this
// process, is included).
func BenchmarkHotPathFindOrganizations(b *testing.B) {
	p := newHotPath(b)
	rpc(b, p.h, p.base, p.token, findOrgsRPC) // regions, learned once per process
	b.ReportAllocs()
	for b.Loop() {
		rpc(b, p.h, p.base, p.token, findOrgsRPC)
	}
}
