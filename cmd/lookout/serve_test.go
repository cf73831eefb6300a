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

	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
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
// discovery against its built-in fake Sentry.
func TestDemoRunsWithoutConfiguration(t *testing.T) {
	var stdout logtest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	env := &environment{stdout: &stdout, stderr: io.Discard, getenv: envOf(nil)}
	done := make(chan int)
	go func() { done <- run(ctx, env, []string{"demo", "--addr=127.0.0.1:18090"}) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "claude mcp add") {
		if time.Now().After(deadline) {
			t.Fatalf("demo printed no instructions:\n%s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"http://127.0.0.1:18090/mcp", "alice", "Inspector"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("instructions lack %q", want)
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
}
