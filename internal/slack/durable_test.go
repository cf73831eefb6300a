package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// The inbox's promises (issue #9 §3): every question answered, once, also
// when Slack fails posts, the database fails on demand, the queue is full,
// or a replica dies mid-turn.

// gatedAgent answers "answer: <question>". Its first turn says it started
// and waits for release; with obeyCtx it gives up when its context ends,
// otherwise it answers anyway once released (a worker that lost its claim
// without noticing, which must then not post).
type gatedAgent struct {
	started chan struct{}
	release chan struct{}
	obeyCtx bool
	calls   atomic.Int64
	once    sync.Once
}

func newGatedAgent(obeyCtx bool) *gatedAgent {
	return &gatedAgent{started: make(chan struct{}), release: make(chan struct{}), obeyCtx: obeyCtx}
}

func (g *gatedAgent) Run(ctx context.Context, tn agent.Turn) (agent.Reply, error) {
	if g.calls.Add(1) == 1 {
		g.once.Do(func() { close(g.started) })
		if g.obeyCtx {
			select {
			case <-g.release:
			case <-ctx.Done():
				return agent.Reply{}, ctx.Err()
			}
		} else {
			<-g.release
		}
	}
	return agent.Reply{Text: "answer: " + tn.Text}, nil
}

func (g *gatedAgent) open() {
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

// answers returns the texts of the bot's messages in a thread.
func (h *harness) answers(ch, thread string) []string {
	var out []string
	for _, m := range h.slack.BotMessages(ch, thread) {
		out = append(out, m.Text)
	}
	return out
}

// wantAnswers fails unless the thread holds exactly want, once the bots
// are done.
func (h *harness) wantAnswers(ch, thread string, want ...string) {
	h.t.Helper()
	h.quiet()
	got := h.answers(ch, thread)
	if strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") {
		h.t.Errorf("bot messages in the thread:\n%q\nwant:\n%q", got, want)
	}
}

func shortLease(c *Config) { c.Lease, c.PollInterval = 500*time.Millisecond, 20*time.Millisecond }

// Fault: Slack answers chat.postMessage with a 500 or a 503 (before acting
// on it, or after posting), or a 429 with Retry-After. Before, a failed
// post was logged and the answer lost. Now every question is answered
// once: posts are retried with backoff, then the item is retried later;
// Retry-After is waited out; and after a failure that may have posted, the
// bot looks in the thread before posting again.
func TestSlackPostFailures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		accept     bool // Slack posted, then failed the response
		times      int
		wantPosts  int // chat.postMessage calls, failed ones included
		minGap     time.Duration
	}{
		{name: "500", status: 500, times: 2, wantPosts: 3},
		{name: "500 after posting", status: 500, accept: true, times: 1, wantPosts: 1},
		{name: "503 beyond one attempt's retries", status: 503, times: callAttempts + 2, wantPosts: callAttempts + 3},
		{name: "429 with Retry-After", status: 429, retryAfter: "1", times: 3, wantPosts: 4, minGap: time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOptions{})
			h.node(nodeOptions{agent: echoAgent()}).start(t)
			h.slack.FailHTTP("chat.postMessage", tc.status, tc.retryAfter, tc.accept, tc.times)
			q := h.mention(alice, channel, "", "is it up?")
			h.wantAnswers(channel, q.TS, "echo: is it up?")
			posts := h.slack.Calls("chat.postMessage")
			if len(posts) != tc.wantPosts {
				t.Errorf("chat.postMessage calls: %d, want %d", len(posts), tc.wantPosts)
			}
			for i := 1; i < len(posts) && i <= tc.times; i++ {
				if gap := posts[i].Time.Sub(posts[i-1].Time); gap < tc.minGap {
					t.Errorf("retry %d came %s after a 429 with Retry-After %ss", i, gap, tc.retryAfter)
				}
			}
			if it := h.serving.Load().item(t, questionID(q)); it.State != store.InboxAnswered {
				t.Errorf("inbox item: %s, want answered", it.State)
			}
		})
	}
}

