package slack

import (
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// share posts text with links as user in the channel and delivers Slack's
// link_shared for links, then waits for the bots.
func (h *harness) share(user string, links ...string) slacktest.Message {
	h.t.Helper()
	m := h.slack.AddMessage(slacktest.Message{Channel: channel, User: user, Text: "look: " + strings.Join(links, " ")})
	h.event(h.slack.LinkShared(h.eventID(), user, m, links...))
	h.quiet()
	return m
}

// A Sentry link is previewed with the poster's own grant, never another
// user's: a poster who is not connected gets no preview, only a private
// hint, once; previews are kept briefly per poster.
func TestUnfurlWithThePostersGrant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	issue := h.sentry.URL + "/organizations/acme/issues/WEB-1A/"
	trace := h.sentry.URL + "/organizations/acme/performance/trace/" + sentrytest.TraceID + "/"
	other := "https://example.com/organizations/acme/issues/WEB-1A/"

	h.sentry.ClearRequests()
	m := h.share(alice, issue, trace, other)
	unfurls := h.slack.Unfurls()
	// Slack's unfurl id of the posted message names it.
	if len(unfurls) != 1 || unfurls[0].UnfurlID != m.Channel+"."+m.TS+".unfurl" || len(unfurls[0].Blocks) != 2 {
		t.Fatalf("unfurls: %+v", unfurls)
	}
	got := unescaped([]byte(unfurls[0].Blocks[issue]))
	for _, want := range []string{"|WEB-1A>*", "TypeError", "shown with <@" + alice + ">'s Sentry access", "Open in Sentry"} {
		if !strings.Contains(got, want) {
			t.Errorf("issue preview lacks %q:\n%s", want, got)
		}
	}
	if got := unescaped([]byte(unfurls[0].Blocks[trace])); !strings.Contains(got, "Trace ") || !strings.Contains(got, "*Spans*") {
		t.Errorf("trace preview:\n%s", got)
	}
	if _, ok := unfurls[0].Blocks[other]; ok {
		t.Error("a link to another host was previewed")
	}
	users := h.sentryUsers("/organizations/acme/")
	if len(users) == 0 || slices.ContainsFunc(users, func(u string) bool { return u != sentrytest.AliceID }) {
		t.Errorf("previews fetched by Sentry users %v, want alice only", users)
	}

	// The same link again, by alice: the preview is kept, Sentry not asked.
	h.sentry.ClearRequests()
	h.share(alice, issue)
	if len(h.slack.Unfurls()) != 2 || len(h.sentry.Requests()) != 0 {
		t.Errorf("a repeated link: %d unfurls, %d Sentry requests; want 2 and 0", len(h.slack.Unfurls()), len(h.sentry.Requests()))
	}

	// bob is not connected: no preview (not even alice's kept one), a
	// private hint once, nothing in the channel.
	h.sentry.ClearRequests()
	h.share(bob, issue)
	h.share(bob, issue)
	if len(h.slack.Unfurls()) != 2 {
		t.Errorf("a link of a user who is not connected was previewed: %+v", h.slack.Unfurls()[2:])
	}
	if hints := h.privateTo(bob); len(hints) != 1 || !strings.Contains(hints[0], "connect sentry") {
		t.Errorf("hints to bob: %q", hints)
	}
	if len(h.sentry.Requests()) != 0 {
		t.Errorf("Sentry was asked for bob's link: %+v", h.sentry.Requests())
	}
	if msgs := h.slack.BotMessages(channel, ""); len(msgs) != 0 {
		t.Errorf("the bot said something in the channel: %+v", msgs)
	}

	// carol is connected but cannot see acme: no preview, nothing said.
	n.grant(t, h, carolPrincipal, sentrytest.CarolID)
	h.share(carol, issue)
	if len(h.slack.Unfurls()) != 2 || len(h.privateTo(carol)) != 0 {
		t.Errorf("carol's link: unfurls %d, private %q", len(h.slack.Unfurls()), h.privateTo(carol))
	}
	h.assertNoLeaks()
}

// Without an unfurl id (older deliveries), the preview is attached by
// channel and message ts.
func TestUnfurlByChannelAndTS(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	link := h.sentry.URL + "/organizations/acme/issues/CHECKOUT-1A/"
	m := h.slack.AddMessage(slacktest.Message{Channel: channel, User: alice, Text: link})
	h.event(h.slack.InnerEvent(h.eventID(), map[string]any{"type": "link_shared", "user": alice, "channel": channel,
		"message_ts": m.TS, "links": []map[string]any{{"domain": "127.0.0.1", "url": link}}, "event_ts": h.slack.NextTS()}))
	h.quiet()
	unfurls := h.slack.Unfurls()
	if len(unfurls) != 1 || unfurls[0].Channel != channel || unfurls[0].TS != m.TS || unfurls[0].UnfurlID != "" ||
		!strings.Contains(unfurls[0].Blocks[link], "PaymentGatewayTimeout") {
		t.Fatalf("unfurls: %+v", unfurls)
	}
}
