//go:build !stdio

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// adminBackends runs fn against a fresh SQLite file and, with
// LOOKOUT_TEST_POSTGRES_URL, a fresh PostgreSQL schema: the DATABASE_URL
// serve and admin share.
func adminBackends(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, storetest.SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, storetest.PostgresDSN(t)) })
}

// keySpec is one entry of LOOKOUT_ENCRYPTION_KEYS.
type keySpec struct {
	id  string
	raw []byte
}

func newKeySpec(id string) keySpec {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return keySpec{id, b}
}

func keysEnv(keys ...keySpec) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, k.id+":"+base64.StdEncoding.EncodeToString(k.raw))
	}
	return strings.Join(parts, ",")
}

// admin runs `lookout admin args...` in-process with DATABASE_URL and
// LOOKOUT_ENCRYPTION_KEYS set.
func admin(t *testing.T, dsn string, keys []keySpec, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	vars := map[string]string{"DATABASE_URL": dsn}
	if len(keys) > 0 {
		vars["LOOKOUT_ENCRYPTION_KEYS"] = keysEnv(keys...)
	}
	env := &environment{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: envOf(vars), self: "lookout"}
	code = run(t.Context(), env, append([]string{"admin"}, args...))
	return code, out.String(), errb.String()
}

// adminOK runs admin and fails t unless it exits 0.
func adminOK(t *testing.T, dsn string, keys []keySpec, args ...string) string {
	t.Helper()
	code, stdout, stderr := admin(t, dsn, keys, args...)
	if code != 0 {
		t.Fatalf("lookout admin %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

func adminJSON[T any](t *testing.T, dsn string, keys []keySpec, args ...string) T {
	t.Helper()
	var v T
	out := adminOK(t, dsn, keys, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("lookout admin %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// seedVault opens the database as a vault would, to put grants directly.
func seedVault(t *testing.T, dsn string, keys ...keySpec) (store.Store, *vault.Vault) {
	t.Helper()
	var st *sqlstore.Store
	var err error
	if strings.HasPrefix(dsn, "sqlite:") {
		st, err = sqlstore.OpenSQLite(t.Context(), dsn)
	} else {
		st, err = sqlstore.OpenPostgres(t.Context(), dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var vks []vault.Key
	for _, k := range keys {
		vks = append(vks, vault.Key{ID: k.id, Secret: secret.FromBytes(k.raw)})
	}
	kr, err := vault.NewKeyring(vks...)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(st, kr, vault.Options{})
	t.Cleanup(func() { v.Close(context.Background()) })
	return st, v
}

func seedGrant(principal, user string, expiry time.Time) vault.Grant {
	return vault.Grant{Principal: principal, Scopes: []string{"org:read", "event:read"},
		User:  vault.SentryUser{ID: user, Email: user + "@example.com"},
		Token: vault.NewToken("sntryu_seed_access_"+principal, "seed_refresh_"+principal, expiry)}
}

// Every admin subcommand has --help (exit 0); unknown ones and missing
// arguments are usage errors (exit 2); nothing needs a database for that.
func TestAdminUsage(t *testing.T) {
	t.Parallel()
	for _, c := range adminCommands() {
		args := append([]string{"admin"}, strings.Fields(c.name)...)
		code, stdout, stderr := runCapture(append(args, "--help")...)
		if code != 0 || !strings.Contains(stdout, "usage: lookout admin "+c.name) || !strings.Contains(stdout, "exit status") ||
			!strings.Contains(stdout, "--database-url=URL") || stderr != "" {
			t.Errorf("%s --help: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"admin"}, 2, "usage: lookout admin"},
		{[]string{"admin", "--help"}, 0, "keys rotate"},
		{[]string{"admin", "grants"}, 2, "grants revoke"},
		{[]string{"admin", "grants", "--help"}, 0, "grants list"},
		{[]string{"admin", "grants", "delete"}, 2, `unknown subcommand "delete"`},
		{[]string{"admin", "nope"}, 2, `unknown subcommand "nope"`},
		{[]string{"admin", "grants", "revoke"}, 2, "missing PRINCIPAL"},
		{[]string{"admin", "grants", "revoke", "a", "b"}, 2, `unexpected argument "b"`},
		{[]string{"admin", "clients", "revoke", "--json"}, 2, "flag provided but not defined: --json"},
		{[]string{"admin", "grants", "list", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"admin", "audit", "--since=1d"}, 2, "--since"},
	} {
		code, stdout, stderr := runCapture(tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("%v: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant %q", tc.args, code, tc.code, stdout, stderr, tc.want)
		}
	}
	// Grants are opened with the keys serve uses: without them, say so.
	code, _, stderr := runCapture("admin", "grants", "list", "--database-url=sqlite://"+filepath.Join(t.TempDir(), "x.db"))
	if code != 1 || !strings.Contains(stderr, "LOOKOUT_ENCRYPTION_KEYS is not set") {
		t.Errorf("grants list without keys: exit %d, %s", code, stderr)
	}
}

// grants list shows metadata (never a token), --stale only the grants
// that cannot be used, --json an array of objects with a principal.
func TestAdminGrantsList(t *testing.T) {
	adminBackends(t, func(t *testing.T, dsn string) {
		k1, lost := newKeySpec("k1"), newKeySpec("lost")
		st, v := seedVault(t, dsn, k1)
		exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		for _, p := range []string{"mcp:alpha", "slack:T1:U1", "mcp:stale"} {
			if _, err := v.Put(t.Context(), seedGrant(p, "42", exp)); err != nil {
				t.Fatal(err)
			}
		}
		if err := v.MarkStale(t.Context(), "mcp:stale", "test"); err != nil {
			t.Fatal(err)
		}
		_, other := seedVault(t, dsn, lost)
		if _, err := other.Put(t.Context(), seedGrant("mcp:lost", "7", exp)); err != nil {
			t.Fatal(err)
		}
		if err := st.TouchGrant(t.Context(), "mcp:alpha", exp.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}

		type row struct {
			Principal  string           `json:"principal"`
			SentryUser vault.SentryUser `json:"sentry_user"`
			Scopes     []string         `json:"scopes"`
			KeyID      string           `json:"key_id"`
			Expiry     *time.Time       `json:"expiry"`
			LastUsedAt *time.Time       `json:"last_used_at"`
			State      string           `json:"state"`
		}
		rows := adminJSON[[]row](t, dsn, []keySpec{k1}, "grants", "list")
		states := map[string]string{}
		for _, r := range rows {
			states[r.Principal] = r.State
			if r.Principal == "mcp:alpha" && (r.SentryUser.ID != "42" || r.KeyID != "k1" || r.Expiry == nil || !r.Expiry.Equal(exp) ||
				r.LastUsedAt == nil || !slices.Equal(r.Scopes, []string{"org:read", "event:read"})) {
				t.Errorf("mcp:alpha: %+v", r)
			}
		}
		want := map[string]string{"mcp:alpha": "active", "slack:T1:U1": "active", "mcp:stale": "stale", "mcp:lost": "key missing"}
		if !maps.Equal(states, want) {
			t.Errorf("states %v, want %v", states, want)
		}
		stale := adminJSON[[]row](t, dsn, []keySpec{k1}, "grants", "list", "--stale")
		if len(stale) != 2 || stale[0].Principal != "mcp:lost" || stale[1].Principal != "mcp:stale" {
			t.Errorf("--stale: %+v", stale)
		}
		tableOut := adminOK(t, dsn, []keySpec{k1}, "grants", "list")
		for _, w := range []string{"PRINCIPAL", "SENTRY USER", "LAST USED", "mcp:alpha", "42 (42@example.com)", "org:read event:read", "key missing"} {
			if !strings.Contains(tableOut, w) {
				t.Errorf("table lacks %q:\n%s", w, tableOut)
			}
		}
		all := tableOut + fmt.Sprint(rows)
		if strings.Contains(all, "sntryu_seed") || strings.Contains(all, "seed_refresh") {
			t.Fatalf("grants list shows a token:\n%s", all)
		}
		if empty := adminOK(t, seedDSN(t, dsn), []keySpec{k1}, "grants", "list", "--json"); strings.TrimSpace(empty) != "[]" {
			t.Errorf("no grants, --json: %q, want []", empty)
		}
	})
}

// seedDSN returns a DSN of another fresh database of dsn's kind.
func seedDSN(t *testing.T, dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return storetest.SQLiteDSN(t)
	}
	return storetest.PostgresDSN(t)
}

// clients list shows registered clients and metadata-document ones with
// their tokens and approvals; audit filters by principal, action and age.
func TestAdminClientsListAndAudit(t *testing.T) {
	adminBackends(t, func(t *testing.T, dsn string) {
		st, _ := seedVault(t, dsn, newKeySpec("k1"))
		ctx, now := t.Context(), time.Now()
		if err := st.CreateClient(ctx, store.Client{ID: "reg-1", Metadata: []byte(`{"client_name":"Claude Code"}`), CreatedAt: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		const doc = "https://client.example/oauth/metadata.json"
		for i, tk := range []store.Token{
			{Hash: "h1", Kind: store.AccessToken, ClientID: "reg-1", Principal: "mcp:a", FamilyID: "f1", Resource: "r", Scope: "read", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{Hash: "h2", Kind: store.AccessToken, ClientID: doc, Principal: "mcp:b", FamilyID: "f2", Resource: "r", Scope: "read", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		} {
			if err := st.CreateToken(ctx, tk); err != nil {
				t.Fatal(i, err)
			}
		}
		if err := st.CreateApproval(ctx, store.Approval{ID: "ap", ClientID: doc, Scope: "read", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		type client struct {
			ClientID   string `json:"client_id"`
			Name       string `json:"name"`
			Kind       string `json:"kind"`
			Tokens     int    `json:"tokens"`
			Principals int    `json:"principals"`
			Approvals  int    `json:"approvals"`
		}
		got := adminJSON[[]client](t, dsn, nil, "clients", "list")
		want := []client{
			{ClientID: doc, Name: "document on client.example", Kind: "document", Tokens: 1, Principals: 1, Approvals: 1},
			{ClientID: "reg-1", Name: "Claude Code", Kind: "registered", Tokens: 1, Principals: 1},
		}
		if !slices.Equal(got, want) {
			t.Errorf("clients list:\n got %+v\nwant %+v", got, want)
		}
		if out := adminOK(t, dsn, nil, "clients", "list"); !strings.Contains(out, "Claude Code") || !strings.Contains(out, "APPROVALS") {
			t.Errorf("clients table:\n%s", out)
		}

		for i, e := range []store.AuditEvent{
			{Time: now.Add(-48 * time.Hour), Principal: "mcp:a", Action: "grant.connected", Detail: "old"},
			{Time: now.Add(-time.Hour), Principal: "mcp:a", Action: "grant.refreshed", Detail: "recent"},
			{Time: now.Add(-time.Minute), Principal: "mcp:b", Action: "grant.stale", Detail: "refused"},
			{Time: now, Principal: "", Action: "keys.rotated", Detail: "rotation"},
		} {
			if err := st.AppendAudit(ctx, e); err != nil {
				t.Fatal(i, err)
			}
		}
		type event struct {
			Principal, Action, Detail string
		}
		details := func(args ...string) []string {
			t.Helper()
			var out []string
			for _, e := range adminJSON[[]event](t, dsn, nil, append([]string{"audit"}, args...)...) {
				out = append(out, e.Detail)
			}
			return out
		}
		for _, tc := range []struct {
			args []string
			want []string
		}{
			{nil, []string{"rotation", "refused", "recent", "old"}},
			{[]string{"--principal=mcp:a"}, []string{"recent", "old"}},
			{[]string{"--action=grant.*"}, []string{"refused", "recent", "old"}},
			{[]string{"--action", "grant.stale"}, []string{"refused"}},
			{[]string{"--since=24h"}, []string{"rotation", "refused", "recent"}},
			{[]string{"--principal=mcp:a", "--since=24h", "--action=grant.*"}, []string{"recent"}},
			{[]string{"--limit=1"}, []string{"rotation"}},
		} {
			if got := details(tc.args...); !slices.Equal(got, tc.want) {
				t.Errorf("audit %v: %q, want %q", tc.args, got, tc.want)
			}
		}
		if out := adminOK(t, dsn, nil, "audit", "--principal=nobody"); !strings.Contains(out, "No audit events match") {
			t.Errorf("audit with no match:\n%s", out)
		}
	})
}

// keys check counts grants per key id and fails (exit 1) naming the ids
// LOOKOUT_ENCRYPTION_KEYS lacks; keys rotate re-seals everything under the
// first key, resumably.
func TestAdminKeys(t *testing.T) {
	adminBackends(t, func(t *testing.T, dsn string) {
		k1, k2 := newKeySpec("k1"), newKeySpec("k2")
		st, v1 := seedVault(t, dsn, k1)
		exp := time.Now().Add(time.Hour)
		for i := range 5 {
			if _, err := v1.Put(t.Context(), seedGrant(fmt.Sprintf("mcp:%d", i), "42", exp)); err != nil {
				t.Fatal(err)
			}
		}
		_, v2 := seedVault(t, dsn, k2, k1)
		if _, err := v2.Put(t.Context(), seedGrant("mcp:0", "42", exp)); err != nil { // an interrupted rotation did one
			t.Fatal(err)
		}
		type check struct {
			Primary    string   `json:"primary"`
			Missing    []string `json:"missing"`
			NotPrimary int      `json:"not_primary"`
			Keys       []struct {
				ID         string `json:"id"`
				Grants     int    `json:"grants"`
				Configured bool   `json:"configured"`
			} `json:"keys"`
		}
		c := adminJSON[check](t, dsn, []keySpec{k2, k1}, "keys", "check")
		if c.Primary != "k2" || c.NotPrimary != 4 || len(c.Missing) != 0 || len(c.Keys) != 2 || c.Keys[0].Grants != 1 || c.Keys[1].Grants != 4 {
			t.Errorf("keys check before rotation: %+v", c)
		}
		if out := adminOK(t, dsn, []keySpec{k2, k1}, "keys", "check"); !strings.Contains(out, "4 grants are sealed under an older key") {
			t.Errorf("keys check table:\n%s", out)
		}
		// Without k1, those four are missing: exit 1.
		code, stdout, stderr := admin(t, dsn, []keySpec{k2}, "keys", "check")
		if code != 1 || !strings.Contains(stdout, "MISSING") || !strings.Contains(stderr, "add them back") {
			t.Errorf("keys check without k1: exit %d\n%s\n%s", code, stdout, stderr)
		}

		out := adminOK(t, dsn, []keySpec{k2, k1}, "keys", "rotate")
		if !strings.Contains(out, "Scanned 5 grants: re-sealed 4 under key k2, 1 were already under it, 0 could not be opened") {
			t.Errorf("keys rotate:\n%s", out)
		}
		out = adminOK(t, dsn, []keySpec{k2, k1}, "keys", "rotate")
		if !strings.Contains(out, "re-sealed 0 under key k2, 5 were already under it") {
			t.Errorf("keys rotate again:\n%s", out)
		}
		// k1 is retired: only k2 is configured, and every grant opens.
		c = adminJSON[check](t, dsn, []keySpec{k2}, "keys", "check")
		if len(c.Missing) != 0 || c.Keys[0].Grants != 5 {
			t.Errorf("keys check with k2 alone: %+v", c)
		}
		type row struct{ Principal, State string }
		for _, r := range adminJSON[[]row](t, dsn, []keySpec{k2}, "grants", "list") {
			if r.State != "active" {
				t.Errorf("after rotation with k2 alone: %s is %s", r.Principal, r.State)
			}
		}
		// A grant that cannot be opened makes rotate exit 1.
		_, lost := seedVault(t, dsn, newKeySpec("lost"))
		if _, err := lost.Put(t.Context(), seedGrant("mcp:lost", "7", exp)); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr = admin(t, dsn, []keySpec{k2}, "keys", "rotate")
		if code != 1 || !strings.Contains(stdout, "1 could not be opened") || !strings.Contains(stderr, "grants list --stale") {
			t.Errorf("keys rotate with an unopenable grant: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if err := st.DeleteGrant(t.Context(), "mcp:lost"); err != nil {
			t.Fatal(err)
		}
		// A grant under a configured key that does not open (tampered).
		g, err := st.GetGrant(t.Context(), "mcp:3")
		if err != nil {
			t.Fatal(err)
		}
		g.Ciphertext[len(g.Ciphertext)-1] ^= 1
		if _, err := st.PutGrant(t.Context(), g); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr = admin(t, dsn, []keySpec{k2}, "keys", "check")
		if code != 1 || !strings.Contains(stdout, "1 do NOT open") || !strings.Contains(stderr, "tampered or corrupted") {
			t.Errorf("keys check with a tampered grant: exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
}

// liveServer is `lookout serve` running in this process against a fake
// Sentry, on a fixed address so that it can be restarted with other keys.
type liveServer struct {
	t      *testing.T
	base   string
	addr   string
	fake   *sentrytest.Fake
	dsn    string
	cookie string
	logs   *logtest.Buffer
	stop   func()
	// env holds more variables for serve (LOOKOUT_METRICS_ADDR...).
	env map[string]string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newLiveServer(t *testing.T, dsn string) *liveServer {
	addr := freeAddr(t)
	s := &liveServer{t: t, addr: addr, base: "http://" + addr, dsn: dsn, cookie: randomSecret(), logs: &logtest.Buffer{}}
	s.fake = sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	s.fake.SetRedirectURIs(s.base + config.SentryCallbackPath)
	return s
}

// start runs serve with keys until stop (or the test's end).
func (s *liveServer) start(keys ...keySpec) {
	t := s.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	vars := map[string]string{
		"LOOKOUT_BASE_URL": s.base, "LOOKOUT_ADDR": s.addr,
		"SENTRY_URL": s.fake.URL, "SENTRY_CLIENT_ID": sentrytest.DefaultClientID, "SENTRY_CLIENT_SECRET": sentrytest.DefaultClientSecret,
		"COOKIE_SECRET": s.cookie, "LOOKOUT_ENCRYPTION_KEYS": keysEnv(keys...), "DATABASE_URL": s.dsn,
	}
	maps.Copy(vars, s.env)
	env := &environment{stdout: io.Discard, stderr: s.logs, getenv: envOf(vars)}
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, []string{"serve"}) }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("serve exited %d:\n%s", code, s.logs.String())
			}
		})
	}
	t.Cleanup(s.stop)
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d before it was up:\n%s", code, s.logs.String())
		default:
		}
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// signIn registers an MCP client and signs it in through the approval page,
// the fake Sentry's consent and the callback, as a browser would, and
// returns the client id and its access token.
func (s *liveServer) signIn(name string) (clientID, accessToken string) {
	t := s.t
	t.Helper()
	const redirect = "http://127.0.0.1:9/callback"
	body, _ := json.Marshal(map[string]any{"client_name": name, "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	resp, err := http.Post(s.base+"/oauth/register", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var reg map[string]any
	json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	clientID, _ = reg["client_id"].(string)
	if resp.StatusCode != http.StatusCreated || clientID == "" {
		t.Fatalf("register: %d %v", resp.StatusCode, reg)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := oauth.NewVerifier()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "state": {"st"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"scope": {"read"}, "resource": {s.base + "/mcp"}}
	status, page, _ := fetch(t, browser, http.MethodGet, s.base+"/oauth/authorize?"+q.Encode(), nil)
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if status != http.StatusOK || form.Get("csrf_token") == "" {
		t.Fatalf("approval page: %d\n%s", status, page)
	}
	form.Set("decision", "approve")
	next := s.base + "/oauth/authorize"
	method, send := http.MethodPost, form
	for hop := 0; ; hop++ {
		status, page, loc := fetch(t, browser, method, next, send)
		if status < 300 || status > 399 || hop > 5 {
			t.Fatalf("sign-in stopped at %s %s: %d\n%s", method, next, status, page)
		}
		if strings.HasPrefix(loc, redirect) {
			u, _ := url.Parse(loc)
			code := u.Query().Get("code")
			tokenForm := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
				"redirect_uri": {redirect}, "client_id": {clientID}, "resource": {s.base + "/mcp"}}
			status, body, _ := fetch(t, http.DefaultClient, http.MethodPost, s.base+"/oauth/token", tokenForm)
			var tok map[string]any
			json.Unmarshal([]byte(body), &tok)
			accessToken, _ = tok["access_token"].(string)
			if status != http.StatusOK || accessToken == "" {
				t.Fatalf("token: %d %s", status, body)
			}
			return clientID, accessToken
		}
		next, method, send = loc, http.MethodGet, nil
	}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// callTool calls find_organizations on /mcp with token and returns the
// HTTP status and body.
func (s *liveServer) callTool(token string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/mcp", strings.NewReader(
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"find_organizations","arguments":{}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// wantTool asserts that token reads the fake Sentry's organizations.
func (s *liveServer) wantTool(what, token string) {
	s.t.Helper()
	if status, body := s.callTool(token); status != http.StatusOK || !strings.Contains(body, "globex") {
		s.t.Fatalf("%s: find_organizations answered %d: %s", what, status, body)
	}
}

// wantRefused asserts that token gets a 401 from /mcp.
func (s *liveServer) wantRefused(what, token string) {
	s.t.Helper()
	if status, body := s.callTool(token); status != http.StatusUnauthorized {
		s.t.Fatalf("%s: /mcp answered %d, want 401: %s", what, status, body)
	}
}

// principalOf finds the grant principal an MCP client's sign-in created.
func principalOf(t *testing.T, dsn string, keys []keySpec, before []string) string {
	t.Helper()
	type row struct{ Principal string }
	for _, r := range adminJSON[[]row](t, dsn, keys, "grants", "list") {
		if !slices.Contains(before, r.Principal) {
			return r.Principal
		}
	}
	t.Fatal("the sign-in created no grant")
	return ""
}

func grantPrincipals(t *testing.T, dsn string, keys []keySpec) []string {
	t.Helper()
	type row struct{ Principal string }
	var ps []string
	for _, r := range adminJSON[[]row](t, dsn, keys, "grants", "list") {
		ps = append(ps, r.Principal)
	}
	return ps
}

// Issue #11, through real sign-ins on a running serve: grants revoke and
// clients revoke make the MCP tokens issued on them 401 at once, and leave
// other clients alone; keys rotate lets the old key go, after which a
// serve with only the new key still serves every grant.
func TestAdminAgainstARunningServe(t *testing.T) {
	adminBackends(t, func(t *testing.T, dsn string) {
		k1, k2 := newKeySpec("k1"), newKeySpec("k2")
		keys := []keySpec{k1}
		srv := newLiveServer(t, dsn)
		srv.start(k1)

		clientA, tokA := srv.signIn("Client A")
		pA := principalOf(t, dsn, keys, nil)
		clientB, tokB := srv.signIn("Client B")
		pB := principalOf(t, dsn, keys, []string{pA})
		_, tokC := srv.signIn("Client C")
		pC := principalOf(t, dsn, keys, []string{pA, pB})
		for name, tok := range map[string]string{"A": tokA, "B": tokB, "C": tokC} {
			srv.wantTool("client "+name+" before any revoke", tok)
		}

		out := adminOK(t, dsn, keys, "grants", "revoke", pA)
		if !strings.Contains(out, "Deleted the grant of "+pA) {
			t.Errorf("grants revoke:\n%s", out)
		}
		srv.wantRefused("client A after grants revoke", tokA)
		// Revoked, not just orphaned: the client holds no live token.
		type client struct {
			ClientID string `json:"client_id"`
			Tokens   int    `json:"tokens"`
		}
		for _, c := range adminJSON[[]client](t, dsn, nil, "clients", "list") {
			if want := map[bool]int{true: 0, false: 2}[c.ClientID == clientA]; c.Tokens != want {
				t.Errorf("client %s holds %d live tokens after A's revoke, want %d", c.ClientID, c.Tokens, want)
			}
		}
		srv.wantTool("client B after A's revoke", tokB)
		if code, _, stderr := admin(t, dsn, keys, "grants", "revoke", pA); code != 1 || !strings.Contains(stderr, "no grant and no lookout tokens") {
			t.Errorf("revoking again: exit %d %s", code, stderr)
		}

		out = adminOK(t, dsn, keys, "clients", "revoke", clientB)
		if !strings.Contains(out, "Revoked "+clientB) || !strings.Contains(out, "1 Sentry grants") {
			t.Errorf("clients revoke:\n%s", out)
		}
		srv.wantRefused("client B after clients revoke", tokB)
		srv.wantTool("client C after B's revoke", tokC)
		if ps := grantPrincipals(t, dsn, keys); !slices.Equal(ps, []string{pC}) {
			t.Errorf("grants after the revokes: %q, want only %s", ps, pC)
		}
		type event struct{ Principal, Action string }
		var actions []string
		for _, e := range adminJSON[[]event](t, dsn, nil, "audit", "--since=1h") {
			actions = append(actions, e.Action+" "+e.Principal)
		}
		for _, want := range []string{"grant.revoked " + pA, "token.revoked " + pA, "grant.revoked " + pB, "client.revoked ", "grant.connected " + pC} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit lacks %q: %q", want, actions)
			}
		}

		// Rotate to k2 while serve runs with k2 first, then retire k1.
		srv.stop()
		srv.start(k2, k1)
		out = adminOK(t, dsn, []keySpec{k2, k1}, "keys", "rotate")
		if !strings.Contains(out, "re-sealed 1 under key k2") {
			t.Errorf("keys rotate:\n%s", out)
		}
		srv.stop()
		srv.start(k2)
		srv.wantTool("client C with k1 removed", tokC)
		adminOK(t, dsn, []keySpec{k2}, "keys", "check")

		for _, tok := range srv.fake.IssuedTokens() {
			if strings.Contains(srv.logs.String(), tok) {
				t.Fatal("serve logged a Sentry token")
			}
		}
	})
}