// Fault: the database fails while an event is being recorded. Before, the
// bot answered anyway, and Slack's retry (recorded fine) was answered a
// second time. Now the event is not acknowledged (500, with a request id
// and no internals), nothing is said, and Slack's redelivery is answered
// once; a further redelivery is dropped.
func TestRecordFailureIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{agent: echoAgent(), faulty: true}).start(t)
	n.faulty.SetN(storetest.Fail, 1, "RecordInbox")
	q := h.slack.AddMessage(slacktest.Message{Channel: channel, User: alice, Text: slacktest.Mention(botUser) + " status of checkout"})
	body := h.slack.EventCallback("EvDBDOWN", slacktest.AppMention, q)

	resp, text := h.post(slacktest.SignedRequest(h.webhook(), secret, body))
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(text, "request id") ||
		strings.Contains(text, "10.0.0.5") || strings.Contains(text, "injected") {
		t.Fatalf("delivery while the database fails: %d %q; want a 500 with a request id and no internals", resp.StatusCode, text)
	}
	if calls := h.slack.Calls("chat.postMessage", "chat.postEphemeral"); len(calls) != 0 {
		t.Fatalf("the bot spoke about an event it could not record: %+v", calls)
	}
	for i := 1; i <= 2; i++ {
		if resp, _ := h.post(slacktest.Retry(slacktest.SignedRequest(h.webhook(), secret, body), i)); resp.StatusCode != http.StatusOK {
			t.Fatalf("redelivery %d: %d", i, resp.StatusCode)
		}
		h.quiet()
	}
	h.wantAnswers(channel, q.TS, "echo: status of checkout")
	if !strings.Contains(h.logs.String(), "already answered") {
		t.Error("the log does not say the last redelivery was dropped as answered")
	}
}

// Fault: the database fails to record "answered" after Slack accepted the
// answer (the window the issue names). The item stays claimed; when its
// lease ends it is claimed again, and its next worker finds the answer in
// the thread instead of posting a second one.
func TestFinishFailureNoSecondAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{agent: echoAgent(), faulty: true, configure: shortLease}).start(t)
	n.faulty.SetN(storetest.Fail, 3, "FinishInbox") // every try of the first attempt
	q := h.mention(alice, channel, "", "how many errors?")
	h.wantAnswers(channel, q.TS, "echo: how many errors?")
	it := n.item(t, questionID(q))
	if it.State != store.InboxAnswered || it.Attempts != 2 {
		t.Errorf("inbox item: %s after %d attempts, want answered after 2", it.State, it.Attempts)
	}
	if got := len(h.slack.Calls("chat.postMessage")); got != 1 {
		t.Errorf("chat.postMessage calls: %d, want 1", got)
	}
}

// Fault: a replica dies in the middle of a turn (its database connection
// gone: it can neither extend its claim nor write). Before, the question
// was lost, and Slack's redelivery dropped as a duplicate. Now another
// replica claims it once the lease ends and answers it; the dead one, if
// it wakes up with an answer, finds its claim gone and posts nothing.
func TestTwoBotsOneDiesMidTurn(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			zombie := newGatedAgent(false) // answers when released, whatever its context says
			a := h.node(nodeOptions{agent: zombie, faulty: true, configure: shortLease}).start(t)
			q := h.mention(alice, channel, "", "why is checkout slow?")
			<-zombie.started
			crash(a)
			h.node(nodeOptions{agent: echoAgent(), configure: shortLease}).start(t)
			h.waitBot(channel, q.TS, 1)
			zombie.open()
			waitFor(t, "the dead replica to finish its turn", func() bool { return a.bot.busy.Load() == 0 })
			h.wantAnswers(channel, q.TS, "echo: why is checkout slow?")
			if it := h.serving.Load().item(t, questionID(q)); it.State != store.InboxAnswered || it.Attempts != 2 {
				t.Errorf("inbox item: %s after %d attempts, want answered after 2", it.State, it.Attempts)
			}
		})
	}
}

