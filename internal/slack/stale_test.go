package slack

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// dmTexts returns what the bot posted in alice's direct message.
func (h *harness) dmTexts() []string { return h.answers(aliceDM, "") }

// Issue #11 §3: when a Slack user's grant dies outside any question of
// theirs (an MCP call or the background refresher saw Sentry refuse it),
// they are told privately, once, with a fresh connect link: two replicas
// hearing of it at once send one message; other principals' grants and
// healthy grants send nothing. The link works, and the audit log says so.
func TestStaleGrantToldOnce(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			a, b := h.running(), h.running()
			a.grant(t, h, alicePrincipal, sentrytest.AliceID)
			a.grant(t, h, bobPrincipal, sentrytest.BobID)
			a.grant(t, h, "mcp:client-1", sentrytest.AliceID)

			var wg sync.WaitGroup
			for i := range 10 {
				n := []*node{a, b}[i%2]
				wg.Go(func() {
					if err := n.vault.MarkStale(context.Background(), alicePrincipal, "Sentry answered 401 after a refresh"); err != nil {
						t.Errorf("MarkStale: %v", err)
					}
				})
			}
			wg.Wait()
			if err := b.vault.MarkStale(context.Background(), "mcp:client-1", "Sentry answered 401 after a refresh"); err != nil {
				t.Fatal(err)
			}
			dm := h.waitBot(aliceDM, "", 1)
			h.quiet()
			if got := h.dmTexts(); len(got) != 1 {
				t.Fatalf("direct messages to alice: %q, want one", got)
			}
			if !strings.Contains(dm[0].Text, "expired or was revoked") || !strings.Contains(dm[0].Text, "(Sentry user "+sentrytest.AliceID+")") {
				t.Errorf("notice: %q", dm[0].Text)
			}
			if opens := h.slack.Calls("conversations.open"); len(opens) != 1 || opens[0].Get("users") != alice {
				t.Errorf("conversations.open calls: %+v, want one, with alice", opens)
			}
			if posts := h.slack.Calls("chat.postMessage", "chat.postEphemeral"); len(posts) != 1 {
				t.Errorf("messages sent: %d, want only alice's notice (none for bob's healthy grant or the MCP grant)", len(posts))
			}
			events, err := a.store.ListAudit(context.Background(), alicePrincipal, 0)
			if err != nil || len(events) == 0 || events[0].Action != ActionStaleNotified {
				t.Errorf("audit log of alice: %+v, %v; want %s last", events, err, ActionStaleNotified)
			}
			h.consent(h.linkIn(dm[0].Text), sentrytest.AliceID)
			if st, err := a.vault.Status(context.Background(), alicePrincipal); err != nil || st.Stale {
				t.Errorf("after following the notice's link: %+v, %v", st, err)
			}
			h.assertNoLeaks()
		})
	}
}

// A grant that dies under one of the user's own questions is told in that
// question's thread (a private reconnect link); no second link follows by
// direct message.
func TestStaleGrantHitByAQuestionNoSecondLink(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	h.sentry.RevokeUserTokens(sentrytest.AliceID)
	q := h.mention(alice, channel, "", "issues acme/checkout")
	h.waitBot(channel, q.TS, 1)
	h.quiet()
	if st, err := n.vault.Status(context.Background(), alicePrincipal); err != nil || !st.Stale {
		t.Fatalf("alice's grant: %+v, %v; want stale", st, err)
	}
	if eph := h.slack.Calls("chat.postEphemeral"); len(eph) != 1 || !strings.Contains(eph[0].Get("text"), "expired or was revoked") {
		t.Errorf("private links in the thread: %+v, want one reconnect link", eph)
	}
	if got := h.dmTexts(); len(got) != 0 {
		t.Errorf("direct messages to alice: %q, want none", got)
	}
	if !strings.Contains(h.logs.String(), "a question of theirs got a reconnect link already") {
		t.Error("the notice was not considered (the vault did not report the dead grant?)")
	}
}
