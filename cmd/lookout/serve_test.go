//go:build !stdio

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Issue #8: serve refuses an all-zero encryption key and a cookie secret of
// 32 identical characters, naming each variable and the fix.
func TestServeRefusesWeakSecrets(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := &environment{stdout: io.Discard, stderr: &stderr, getenv: envOf(map[string]string{
		"LOOKOUT_BASE_URL": "http://127.0.0.1:1", "SENTRY_CLIENT_ID": "id", "SENTRY_CLIENT_SECRET": "sentry-client-secret",
		"COOKIE_SECRET":           strings.Repeat("a", 32),
		"LOOKOUT_ENCRYPTION_KEYS": "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"DATABASE_URL":            "sqlite://" + t.TempDir() + "/lookout.db",
	})}
	if code := run(context.Background(), env, []string{"serve"}); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"COOKIE_SECRET is too easy to guess", `LOOKOUT_ENCRYPTION_KEYS: key "k1" is not random`, "openssl rand"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message lacks %q:\n%s", want, stderr.String())
		}
	}
}

// serve names every missing or weak setting and how to fix it, at once.
func TestServeRefusesToStartWithoutItsSettings(t *testing.T) {
	var stderr bytes.Buffer
	env := &environment{stdout: io.Discard, stderr: &stderr, getenv: envOf(map[string]string{
		"COOKIE_SECRET": "too-short",
	})}
	if code := run(context.Background(), env, []string{"serve"}); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"LOOKOUT_BASE_URL", "SENTRY_CLIENT_ID", "SENTRY_CLIENT_SECRET", "COOKIE_SECRET", "LOOKOUT_ENCRYPTION_KEYS", "openssl rand"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message lacks %s:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "too-short") {
		t.Error("the message repeats a secret value")
	}
}

// A base URL with a path is refused with the other configuration
// problems, not later by a component with an internal message.
func TestServeRefusesABaseURLWithAPath(t *testing.T) {
	t.Parallel()
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32))
	var stderr bytes.Buffer
	env := &environment{stdout: io.Discard, stderr: &stderr, getenv: envOf(map[string]string{
		"LOOKOUT_BASE_URL": "https://example.com/lookout", "SENTRY_CLIENT_ID": "cid", "SENTRY_CLIENT_SECRET": "cs",
		"COOKIE_SECRET": secret, "LOOKOUT_ENCRYPTION_KEYS": "k1:" + secret,
		"DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "lookout.db"),
	})}
	if code := run(context.Background(), env, []string{"serve"}); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	want := "lookout serve: not starting:\nLOOKOUT_BASE_URL must be just scheme://host[:port], without a path;"
	if !strings.HasPrefix(stderr.String(), want) || strings.Contains(stderr.String(), "authserver") {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", stderr.String(), want)
	}
}

// serve --help names every variable serve requires (whatever RequireServe
// asks of an empty environment) and the most used optional ones.
func TestServeHelpNamesItsVariables(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCapture("serve", "--help")
	if code != 0 {
		t.Fatalf("serve --help: exit %d", code)
	}
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	missing := cfg.RequireServe()
	if missing == nil {
		t.Fatal("RequireServe asks nothing of an empty environment")
	}
	required := stdout[strings.Index(stdout, "required:"):strings.Index(stdout, "most used optional:")]
	var names []string
	for _, line := range strings.Split(missing.Error(), "\n") {
		name, _, _ := strings.Cut(line, " ")
		names = append(names, name)
		if !regexp.MustCompile(`(?m)^  ` + name + ` +\S`).MatchString(required) {
			t.Errorf("serve --help does not list %s among the required variables:\n%s", name, stdout)
		}
	}
	if len(names) != 5 {
		t.Errorf("RequireServe names %v; update serve --help and this test together", names)
	}
	for _, want := range []string{"--addr=ADDR", "--base-url=URL", "--database-url=URL",
		"DATABASE_URL", "LOOKOUT_ADDR", "SENTRY_URL", "SLACK_BOT_TOKEN", "/api/oauth/callback/sentry", "openssl rand -base64 32"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, stdout)
		}
	}
}

// syncWriter lets a test read what a running command has written so far.
type lineWriter struct{ lines chan string }

func (w lineWriter) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		w.lines <- sc.Text()
	}
	return len(p), nil
}