// A replica stopped (its Run context cancelled) while a turn runs hands the
// item back when its shutdown timeout cancels the turn: another replica
// answers at once, without waiting for a lease to end.
func TestStoppedBotHandsItemBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	slow := newGatedAgent(true)
	long := func(c *Config) { c.Lease, c.ShutdownTimeout = time.Minute, 50*time.Millisecond }
	a := h.node(nodeOptions{agent: slow, configure: long}).start(t)
	q := h.mention(alice, channel, "", "what broke?")
	<-slow.started
	a.stop()
	if it := a.item(t, questionID(q)); it.State != store.InboxReceived || it.LeaseOwner != "" {
		t.Fatalf("after the stop the item is %s, held by %q; want it handed back", it.State, it.LeaseOwner)
	}
	start := time.Now()
	h.node(nodeOptions{agent: echoAgent(), configure: long}).start(t)
	h.waitBot(channel, q.TS, 1)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("answered %s after the stop; want at once (the lease is a minute)", took)
	}
	h.wantAnswers(channel, q.TS, "echo: what broke?")
}

// Slack redelivers an event whose turn never finished (its replica died):
// the redelivery runs it, on a replica whose poller is off, so only the
// redelivery can have found it; a redelivery of an answered event is
// dropped.
func TestRedeliveryOfUnfinishedTurnRunsIt(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			hang := newGatedAgent(true)
			a := h.node(nodeOptions{agent: hang, faulty: true, configure: shortLease}).start(t)
			q := h.slack.AddMessage(slacktest.Message{Channel: channel, User: alice, Text: slacktest.Mention(botUser) + " deploys today?"})
			body := h.slack.EventCallback("EvUNFINISHED", slacktest.AppMention, q)
			if resp, _ := h.post(slacktest.SignedRequest(h.webhook(), secret, body)); resp.StatusCode != http.StatusOK {
				t.Fatalf("delivery: %d", resp.StatusCode)
			}
			<-hang.started
			crash(a)
			b := h.node(nodeOptions{agent: echoAgent(), configure: func(c *Config) { c.Lease, c.PollInterval = 500*time.Millisecond, time.Hour }}).start(t)
			waitFor(t, "the dead replica's lease to end", func() bool {
				it := b.item(t, questionID(q))
				return it.State == store.InboxClaimed && time.Now().After(it.LeaseUntil)
			})
			if resp, _ := h.post(slacktest.Retry(slacktest.SignedRequest(h.webhook(), secret, body), 1)); resp.StatusCode != http.StatusOK {
				t.Fatalf("redelivery: %d", resp.StatusCode)
			}
			h.waitBot(channel, q.TS, 1)
			if resp, _ := h.post(slacktest.Retry(slacktest.SignedRequest(h.webhook(), secret, body), 2)); resp.StatusCode != http.StatusOK {
				t.Fatalf("second redelivery: %d", resp.StatusCode)
			}
			h.wantAnswers(channel, q.TS, "echo: deploys today?")
		})
	}
}

// One event delivered to two replicas at once, ten times over (Slack's
// retries racing the first delivery), and the same message as app_mention
// and message events: one answer.
func TestSameEventOnTwoReplicasOnce(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			nodes := []*node{h.node(nodeOptions{agent: echoAgent()}).start(t), h.node(nodeOptions{agent: echoAgent()}).start(t)}
			q := h.slack.AddMessage(slacktest.Message{Channel: aliceDM, User: alice, Text: "errors in checkout"})
			bodies := [][]byte{h.slack.EventCallback("EvTWICE", slacktest.MessageEvt, q), h.slack.EventCallback("EvOTHER", slacktest.MessageEvt, q)}
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					rec := httptest.NewRecorder()
					nodes[i%2].mux.ServeHTTP(rec, slacktest.SignedRequest(h.webhook(), secret, bodies[i%4/2]))
					if rec.Code != http.StatusOK {
						t.Errorf("delivery %d: %d", i, rec.Code)
					}
				})
			}
			wg.Wait()
			h.waitBot(aliceDM, "", 1)
			h.wantAnswers(aliceDM, "", "echo: errors in checkout")
		})
	}
}

