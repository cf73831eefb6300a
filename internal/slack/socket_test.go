package slack

import (
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// TestSocketMode runs the bot over Socket Mode against the fake's
// WebSocket endpoint: envelopes are acknowledged, go through the same
// dispatch as the Events API (dedupe included), and the whole consent
// flow works without any public webhook.
func TestSocketMode(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.node(nodeOptions{socketMode: true}).start(t)
	waitFor(t, "a Socket Mode connection", func() bool { return h.slack.SocketConnections() > 0 })
	if c := h.slack.Calls("apps.connections.open"); len(c) == 0 || c[0].Token != slacktest.DefaultAppToken {
		t.Fatalf("apps.connections.open calls: %+v", c)
	}

	q := h.slack.AddMessage(slacktest.Message{Channel: channel, User: alice, Text: slacktest.Mention(botUser) + " issues acme/checkout"})
	payload := h.slack.EventCallback("EvSOCKET1", slacktest.AppMention, q)
	env1, err := h.slack.SendSocketEvent(payload, 0)
	if err != nil {
		t.Fatal(err)
	}
	env2, err := h.slack.SendSocketEvent(payload, 1) // Slack's retry of the same event
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both envelopes acknowledged", func() bool {
		acks := h.slack.SocketAcks()
		return slices.Contains(acks, env1) && slices.Contains(acks, env2)
	})
	note := h.waitBot(channel, q.TS, 1)[0]
	eph := h.waitCalls("chat.postEphemeral", 1)
	if strings.Contains(note.Text, "http") || eph[0].Get("user") != alice {
		t.Errorf("note %q, ephemeral to %q", note.Text, eph[0].Get("user"))
	}
	h.consent(h.linkIn(eph[0].Get("text")), sentrytest.AliceID)
	msgs := h.waitBot(channel, q.TS, 2)
	if !strings.Contains(msgs[1].Text, "CHECKOUT-") {
		t.Errorf("answer: %q", msgs[1].Text)
	}
	h.quiet()
	if got := len(h.slack.BotMessages(channel, q.TS)); got != 2 {
		t.Errorf("bot messages: %d, want 2 (the retry was dropped)", got)
	}
	if got := len(h.slack.Calls("chat.postEphemeral")); got != 1 {
		t.Errorf("ephemeral messages: %d, want 1", got)
	}
	h.assertNoLeaks()
}
