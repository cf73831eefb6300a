package slack

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/authserver"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// parkWithoutResumer has node a (running) park alice's question and send
// her link, then stops a's bot: the callback still lands on a's HTTP
// handlers, but no resumer of a runs any more. It returns the question and
// the link.
func parkWithoutResumer(t *testing.T, h *harness) (slacktest.Message, string) {
	t.Helper()
	a := h.running()
	q := h.mention(alice, channel, "", "issues acme/checkout")
	h.waitBot(channel, q.TS, 1)
	link := h.linkIn(h.waitCalls("chat.postEphemeral", 1)[0].Get("text"))
	a.stop()
	h.consent(link, sentrytest.AliceID) // served by a, whose resumer is gone
	ps, err := a.store.ListParkedRequests(context.Background(), alicePrincipal, time.Now())
	if err != nil || len(ps) != 1 || !ps[0].Ready {
		t.Fatalf("after consent without a resumer: %+v, %v; want one ready parked question", ps, err)
	}
	// No bot runs: nothing can have answered.
	if got := len(h.slack.BotMessages(channel, q.TS)); got != 1 {
		t.Fatalf("answered without a resumer: %d bot messages", got)
	}
	return q, link
}

// TestResumeAfterRestart: consent lands while no resumer runs (the
// process died after the callback); a new process on the same database
// answers the question once.
func TestResumeAfterRestart(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			q, _ := parkWithoutResumer(t, h)

			h.node(nodeOptions{}).start(t) // a new process: new store handle, vault, bot
			msgs := h.waitBot(channel, q.TS, 2)
			if !strings.Contains(msgs[1].Text, "CHECKOUT-") {
				t.Errorf("answer after restart: %q", msgs[1].Text)
			}
			h.quiet()
			if got := len(h.slack.BotMessages(channel, q.TS)); got != 2 {
				t.Errorf("bot messages after restart: %d, want 2", got)
			}
		})
	}
}

// TestResumeOnceAcrossReplicas: two processes resuming at once answer the
// question once.
func TestResumeOnceAcrossReplicas(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			q, _ := parkWithoutResumer(t, h)

			b1 := h.node(nodeOptions{configure: fastResumer})
			b2 := h.node(nodeOptions{configure: fastResumer})
			var wg sync.WaitGroup
			wg.Go(func() { b1.start(t) })
			wg.Go(func() { b2.start(t) })
			wg.Wait()
			h.waitBot(channel, q.TS, 2)
			h.quiet()
			if got := len(h.slack.BotMessages(channel, q.TS)); got != 2 {
				t.Errorf("bot messages with two replicas: %d, want 2", got)
			}
		})
	}
}

func fastResumer(c *Config) { c.ResumeInterval = 10 * time.Millisecond }

// TestResumeTakenOverAfterCrash: the replica resuming a parked question
// dies mid-turn (its store stops answering, so it can neither extend its
// claim nor write anything); another replica takes the question over within
// one lease, not minutes, and it is answered once. Before, a claimed parked
// question waited out a 3-minute claim, and was deleted before its answer
// was posted.
func TestResumeTakenOverAfterCrash(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			q, _ := parkWithoutResumer(t, h)

			started := make(chan struct{})
			var once sync.Once
			hang := agentFunc(func(ctx context.Context, _ agent.Turn) (agent.Reply, error) {
				once.Do(func() { close(started) })
				<-ctx.Done()
				return agent.Reply{}, ctx.Err()
			})
			short := func(c *Config) { c.Lease, c.PollInterval = 600*time.Millisecond, 20*time.Millisecond }
			dead := h.node(nodeOptions{agent: hang, faulty: true, configure: short}).start(t)
			<-started
			crash(dead)
			start := time.Now()
			h.node(nodeOptions{configure: short}).start(t)
			msgs := h.waitBot(channel, q.TS, 2)
			if !strings.Contains(msgs[1].Text, "CHECKOUT-") {
				t.Errorf("answer: %q", msgs[1].Text)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the question was taken over after %s; want within about one lease", took)
			}
			h.quiet()
			if got := len(h.slack.BotMessages(channel, q.TS)); got != 2 {
				t.Errorf("bot messages: %d, want 2 (note, answer)", got)
			}
		})
	}
}

// crash makes a node as good as dead to the shared database: every store
// call fails, so it can neither extend its claims nor record anything, as
// a process killed or cut off.
func crash(n *node) {
	n.faulty.Set(storetest.Fail, "RecordInbox", "ClaimInboxItem", "ClaimInbox", "ExtendInboxLease", "SaveInboxProgress",
		"ReleaseInbox", "FinishInbox", "ParkRequest", "ClaimParkedRequests", "CompleteParkedRequest", "MarkParkedReady",
		"RecordEvent", "EventSeen", "GetGrant", "PutGrant", "SwapGrant", "LeaseGrant", "AppendAudit")
}