// Fault: more questions than workers and queue. Before, the queue's
// overflow was acknowledged and dropped without a word. Now each is
// recorded, its asker told it is queued (one status message), and it is
// answered when a worker is free, the answer replacing the note.
func TestQueueFullRecordedBusyAnsweredLater(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	slow := newGatedAgent(true)
	n := h.node(nodeOptions{agent: slow, configure: func(c *Config) { c.Workers, c.QueueSize = 1, 1 }}).start(t)
	var qs []slacktest.Message
	for i := range 4 {
		qs = append(qs, h.mention(alice, channel, "", "question "+string(rune('A'+i))))
		if i == 0 {
			<-slow.started // the worker is busy with the first
		}
	}
	for _, q := range qs[2:] {
		if it := n.item(t, questionID(q)); it.State.Done() {
			t.Fatalf("overflow question %s is %s before a worker was free", q.TS, it.State)
		}
		if msgs := h.waitBot(channel, q.TS, 1); msgs[0].Text != busyText {
			t.Errorf("overflow question's status: %q", msgs[0].Text)
		}
	}
	if got := h.answers(channel, qs[1].TS); len(got) != 0 {
		t.Errorf("the queued question got %q before its turn", got)
	}
	slow.open()
	for i, q := range qs {
		h.wantAnswers(channel, q.TS, "answer: question "+string(rune('A'+i)))
	}
	for _, q := range qs[2:] {
		if m := h.slack.BotMessages(channel, q.TS)[0]; m.Edits != 1 {
			t.Errorf("the queued note was not replaced by the answer: %+v", m)
		}
	}
}

// Issue #9 §4: a turn that takes a while gets one "Looking at Sentry…"
// message, which whatever the turn ends with replaces (an answer, a plain
// error, the consent note; in a DM, the link): never a dangling status.
func TestStatusMessageReplaced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ch      string
		reply   agent.Reply
		err     error
		want    string // a part of the final message
		private bool   // a link went out privately
	}{
		{name: "answer", ch: channel, reply: agent.Reply{Text: "**3** issues"}, want: "*3* issues"},
		{name: "error", ch: channel, err: errors.New("dial tcp 10.0.0.9:443: i/o timeout"), want: "request id"},
		{name: "consent in a channel", ch: channel, reply: agent.Reply{Auth: &agent.AuthNeeded{Reason: agent.ReasonNoGrant}}, want: "private link", private: true},
		{name: "consent in a DM", ch: aliceDM, reply: agent.Reply{Auth: &agent.AuthNeeded{Reason: agent.ReasonNoGrant}}, want: "|Connect Sentry>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOptions{})
			release := make(chan struct{})
			ag := agentFunc(func(ctx context.Context, _ agent.Turn) (agent.Reply, error) {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return tc.reply, tc.err
			})
			h.node(nodeOptions{agent: ag, configure: func(c *Config) { c.StatusAfter = 50 * time.Millisecond }}).start(t)
			var q slacktest.Message
			thread := ""
			if tc.ch == aliceDM {
				q = h.say(alice, aliceDM, "", "issues acme/checkout")
			} else {
				q = h.mention(alice, channel, "", "issues acme/checkout")
				thread = q.TS
			}
			if msgs := h.waitBot(tc.ch, thread, 1); msgs[0].Text != workingText {
				t.Fatalf("status message: %q", msgs[0].Text)
			}
			close(release)
			h.quiet()
			msgs := h.slack.BotMessages(tc.ch, thread)
			if len(msgs) != 1 || msgs[0].Edits != 1 || !strings.Contains(msgs[0].Text, tc.want) {
				t.Fatalf("the thread holds %+v; want the status message edited once into %q", msgs, tc.want)
			}
			if strings.Contains(msgs[0].Text, "10.0.0.9") {
				t.Errorf("internals in the thread: %q", msgs[0].Text)
			}
			if got := len(h.slack.Calls("chat.postEphemeral")) == 1; got != tc.private {
				t.Errorf("private link sent: %t, want %t", got, tc.private)
			}
			_ = q
		})
	}
}