// serve starts, logs the redirect URL the Sentry OAuth app must have, and
// answers health checks and OAuth discovery; cancelling shuts it down.
func TestServeStartsAndShutsDown(t *testing.T) {
	secret := randomSecret()
	stderr := lineWriter{lines: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	env := &environment{stdout: io.Discard, stderr: stderr, getenv: envOf(map[string]string{
		"LOOKOUT_BASE_URL":        "http://127.0.0.1:18089",
		"LOOKOUT_ADDR":            "127.0.0.1:18089",
		"SENTRY_CLIENT_ID":        "cid",
		"SENTRY_CLIENT_SECRET":    "client-secret-value",
		"COOKIE_SECRET":           secret,
		"LOOKOUT_ENCRYPTION_KEYS": "k1:" + secret,
		"DATABASE_URL":            "sqlite://" + filepath.Join(t.TempDir(), "lookout.db"),
	})}
	done := make(chan int)
	go func() { done <- run(ctx, env, []string{"serve"}) }()

	redirect := regexp.MustCompile(`"redirect_url":"http://127.0.0.1:18089/api/oauth/callback/sentry"`)
	deadline := time.After(10 * time.Second)
	for found := false; !found; {
		select {
		case line := <-stderr.lines:
			if strings.Contains(line, "client-secret-value") {
				t.Fatalf("a log line carries the client secret: %s", line)
			}
			found = redirect.MatchString(line)
		case <-deadline:
			t.Fatal("serve never logged the Sentry redirect URL")
		case code := <-done:
			t.Fatalf("serve exited with %d", code)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/.well-known/oauth-authorization-server"} {
		resp, err := http.Get("http://127.0.0.1:18089" + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d after shutdown", code)
		}
	case <-time.After(35 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// demo needs no configuration: it prints how to connect and serves MCP
// discovery against its built-in fake Sentry. The demo token it prints
// works on its /mcp, from a browser at the MCP Inspector's origin too.
func TestDemoRunsWithoutConfiguration(t *testing.T) {
	var stdout logtest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	env := &environment{stdout: &stdout, stderr: io.Discard, getenv: envOf(nil), self: "./lookout"}
	done := make(chan int)
	go func() { done <- run(ctx, env, []string{"demo", "--addr=127.0.0.1:18090"}) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("demo printed no instructions:\n%s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	const mcpURL = "http://127.0.0.1:18090/mcp"
	banner := stdout.String()
	for _, want := range []string{"claude mcp add --transport http lookout " + mcpURL, "alice", "Inspector"} {
		if !strings.Contains(banner, want) {
			t.Errorf("instructions lack %q", want)
		}
	}
	m := regexp.MustCompile(`Demo token +(sntryu_[0-9a-f]{64}) `).FindStringSubmatch(banner)
	f := regexp.MustCompile(`Fake Sentry +(http://127\.0\.0\.1:[0-9]+) `).FindStringSubmatch(banner)
	if m == nil || f == nil {
		t.Fatalf("no demo token or fake Sentry URL in the banner:\n%s", banner)
	}
	token, fakeURL := m[1], f[1]
	for _, want := range []string{
		`npx @modelcontextprotocol/inspector --cli ` + mcpURL + ` --transport http --method tools/list --header "Authorization: Bearer ` + token + `"`,
		"./lookout mcp --url " + fakeURL + " --access-token " + token,
	} {
		if !strings.Contains(banner, want+"\n") {
			t.Errorf("the banner lacks the line %q:\n%s", want, banner)
		}
	}

	resp, err := http.Get("http://127.0.0.1:18090/.well-known/oauth-protected-resource/mcp")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata: %d", resp.StatusCode)
	}
	// The demo token reads alice's organizations through /mcp, also from
	// the Inspector's origin; a made-up one reads nothing (the fake Sentry
	// refuses it).
	for bearer, wantOrgs := range map[string]bool{token: true, "sntryu_" + strings.Repeat("0", 64): false} {
		for _, origin := range []string{"", "http://localhost:6274", "http://127.0.0.1:6277"} {
			req, _ := http.NewRequest(http.MethodPost, mcpURL, strings.NewReader(
				`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"find_organizations","arguments":{}}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Authorization", "Bearer "+bearer)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "globex") != wantOrgs {
				t.Errorf("find_organizations with the %s token, origin %q: %d %s", map[bool]string{true: "demo", false: "made-up"}[bearer == token], origin, resp.StatusCode, body)
			}
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d", code)
	}
}

// With SLACK_BOT_TOKEN, serve runs the Slack bot too: a mention from a
// user without a grant gets a private connect link pointing at this
// lookout, and the thread a note without it.
func TestServeRunsTheSlackBot(t *testing.T) {
	secret := randomSecret()
	fakeSlack := slacktest.NewServer(t, slacktest.Options{})
	fakeSentry := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	const base = "http://127.0.0.1:18091"
	ctx, cancel := context.WithCancel(context.Background())
	env := &environment{stdout: io.Discard, stderr: io.Discard, getenv: envOf(map[string]string{
		"LOOKOUT_BASE_URL": base, "LOOKOUT_ADDR": "127.0.0.1:18091",
		"SENTRY_URL": fakeSentry.URL, "SENTRY_CLIENT_ID": sentrytest.DefaultClientID, "SENTRY_CLIENT_SECRET": sentrytest.DefaultClientSecret,
		"COOKIE_SECRET": secret, "LOOKOUT_ENCRYPTION_KEYS": "k1:" + secret,
		"DATABASE_URL":         "sqlite://" + filepath.Join(t.TempDir(), "lookout.db"),
		"SLACK_BOT_TOKEN":      slacktest.DefaultBotToken,
		"SLACK_SIGNING_SECRET": slacktest.DefaultSigningSecret,
		"SLACK_API_URL":        fakeSlack.URL,
	})}
	done := make(chan int)
	go func() { done <- run(ctx, env, []string{"serve"}) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	q := fakeSlack.AddMessage(slacktest.Message{Channel: "C1", User: "UALICE", Text: slacktest.Mention(fakeSlack.Options().BotUserID) + " issues acme"})
	req := slacktest.SignedRequest(base+"/api/webhooks/slack", slacktest.DefaultSigningSecret,
		fakeSlack.EventCallback("Ev1", slacktest.AppMention, q))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event: %d", resp.StatusCode)
	}
	for len(fakeSlack.Calls("chat.postEphemeral")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no private connect link sent")
		}
		time.Sleep(20 * time.Millisecond)
	}
	eph := fakeSlack.Calls("chat.postEphemeral")[0]
	if eph.Get("user") != "UALICE" || !strings.Contains(eph.Get("text"), base+"/connect/sentry?s=") {
		t.Fatalf("ephemeral: user %q text %q", eph.Get("user"), eph.Get("text"))
	}
	for _, c := range fakeSlack.Calls("chat.postMessage") {
		if strings.Contains(c.Get("text"), "/connect/sentry") {
			t.Fatalf("a connect link was posted in the channel: %q", c.Get("text"))
		}
	}
	// The bot's work shows in /metrics: the question recorded (before
	// Slack got its 200) and the queue this replica holds.
	_, families := scrapeMetrics(t, base+"/metrics")
	for _, s := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"lookout_slack_events_total", map[string]string{"kind": "message", "outcome": "recorded"}, 1},
		{"lookout_slack_queue_capacity", nil, 256},
		{"lookout_http_requests_total", map[string]string{"route": "POST /api/webhooks/slack", "code": "200"}, 1},
	} {
		if v, ok := metricValue(families, s.name, s.labels); !ok || v != s.want {
			t.Errorf("%s%v = %v (present: %t), want %v", s.name, s.labels, v, ok, s.want)
		}
	}
}

// serve enforces LOOKOUT_AUDIT_RETENTION (issue #8, finding 5: audit rows
// never expired): at start, and every sweep after, events older than the
// retention are deleted and newer ones kept.
func TestServeEnforcesAuditRetention(t *testing.T) {
	dsn := storetest.SQLiteDSN(t)
	st, err := sqlstore.OpenSQLite(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, e := range []store.AuditEvent{
		{Time: now.Add(-40 * 24 * time.Hour), Action: "client.registered", Detail: "old"},
		{Time: now.Add(-20 * 24 * time.Hour), Action: "client.registered", Detail: "recent"},
	} {
		if err := st.AppendAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	secret := randomSecret()
	ctx, cancel := context.WithCancel(context.Background())
	env := &environment{stdout: io.Discard, stderr: io.Discard, getenv: envOf(map[string]string{
		"LOOKOUT_BASE_URL":        "http://127.0.0.1:18093",
		"LOOKOUT_ADDR":            "127.0.0.1:18093",
		"SENTRY_CLIENT_ID":        "cid",
		"SENTRY_CLIENT_SECRET":    "client-secret-value",
		"COOKIE_SECRET":           secret,
		"LOOKOUT_ENCRYPTION_KEYS": "k1:" + secret,
		"DATABASE_URL":            dsn,
		"LOOKOUT_AUDIT_RETENTION": "720h",
	})}
	done := make(chan int)
	go func() { done <- run(ctx, env, []string{"serve"}) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()

	reader, err := sqlstore.OpenSQLite(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		es, err := reader.ListAudit(t.Context(), "", 0)
		if err == nil && len(es) == 1 {
			if es[0].Detail != "recent" {
				t.Fatalf("kept %+v, want the recent event", es[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit events after serve started: %+v (%v), want only the recent one", es, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
