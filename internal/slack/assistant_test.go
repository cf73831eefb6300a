package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// slowAgent answers after release is closed (or its turn ends).
func slowAgent(release chan struct{}) Agent {
	return agentFunc(func(ctx context.Context, tn agent.Turn) (agent.Reply, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return agent.Reply{Text: "echo: " + tn.Text}, nil
	})
}

// An assistant thread: opening it suggests prompts; a question there shows
// the assistant's status while the turn runs (no status message), and
// Slack clears it with the answer.
func TestAssistantThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	release := make(chan struct{})
	n := h.node(nodeOptions{agent: slowAgent(release), configure: func(c *Config) { c.StatusAfter = time.Nanosecond }}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)

	// Slack starts the thread with the app's greeting.
	thread := h.slack.AddMessage(slacktest.Message{Channel: aliceDM, User: botUser, BotID: "B0OTHER", Text: "Hi, how can I help?"}).TS
	h.event(h.slack.AssistantThreadStarted(h.eventID(), alice, aliceDM, thread, channel))
	h.quiet()
	prompts := h.slack.Calls("assistant.threads.setSuggestedPrompts")
	if len(prompts) != 1 || prompts[0].Get("channel_id") != aliceDM || prompts[0].Get("thread_ts") != thread ||
		!strings.Contains(prompts[0].Get("prompts"), "issues is:unresolved") {
		t.Fatalf("suggested prompts: %+v", prompts)
	}

	h.say(alice, aliceDM, thread, "issues acme")
	status := h.waitCalls("assistant.threads.setStatus", 1)
	if status[0].Get("status") != assistantWorking || status[0].Get("thread_ts") != thread {
		t.Errorf("status: %v", status[0].Params)
	}
	// The turn is held past StatusAfter (a nanosecond): a status message
	// would be posted by now, were the assistant's status not shown.
	close(release)
	h.quiet()
	msgs := h.slack.BotMessages(aliceDM, thread)
	if len(msgs) != 1 || msgs[0].Text != "echo: issues acme" || msgs[0].Edits != 0 {
		t.Errorf("thread: %+v; want the answer alone, no status message", msgs)
	}
}

// Without the assistant feature (Slack refuses the status), or in a DM
// thread that is not an assistant thread, a slow turn gets the plain
// status message.
func TestAssistantStatusFallsBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		assistant bool
	}{{"status refused", true}, {"not an assistant thread", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOptions{})
			release := make(chan struct{})
			h.node(nodeOptions{agent: slowAgent(release), configure: func(c *Config) { c.StatusAfter = time.Nanosecond }}).start(t)
			h.slack.Fail("assistant.threads.setStatus", "missing_scope", 0)
			h.slack.Fail("assistant.threads.setSuggestedPrompts", "missing_scope", 0)
			thread := h.slack.AddMessage(slacktest.Message{Channel: aliceDM, User: alice, Text: "hi"}).TS
			if tc.assistant {
				h.event(h.slack.AssistantThreadStarted(h.eventID(), alice, aliceDM, thread, channel))
				h.quiet()
			}
			h.say(alice, aliceDM, thread, "issues acme")
			if msgs := h.waitBot(aliceDM, thread, 1); msgs[0].Text != workingText {
				t.Fatalf("status message: %q", msgs[0].Text)
			}
			close(release)
			h.quiet()
			msgs := h.slack.BotMessages(aliceDM, thread)
			if len(msgs) != 1 || msgs[0].Text != "echo: issues acme" {
				t.Errorf("thread: %+v", msgs)
			}
			if got := len(h.slack.Calls("assistant.threads.setStatus")); got != map[bool]int{true: 1, false: 0}[tc.assistant] {
				t.Errorf("setStatus calls: %d", got)
			}
		})
	}
}