// Issue #13 §8: the user consents while their question's turn is still
// running (so OnConnected finds nothing parked yet). Before, the question
// then waited for its 1-hour expiry. Now parking it notices the usable
// grant and resumes it at once, without sending a link.
func TestConsentDuringTurnResumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	ag := agentFunc(func(ctx context.Context, tn agent.Turn) (agent.Reply, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-release
			return agent.Reply{Auth: &agent.AuthNeeded{Reason: agent.ReasonNoGrant}}, nil
		}
		return agent.Reply{Text: "2 issues"}, nil
	})
	n := h.node(nodeOptions{agent: ag}).start(t)
	q := h.mention(alice, channel, "", "issues acme/checkout")
	<-started
	n.grant(t, h, alicePrincipal, "1")
	if got, err := n.bot.OnConnected(context.Background(), alicePrincipal); err != nil || got != 0 {
		t.Fatalf("OnConnected while the turn runs: %d, %v; want nothing to resume yet", got, err)
	}
	close(release)
	msgs := h.waitBot(channel, q.TS, 1)
	if !strings.Contains(msgs[0].Text, "here's the answer") || !strings.Contains(msgs[0].Text, "2 issues") {
		t.Errorf("answer: %q", msgs[0].Text)
	}
	h.quiet()
	if eph := h.slack.Calls("chat.postEphemeral"); len(eph) != 0 {
		t.Errorf("a connect link was sent to a user who had just connected: %v", eph)
	}
}

// Fault: the store fails every time the question is parked. The item is
// retried, then given up, and the user hears so in plain words with a
// request id, never the error; the log line with that request id has it.
func TestGiveUpSaysPlainWords(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	needs := agentFunc(func(context.Context, agent.Turn) (agent.Reply, error) {
		return agent.Reply{Auth: &agent.AuthNeeded{Reason: agent.ReasonNoGrant}}, nil
	})
	n := h.node(nodeOptions{agent: needs, faulty: true, configure: func(c *Config) { c.MaxAttempts = 2 }}).start(t)
	n.faulty.Set(storetest.Fail, "ParkRequest")
	q := h.mention(alice, channel, "", "issues acme/checkout")
	h.quiet()
	msgs := h.slack.BotMessages(channel, q.TS)
	if len(msgs) != 1 {
		t.Fatalf("thread: %+v, want one message", msgs)
	}
	id := regexp.MustCompile(`\(request id ([0-9a-f]{16})\)`).FindStringSubmatch(msgs[0].Text)
	if id == nil || !strings.Contains(msgs[0].Text, "Please ask again") {
		t.Fatalf("give-up message: %q", msgs[0].Text)
	}
	for _, c := range h.slack.Calls() {
		for _, bad := range []string{"10.0.0.5", "connection refused", "injected", "storetest", "park"} {
			if strings.Contains(c.Params.Encode(), bad) {
				t.Errorf("%s carried %q: %v", c.Method, bad, c.Params)
			}
		}
	}
	if it := n.item(t, questionID(q)); it.State != store.InboxFailed {
		t.Errorf("inbox item: %s, want failed", it.State)
	}
	var found bool
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, id[1]) && strings.Contains(line, "injected fault") {
			found = true
		}
	}
	if !found {
		t.Error("no log line with the request id has the error")
	}
}

// A worker whose claim another replica took over without it noticing yet
// (it was paused, or its clock is behind: here an hour, so its leases look
// ended to everyone else at once) finishes its turn and must not post: the
// claim is confirmed in the store right before every post.
func TestOvertakenWorkerDoesNotPost(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			behind := func() time.Time { return time.Now().Add(-time.Hour) }
			zombie := newGatedAgent(false)
			// A minute's lease: its heartbeat would not notice the
			// takeover for 20 s.
			a := h.node(nodeOptions{agent: zombie, now: behind, configure: func(c *Config) { c.Lease = time.Minute }}).start(t)
			q := h.mention(alice, channel, "", "who deployed?")
			<-zombie.started
			h.node(nodeOptions{agent: echoAgent(), configure: shortLease}).start(t)
			h.waitBot(channel, q.TS, 1)
			zombie.open()
			waitFor(t, "the overtaken worker to finish", func() bool { return a.bot.busy.Load() == 0 })
			h.wantAnswers(channel, q.TS, "echo: who deployed?")
		})
	}
}
