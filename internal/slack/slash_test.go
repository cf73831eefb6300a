package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// noPublicPosts fails t if the bot posted anything anyone else sees.
func (h *harness) noPublicPosts() {
	h.t.Helper()
	if posts := h.slack.Calls("chat.postMessage"); len(posts) != 0 {
		var where []string
		for _, p := range posts {
			where = append(where, p.Get("channel")+": "+p.Get("text"))
		}
		h.t.Errorf("the bot posted publicly: %q", where)
	}
}

// /sentry answers its user alone: at once "Looking at Sentry… (only you
// can see this)", then the answer (cards and text) through the command's
// response URL, in place of that.
func TestSlashCommandIsPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)

	ack := h.slash(alice, channel, "issues acme/checkout")
	if ack.ResponseType != "ephemeral" || !strings.Contains(ack.Text, workingText) || !strings.Contains(ack.Text, "only you") {
		t.Fatalf("immediate answer: %+v", ack)
	}
	h.quiet()
	private := h.slack.Ephemerals(alice)
	if len(private) != 1 || private[0].ResponseURL == "" || private[0].InChannel {
		t.Fatalf("private answers: %+v", private)
	}
	if blocks := unescaped([]byte(private[0].Blocks)); !strings.Contains(blocks, "Issues in acme/checkout") || !strings.Contains(private[0].Text, "CHECKOUT-1A") {
		t.Errorf("answer: %q\n%s", private[0].Text, blocks)
	}
	// The response URL call asked to replace what the command said before.
	var body struct {
		ReplaceOriginal bool   `json:"replace_original"`
		ResponseType    string `json:"response_type"`
	}
	_ = json.Unmarshal([]byte(h.slack.Calls("response_url")[0].Get("body")), &body)
	if !body.ReplaceOriginal || body.ResponseType != "ephemeral" {
		t.Errorf("response URL answer: %+v", body)
	}

	// Connection commands work too, privately.
	h.slash(alice, channel, "status")
	h.quiet()
	if private := h.privateTo(alice); len(private) != 2 || !strings.Contains(private[1], "You're connected to Sentry as") {
		t.Errorf("status: %q", private)
	}
	h.noPublicPosts()
	h.assertNoLeaks()
}

// /sentry without a grant: the connect link goes to the user alone; after
// consent the answer comes privately too.
func TestSlashCommandConsent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	h.slash(bob, channel, "issues acme/web")
	h.quiet()
	private := h.privateTo(bob)
	if len(private) != 1 || !strings.Contains(private[0], "Connect Sentry>") || !strings.Contains(private[0], "privately") {
		t.Fatalf("private answers: %q", private)
	}
	if parked, _ := n.store.ListParkedRequests(context.Background(), bobPrincipal, time.Now()); len(parked) != 1 {
		t.Fatalf("parked commands: %d", len(parked))
	}
	h.consent(h.linkIn(private[0]), sentrytest.BobID)
	h.quiet()
	private = h.privateTo(bob)
	if len(private) != 2 || !strings.Contains(private[1], "WEB-1A") || !strings.Contains(private[1], "You're connected to Sentry") {
		t.Fatalf("private answers after consent: %q", private)
	}
	h.noPublicPosts()
	h.assertNoLeaks()
}

// A response URL that no longer takes answers (30 minutes, five uses):
// the answer still reaches its user alone.
func TestSlashCommandExpiredResponseURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	form := h.slack.SlashCommand(alice, channel, "/sentry", "orgs")
	form.Set("response_url", strings.TrimSuffix(h.slack.URL, "/api/")+"/response/T0/0/unknown") // never handed out: expired
	resp, _ := h.post(slacktest.SignedForm(h.base+CommandsPath, secret, form))
	if resp.StatusCode != 200 {
		t.Fatalf("command: %d", resp.StatusCode)
	}
	h.quiet()
	if private := h.privateTo(alice); len(private) != 1 || !strings.Contains(private[0], "acme") {
		t.Fatalf("private answers: %q", private)
	}
	if eph := h.slack.Calls("chat.postEphemeral"); len(eph) != 1 || eph[0].Get("user") != alice {
		t.Errorf("fallback: %+v", eph)
	}
	if calls := h.slack.Calls("response_url"); len(calls) != 1 || calls[0].Error != "expired_url" {
		t.Errorf("response URL calls: %+v", calls)
	}
	h.noPublicPosts()
}