// TestNewerQuestionWins: the user asks again in the thread before
// connecting; after consent the old question is not answered (a note says
// why) and the newer one is.
func TestNewerQuestionWins(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	q1 := h.mention(alice, channel, "", "issues acme/checkout")
	h.waitBot(channel, q1.TS, 1)
	h.say(alice, channel, q1.TS, "issues acme/web")
	h.waitBot(channel, q1.TS, 2)
	eph := h.waitCalls("chat.postEphemeral", 2)
	link1, link2 := h.linkIn(eph[0].Get("text")), h.linkIn(eph[1].Get("text"))
	if stateID(t, link1) != stateID(t, link2) {
		t.Errorf("the second question got a new link instead of the pending one")
	}
	h.consent(link2, sentrytest.AliceID)
	h.waitBot(channel, q1.TS, 4)
	h.quiet()
	msgs := h.slack.BotMessages(channel, q1.TS)
	var note, answer []string
	for _, m := range msgs[2:] {
		switch {
		case strings.Contains(m.Text, "asked something newer"):
			note = append(note, m.Text)
		case strings.Contains(m.Text, "WEB-"):
			answer = append(answer, m.Text)
		default:
			t.Errorf("unexpected message: %q", m.Text)
		}
	}
	if len(note) != 1 || !strings.Contains(note[0], "issues acme/checkout") {
		t.Errorf("notes: %q", note)
	}
	if len(answer) != 1 {
		t.Fatalf("answers: %q", answer)
	}
	for _, m := range msgs {
		if strings.Contains(m.Text, "CHECKOUT-") {
			t.Errorf("the older question was answered: %q", m.Text)
		}
	}
	if !strings.Contains(answer[0], quote("issues acme/web")) {
		t.Errorf("the answer does not say which question it answers: %q", answer[0])
	}
}

// TestNewerCommandDoesNotCount: "connect sentry" after the question is
// not a newer question.
func TestNewerCommandDoesNotCount(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	q := h.mention(alice, channel, "", "issues acme/checkout")
	h.waitBot(channel, q.TS, 1)
	h.say(alice, channel, q.TS, "connect sentry")
	eph := h.waitCalls("chat.postEphemeral", 2)
	h.consent(h.linkIn(eph[1].Get("text")), sentrytest.AliceID)
	msgs := h.waitBot(channel, q.TS, 2)
	if !strings.Contains(msgs[1].Text, "CHECKOUT-") {
		t.Errorf("answer: %q", msgs[1].Text)
	}
}

// TestStillMissingAfterConsent: when the resumed turn still lacks access,
// the user hears privately what is missing, and nothing loops.
func TestStillMissingAfterConsent(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	needScope := agentFunc(func(context.Context, agent.Turn) (agent.Reply, error) {
		return agent.Reply{Auth: &agent.AuthNeeded{Reason: agent.ReasonMissingScope, Scope: "event:write"}}, nil
	})
	h.node(nodeOptions{agent: needScope}).start(t)
	q := h.mention(alice, channel, "", "resolve CHECKOUT-1A")
	h.waitBot(channel, q.TS, 1)
	eph := h.waitCalls("chat.postEphemeral", 1)
	h.consent(h.linkIn(eph[0].Get("text")), sentrytest.AliceID)
	eph = h.waitCalls("chat.postEphemeral", 2)
	if !strings.Contains(eph[1].Get("text"), "still lacks the `event:write`") || strings.Contains(eph[1].Get("text"), "http") {
		t.Errorf("still-missing message: %q", eph[1].Get("text"))
	}
	h.quiet()
	if got := len(h.slack.Calls("chat.postEphemeral")); got != 2 {
		t.Errorf("ephemeral messages: %d, want 2 (no loop)", got)
	}
	if got := len(h.slack.BotMessages(channel, q.TS)); got != 1 {
		t.Errorf("thread messages: %d, want 1", got)
	}
	var parked []store.ParkedRequest
	parked, _ = h.serving.Load().store.ListParkedRequests(context.Background(), alicePrincipal, time.Now())
	if len(parked) != 0 {
		t.Errorf("parked after the failed resume: %d", len(parked))
	}
}

// TestConnectLinkPages: the link page for tampered, replayed, unknown and
// preview requests; previews do not spend the link.
func TestConnectLinkPages(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	h.mention(alice, channel, "", "connect sentry")
	link := h.linkIn(h.waitCalls("chat.postEphemeral", 1)[0].Get("text"))

	// Slack's link expander and HEAD requests do not spend it.
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	req.Header.Set("User-Agent", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("preview: %d", resp.StatusCode)
	}
	head, err := http.Head(link)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()

	for name, tc := range map[string]struct {
		link string
		want string
	}{
		"tampered": {strings.Replace(link, "s=", "s=0", 1), "not valid"},
		"empty":    {h.base + authserver.ConnectPath, "missing its code"},
	} {
		status, body := h.follow(tc.link)
		if status != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, "connect sentry") {
			t.Errorf("%s: %d\n%s", name, status, body)
		}
	}
	h.consent(link, sentrytest.AliceID)
	status, body := h.follow(link)
	if status != http.StatusBadRequest || !strings.Contains(body, "already used") {
		t.Errorf("replayed: %d\n%s", status, body)
	}
	resp, err = h.browser().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP: %q", csp)
	}
	h.assertNoLeaks()
}

// TestExpiredLink: a link opened after ten minutes says so.
func TestExpiredLink(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var mu sync.Mutex
	offset := time.Duration(0)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(offset)
	}
	h.node(nodeOptions{now: clock}).start(t)
	h.mention(alice, channel, "", "connect sentry")
	link := h.linkIn(h.waitCalls("chat.postEphemeral", 1)[0].Get("text"))
	mu.Lock()
	offset = authserver.ConnectLinkTTL + time.Second
	mu.Unlock()
	status, body := h.follow(link)
	if status != http.StatusBadRequest || !strings.Contains(body, "expired") {
		t.Errorf("expired link: %d\n%s", status, body)
	}
}
