package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// TestSignatureRefused: forged signatures, stale timestamps and missing
// headers are refused with 401 and nothing is processed.
func TestSignatureRefused(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	m := h.slack.AddMessage(slacktest.Message{Channel: channel, User: alice, Text: slacktest.Mention(botUser) + " help"})
	body := h.slack.EventCallback(h.eventID(), slacktest.AppMention, m)

	unsigned, _ := http.NewRequest(http.MethodPost, h.webhook(), bytes.NewReader(body))
	// Signed for body, but carrying another body.
	tampered := slacktest.SignedRequest(h.webhook(), secret, bytes.Replace(body, []byte("help"), []byte("orgs"), 1))
	tampered.Header.Set("X-Slack-Signature", slacktest.Sign(secret, time.Now(), body))

	for name, req := range map[string]*http.Request{
		"forged":   slacktest.ForgedRequest(h.webhook(), body),
		"stale":    slacktest.StaleRequest(h.webhook(), secret, body),
		"future":   slacktest.SignedRequestAt(h.webhook(), secret, body, time.Now().Add(10*time.Minute)),
		"unsigned": unsigned,
		"tampered": tampered,
	} {
		resp, text := h.post(req)
		if resp.StatusCode != http.StatusUnauthorized || len(text) > 100 {
			t.Errorf("%s: %d %q, want 401 with a short body", name, resp.StatusCode, text)
		}
	}
	h.quiet()
	if calls := h.slack.Calls("chat.postMessage", "chat.postEphemeral"); len(calls) != 0 {
		t.Errorf("refused requests were processed: %v", calls)
	}
	if !strings.Contains(h.logs.String(), "stale timestamp") {
		t.Error("the log does not say why a request was refused")
	}

	// The same body, correctly signed now, is answered.
	resp, _ := h.post(slacktest.SignedRequest(h.webhook(), secret, body))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("valid request: %d", resp.StatusCode)
	}
	h.waitBot(channel, m.TS, 1)
}

// TestRetriesProcessedOnce: Slack's retries (same event id,
// X-Slack-Retry-Num) are acknowledged and dropped; and a mention that
// arrives both as app_mention and as a message event is answered once.
func TestRetriesProcessedOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	m := h.slack.AddMessage(slacktest.Message{Channel: channel, User: alice, Text: slacktest.Mention(botUser) + " help"})
	body := h.slack.EventCallback("EvRETRIED", slacktest.AppMention, m)
	for i := range 3 {
		req := slacktest.SignedRequest(h.webhook(), secret, body)
		if i > 0 {
			slacktest.Retry(req, i)
		}
		if resp, _ := h.post(req); resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, resp.StatusCode)
		}
	}
	h.waitBot(channel, m.TS, 1)
	h.quiet()
	if got := len(h.slack.BotMessages(channel, m.TS)); got != 1 {
		t.Errorf("answers to a retried event: %d, want 1", got)
	}

	// One message, two events (app_mention and message.channels in a
	// thread the bot is in): one answer.
	reply := h.slack.AddMessage(slacktest.Message{Channel: channel, ThreadTS: m.TS, User: alice, Text: slacktest.Mention(botUser) + " help"})
	h.deliver(slacktest.MessageEvt, reply)
	h.deliver(slacktest.AppMention, reply)
	h.waitBot(channel, m.TS, 2)
	h.quiet()
	if got := len(h.slack.BotMessages(channel, m.TS)); got != 2 {
		t.Errorf("answers in the thread: %d, want 2", got)
	}
}

// TestURLVerification answers Slack's challenge (signed, like every
// request).
func TestURLVerification(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.node(nodeOptions{})
	resp, body := h.post(slacktest.SignedRequest(h.webhook(), secret, slacktest.URLVerification("chal-123")))
	var got map[string]string
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || got["challenge"] != "chal-123" {
		t.Errorf("url_verification: %d %s", resp.StatusCode, body)
	}
	resp, _ = h.post(slacktest.ForgedRequest(h.webhook(), slacktest.URLVerification("chal-123")))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged url_verification: %d", resp.StatusCode)
	}
}

// TestBodyLimit refuses oversized bodies before verifying anything.
func TestBodyLimit(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.node(nodeOptions{})
	big := bytes.Repeat([]byte("x"), maxBodyBytes+1)
	resp, _ := h.post(slacktest.SignedRequest(h.webhook(), secret, big))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
	get, err := http.Get(h.webhook())
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if get.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET webhook: %d", get.StatusCode)
	}
}