// A slash command that cannot be recorded is answered at once, in plain
// words with a request id; a click that cannot be recorded gets a 500 so
// that Slack shows its user it failed.
func TestInteractiveRecordFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{faulty: true}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	card := h.answer(alice, "issues acme")
	n.faulty.Set(storetest.Fail, "RecordInbox")
	ack := h.slash(alice, channel, "orgs")
	if !strings.Contains(ack.Text, "couldn't take your command") || !strings.Contains(ack.Text, "request id") || strings.Contains(ack.Text, "10.0.0.5") {
		t.Errorf("answer to an unrecorded command: %q", ack.Text)
	}
	form, err := h.slack.Click(alice, card, actionMore)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := h.post(slacktest.SignedForm(h.base+InteractivePath, secret, form))
	if resp.StatusCode != 500 || strings.Contains(body, "10.0.0.5") {
		t.Errorf("unrecorded click: %d %q", resp.StatusCode, body)
	}
	n.faulty.Set(storetest.Pass, "RecordInbox")
}

// Socket Mode delivers clicks and slash commands too: the command's
// acknowledgement carries its first answer.
func TestSocketModeInteractive(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{socketMode: true, configure: withTriage}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID, triageScopes()...)
	waitFor(t, "a Socket Mode connection", func() bool { return h.slack.SocketConnections() > 0 })

	env, err := h.slack.SendSocketSlashCommand(slacktest.SlashCommandJSON(h.slack.SlashCommand(alice, channel, "/sentry", "issue WEB-1A")))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the acknowledgement", func() bool { return h.slack.SocketAckPayload(env) != "" })
	if ack := h.slack.SocketAckPayload(env); !strings.Contains(ack, "only you can see this") {
		t.Errorf("acknowledgement: %s", ack)
	}
	h.quiet()
	private := h.slack.Ephemerals(alice)
	if len(private) != 1 || !strings.Contains(private[0].Blocks, actionResolve) {
		t.Fatalf("answers: %+v", private)
	}

	// Resolve from the private card: a click over Socket Mode, changed
	// with alice's grant; she is told (her card is hers alone).
	form, err := h.slack.ClickEphemeral(alice, private[0], actionResolve, "")
	if err != nil {
		t.Fatal(err)
	}
	env, err = h.slack.SendSocketInteractive(slacktest.Payload(form))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the click's acknowledgement", func() bool {
		for _, a := range h.slack.SocketAcks() {
			if a == env {
				return true
			}
		}
		return false
	})
	h.quiet()
	if status, _ := h.issueStatus("acme", "WEB-1A"); status != "resolved" {
		t.Errorf("status after a Socket Mode click: %q", status)
	}
	if private := h.privateTo(alice); len(private) != 2 || !strings.Contains(private[1], "Resolved WEB-1A") {
		t.Errorf("private answers: %q", private)
	}
	h.noPublicPosts()
}

// lookout posts answers only to Slack's own response URLs: one that
// points elsewhere is ignored (the answer goes by chat.postEphemeral), so
// a payload can never make lookout post to a host of anyone's choosing.
func TestResponseURLMustBeSlacks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(elsewhere.Close)
	form := h.slack.SlashCommand(alice, channel, "/sentry", "orgs")
	form.Set("response_url", elsewhere.URL+"/commands/T0/1/x")
	if resp, _ := h.post(slacktest.SignedForm(h.base+CommandsPath, secret, form)); resp.StatusCode != 200 {
		t.Fatalf("command: %d", resp.StatusCode)
	}
	h.quiet()
	if hits.Load() != 0 {
		t.Errorf("lookout posted to a response URL that is not Slack's (%d requests)", hits.Load())
	}
	if private := h.privateTo(alice); len(private) != 1 || !strings.Contains(private[0], "acme") {
		t.Errorf("private answers: %q", private)
	}
}

// A command resumed after consent that cannot be delivered is given up
// privately: never with a message in the channel.
func TestResumedCommandGivenUpPrivately(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.node(nodeOptions{configure: func(c *Config) { c.MaxAttempts = 1 }}).start(t)
	h.slash(bob, channel, "issues acme/web")
	h.quiet()
	private := h.privateTo(bob)
	if len(private) != 1 {
		t.Fatalf("private answers: %q", private)
	}
	// Every try of the resumed answer fails (one attempt, four calls);
	// the fifth call, the give-up note, goes through.
	h.slack.FailHTTP("chat.postEphemeral", 503, "", false, 4)
	h.consent(h.linkIn(private[0]), sentrytest.BobID)
	h.quiet()
	private = h.privateTo(bob)
	if len(private) != 2 || !strings.Contains(private[1], "couldn't answer this after several tries") {
		t.Fatalf("private answers: %q", private)
	}
	h.noPublicPosts()
}
