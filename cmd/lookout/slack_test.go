//go:build !stdio

package main

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/vault"
)

// serve wires the vault's OnStale to the Slack bot (issue #11 §3),
// LOOKOUT_SLACK_THREADS and LOOKOUT_SLACK_PERMISSIONS to it, and mounts its
// interactivity and slash command endpoints: a Slack user's grant that
// Sentry refuses to refresh is reported to the bot, which queues the
// private notice.
func TestServeWiresTheSlackBot(t *testing.T) {
	key := randomSecret()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "lookout.db")
	fakeSlack := slacktest.NewServer(t, slacktest.Options{})
	fakeSentry := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	const base = "http://127.0.0.1:18095"
	principal := "slack:" + slacktest.DefaultTeamID + ":UALICE"

	// Alice connected once; her access token has expired and Sentry no
	// longer knows her refresh token (she revoked lookout).
	st, err := sqlstore.OpenSQLite(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(key)
	kr, err := vault.NewKeyring(vault.Key{ID: "k1", Secret: secret.FromBytes(raw)})
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(st, kr, vault.Options{})
	if _, err := v.Put(t.Context(), vault.Grant{Principal: principal, Scopes: []string{"org:read", "event:read"},
		Token: vault.NewToken("expired-access-token", "revoked-refresh-token", time.Now().Add(-time.Hour))}); err != nil {
		t.Fatal(err)
	}
	v.Close(t.Context())
	st.Close()

	logs := &logtest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	env := &environment{stdout: logs, stderr: logs, getenv: envOf(map[string]string{
		"LOOKOUT_BASE_URL": base, "LOOKOUT_ADDR": "127.0.0.1:18095",
		"SENTRY_URL": fakeSentry.URL, "SENTRY_CLIENT_ID": sentrytest.DefaultClientID, "SENTRY_CLIENT_SECRET": sentrytest.DefaultClientSecret,
		"COOKIE_SECRET": randomSecret(), "LOOKOUT_ENCRYPTION_KEYS": "k1:" + key, "DATABASE_URL": dsn,
		"SLACK_BOT_TOKEN": slacktest.DefaultBotToken, "SLACK_SIGNING_SECRET": slacktest.DefaultSigningSecret,
		"SLACK_API_URL": fakeSlack.URL, "LOOKOUT_SLACK_THREADS": "mention", "LOOKOUT_SLACK_PERMISSIONS": "read,triage",
	})}
	done := make(chan int)
	go func() { done <- run(ctx, env, []string{"serve"}) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()
	waitUntil(t, "serve to come up", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	q := fakeSlack.AddMessage(slacktest.Message{Channel: "C1", User: "UALICE", Text: slacktest.Mention(fakeSlack.Options().BotUserID) + " issues acme"})
	resp, err := http.DefaultClient.Do(slacktest.SignedRequest(base+"/api/webhooks/slack", slacktest.DefaultSigningSecret,
		fakeSlack.EventCallback("Ev1", slacktest.AppMention, q)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitUntil(t, "the bot to hear that alice's grant died", func() bool {
		return strings.Contains(logs.String(), "a Slack user's grant died; they will be told privately")
	})
	if !strings.Contains(logs.String(), `"threads":"mention"`) {
		t.Errorf("the bot does not run with LOOKOUT_SLACK_THREADS=mention:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"triage":true`) {
		t.Errorf("the bot does not run with LOOKOUT_SLACK_PERMISSIONS=read,triage:\n%s", logs.String())
	}
	for _, path := range []string{"/api/webhooks/slack/commands", "/api/webhooks/slack/interactive"} {
		resp, err := http.DefaultClient.Do(slacktest.SignedForm(base+path, slacktest.DefaultSigningSecret,
			fakeSlack.SlashCommand("UALICE", "C1", "/sentry", "help")))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "only you can see this") {
			t.Errorf("POST %s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// waitUntil polls cond until it holds, for up to 10 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