// TestIgnoredMessages: the bot's own messages, other bots, edits,
// deletions, joins, channel chatter and replies in threads the bot has no
// part in get no answer.
func TestIgnoredMessages(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	other := h.slack.AddMessage(slacktest.Message{Channel: channel, User: bob, Text: "lunch?"})
	for _, m := range []slacktest.Message{
		{Channel: channel, User: botUser, BotID: slacktest.DefaultBotID, Text: "help"},         // itself
		{Channel: aliceDM, User: botUser, BotID: slacktest.DefaultBotID, Text: "help"},         // itself, in a DM
		{Channel: aliceDM, User: "UOTHERBOT", BotID: "BOTHER", Text: "help"},                   // another bot
		{Channel: aliceDM, BotID: "BOTHER", SubType: "bot_message", Text: "help"},              // a bot_message
		{Channel: aliceDM, User: alice, SubType: "message_changed", Text: "help"},              // an edit
		{Channel: aliceDM, User: alice, SubType: "message_deleted"},                            // a deletion
		{Channel: channel, User: alice, SubType: "channel_join", Text: "<@UALICE> has joined"}, // a join
		{Channel: channel, User: alice, Text: "help"},                                          // channel chatter
		{Channel: channel, ThreadTS: other.TS, User: alice, Text: "help"},                      // someone else's thread
		{Channel: "GPRIVATE", ThreadTS: "", User: alice, Text: "help"},                         // private channel chatter
	} {
		m = h.slack.AddMessage(m)
		h.deliver(slacktest.MessageEvt, m)
	}
	// A bot mentioning lookout, and an edited mention.
	h.deliver(slacktest.AppMention, h.slack.AddMessage(slacktest.Message{Channel: channel, User: "UOTHERBOT", BotID: "BOTHER", Text: slacktest.Mention(botUser) + " help"}))
	h.quiet()
	if calls := h.slack.Calls("chat.postMessage", "chat.postEphemeral"); len(calls) != 0 {
		t.Errorf("the bot answered ignored messages: %+v", calls)
	}
}

// TestThreadParticipation: with LOOKOUT_SLACK_THREADS=all, after a
// mention, every reply in that thread reaches the bot without one; the
// bot's mention is stripped from the text.
func TestThreadParticipation(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{configure: func(c *Config) { c.Threads = config.SlackThreadsAll }}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	q := h.mention(alice, channel, "", "orgs")
	h.waitBot(channel, q.TS, 1)
	h.say(alice, channel, q.TS, "projects acme")
	msgs := h.waitBot(channel, q.TS, 2)
	if !strings.Contains(msgs[1].Text, "checkout") {
		t.Errorf("thread reply answer: %q", msgs[1].Text)
	}
	// A thread the bot only answered in (mentioned in a reply) counts too.
	root := h.slack.AddMessage(slacktest.Message{Channel: channel, User: bob, Text: "checkout is failing"})
	h.mention(alice, channel, root.TS, "help")
	h.waitBot(channel, root.TS, 1)
	h.say(bob, channel, root.TS, "help")
	h.waitBot(channel, root.TS, 2)
}

// TestThreadsAsker (issue #13 §6, the default): in a thread the bot
// answered, the asker's own replies reach it without a mention; other
// people's do not, until they mention it themselves.
func TestThreadsAsker(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.node(nodeOptions{agent: echoAgent()}).start(t)
	q := h.mention(alice, channel, "", "first")
	h.waitBot(channel, q.TS, 1)
	h.say(alice, channel, q.TS, "alice follows up")
	h.waitBot(channel, q.TS, 2)
	h.say(bob, channel, q.TS, "bob chimes in")
	h.quiet()
	if got := len(h.slack.BotMessages(channel, q.TS)); got != 2 {
		t.Fatalf("bot messages after bob's unmentioned reply: %d, want 2 (bob did not ask the bot)", got)
	}
	h.mention(bob, channel, q.TS, "bob asks")
	h.waitBot(channel, q.TS, 3)
	h.say(bob, channel, q.TS, "bob follows up")
	msgs := h.waitBot(channel, q.TS, 4)
	if msgs[3].Text != "echo: bob follows up" {
		t.Errorf("answer to bob's follow-up: %q", msgs[3].Text)
	}
	// A channel message outside any thread needs a mention, whoever asks.
	h.say(alice, channel, "", "top level chatter")
	h.quiet()
	if got := len(h.slack.Calls("chat.postMessage")); got != 4 {
		t.Errorf("posts: %d, want 4", got)
	}
}

// TestThreadsMention: with LOOKOUT_SLACK_THREADS=mention, channel replies
// need a mention, even the asker's; DMs are answered without one.
func TestThreadsMention(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.node(nodeOptions{agent: echoAgent(), configure: func(c *Config) { c.Threads = config.SlackThreadsMention }}).start(t)
	q := h.mention(alice, channel, "", "first")
	h.waitBot(channel, q.TS, 1)
	h.say(alice, channel, q.TS, "no mention")
	h.quiet()
	if got := len(h.slack.BotMessages(channel, q.TS)); got != 1 {
		t.Fatalf("bot messages after an unmentioned reply: %d, want 1", got)
	}
	h.mention(alice, channel, q.TS, "with a mention")
	if msgs := h.waitBot(channel, q.TS, 2); msgs[1].Text != "echo: with a mention" {
		t.Errorf("answer: %q", msgs[1].Text)
	}
	h.say(alice, aliceDM, "", "in a DM")
	if msgs := h.waitBot(aliceDM, "", 1); msgs[0].Text != "echo: in a DM" {
		t.Errorf("DM answer: %q", msgs[0].Text)
	}
}

// echoAgent answers "echo: <question>".
func echoAgent() Agent {
	return agentFunc(func(_ context.Context, tn agent.Turn) (agent.Reply, error) {
		return agent.Reply{Text: "echo: " + tn.Text}, nil
	})
}

// TestAckIsImmediate: the webhook answers at once even while turns are
// slow, the queue full included.
func TestAckIsImmediate(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	release := make(chan struct{})
	slow := agentFunc(func(ctx context.Context, _ agent.Turn) (agent.Reply, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return agent.Reply{Text: "done"}, nil
	})
	h.node(nodeOptions{agent: slow, configure: func(c *Config) { c.Workers, c.QueueSize = 1, 1 }}).start(t)
	defer close(release)
	for i := range 4 {
		m := h.slack.AddMessage(slacktest.Message{Channel: channel, User: alice, Text: slacktest.Mention(botUser) + " help"})
		start := time.Now()
		resp, _ := h.post(slacktest.SignedRequest(h.webhook(), secret, h.slack.EventCallback(h.eventID(), slacktest.AppMention, m)))
		if took := time.Since(start); resp.StatusCode != http.StatusOK || took > 500*time.Millisecond {
			t.Errorf("delivery %d: %d after %s", i, resp.StatusCode, took)
		}
	}
}

// agentFunc is an Agent in a function.
type agentFunc func(context.Context, agent.Turn) (agent.Reply, error)

func (f agentFunc) Run(ctx context.Context, t agent.Turn) (agent.Reply, error) { return f(ctx, t) }

// TestGracefulShutdown: a turn in flight when Run's context ends still
// answers before Run returns.
func TestGracefulShutdown(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	started := make(chan struct{})
	slow := agentFunc(func(ctx context.Context, _ agent.Turn) (agent.Reply, error) {
		close(started)
		select {
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
			return agent.Reply{}, ctx.Err()
		}
		return agent.Reply{Text: "finished **anyway**"}, nil
	})
	n := h.node(nodeOptions{agent: slow}).start(t)
	m := h.mention(alice, channel, "", "help")
	<-started
	n.stop()
	msgs := h.slack.BotMessages(channel, m.TS)
	if len(msgs) != 1 || msgs[0].Text != "finished *anyway*" {
		t.Errorf("after shutdown the thread has %+v", msgs)
	}
}

// TestNoSigningSecret: Socket Mode only, the webhook is not served.
func TestNoSigningSecret(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.node(nodeOptions{socketMode: true})
	resp, _ := h.post(slacktest.SignedRequest(h.webhook(), secret, slacktest.URLVerification("x")))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("webhook without a signing secret: %d", resp.StatusCode)
	}
}

// TestThreadHistory: a turn in a thread gets the thread's earlier
// messages (what model mode reads), the bot's own as the assistant's,
// without the bot mention.
func TestThreadHistory(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var mu sync.Mutex
	var turns []agent.Turn
	echo := agentFunc(func(_ context.Context, tn agent.Turn) (agent.Reply, error) {
		mu.Lock()
		defer mu.Unlock()
		turns = append(turns, tn)
		return agent.Reply{Text: "answer " + tn.Text}, nil
	})
	h.node(nodeOptions{agent: echo}).start(t)
	q := h.mention(alice, channel, "", "first question")
	h.waitBot(channel, q.TS, 1)
	h.mention(bob, channel, q.TS, "second question")
	h.waitBot(channel, q.TS, 2)
	mu.Lock()
	defer mu.Unlock()
	if len(turns) != 2 || turns[0].History != nil || turns[0].Principal != alicePrincipal || turns[1].Principal != bobPrincipal {
		t.Fatalf("turns: %+v", turns)
	}
	want := []agent.Message{
		{Role: agent.RoleUser, Text: "first question"},
		{Role: agent.RoleAssistant, Text: "answer first question"},
	}
	if !slices.Equal(turns[1].History, want) {
		t.Errorf("history: %+v, want %+v", turns[1].History, want)
	}
}
