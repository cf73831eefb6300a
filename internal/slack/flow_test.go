package slack

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lookout-hq/lookout/internal/authserver"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// TestConnectFlow is the product's main path, on each backend: a first
// question without a grant gets a private link and a thread note, the
// question is parked before the link goes out, following the link through
// Sentry answers the question in its thread exactly once as the asking
// user; a later 401 (the user revoked lookout in Sentry) leads to a
// private reconnect link, and consenting again answers that question.
func TestConnectFlow(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			n := h.running()

			// The fake Slack's hook looks at the store the moment the
			// link is sent: the question must already be parked.
			var mu sync.Mutex
			parkedAtLink := -1
			h.slack.OnCall(func(c slacktest.Call) {
				if c.Method != "chat.postEphemeral" {
					return
				}
				ps, err := n.store.ListParkedRequests(context.Background(), alicePrincipal, n.bot.now())
				mu.Lock()
				defer mu.Unlock()
				if err == nil && parkedAtLink < 0 {
					parkedAtLink = len(ps)
				}
			})

			// 1. First question, no grant.
			q := h.mention(alice, channel, "", "issues acme/checkout")
			note := h.waitBot(channel, q.TS, 1)[0]
			eph := h.slack.Calls("chat.postEphemeral")
			if len(eph) != 1 {
				t.Fatalf("ephemeral calls: %d, want 1", len(eph))
			}
			if eph[0].Get("user") != alice || eph[0].Get("channel") != channel || eph[0].Get("thread_ts") != q.TS {
				t.Errorf("ephemeral went to user %q in %q thread %q; want alice in the question's thread",
					eph[0].Get("user"), eph[0].Get("channel"), eph[0].Get("thread_ts"))
			}
			link := h.linkIn(eph[0].Get("text"))
			if eph[0].Get("unfurl_links") != "false" {
				t.Errorf("the link message may be unfurled: %v", eph[0].Params)
			}
			for _, bad := range []string{"http", authserver.ConnectPath, "?s="} {
				if strings.Contains(note.Text, bad) {
					t.Errorf("thread note contains %q: %q", bad, note.Text)
				}
			}
			if !strings.Contains(note.Text, "<@"+alice+">") || !strings.Contains(note.Text, "private link") {
				t.Errorf("thread note: %q", note.Text)
			}
			mu.Lock()
			if parkedAtLink != 1 {
				t.Errorf("parked questions when the link was sent: %d, want 1", parkedAtLink)
			}
			mu.Unlock()
			for _, c := range h.slack.Calls("chat.postMessage") {
				if strings.Contains(c.Get("text"), h.base) {
					t.Errorf("a link was posted with chat.postMessage in %s: %q", c.Get("channel"), c.Get("text"))
				}
			}

			// 2. Follow the link: lookout -> Sentry -> callback -> page.
			h.sentry.ClearRequests()
			page := h.consent(link, sentrytest.AliceID)
			if !strings.Contains(page, "Connected. You can close this tab; the answer is on its way where you asked.") {
				t.Errorf("connected page:\n%s", page)
			}
			msgs := h.waitBot(channel, q.TS, 2)
			if !strings.Contains(msgs[1].Text, "CHECKOUT-") || !strings.HasPrefix(msgs[1].Text, "<@"+alice+">") {
				t.Errorf("answer: %q", msgs[1].Text)
			}
			h.quiet()
			if got := len(h.slack.BotMessages(channel, q.TS)); got != 2 {
				t.Errorf("bot messages in the thread: %d, want 2 (note, answer)", got)
			}
			users := h.sentryUsers("/issues/")
			if len(users) == 0 || slices.ContainsFunc(users, func(u string) bool { return u != sentrytest.AliceID }) {
				t.Errorf("Sentry issue requests by users %v, want alice only", users)
			}
			if ps, _ := n.store.ListParkedRequests(context.Background(), alicePrincipal, n.bot.now()); len(ps) != 0 {
				t.Errorf("%d parked questions left", len(ps))
			}
			// The link was single use.
			if status, body := h.follow(link); status != 400 || !strings.Contains(body, "already used") {
				t.Errorf("reused link: %d\n%s", status, body)
			}

			// 3. Alice revokes lookout in Sentry: the next question
			// gets a private reconnect link, and resumes after consent.
			h.sentry.RevokeUserTokens(sentrytest.AliceID)
			q2 := h.mention(alice, channel, "", "issues acme/checkout is:unresolved")
			note2 := h.waitBot(channel, q2.TS, 1)[0]
			eph = h.waitCalls("chat.postEphemeral", 2)
			if !strings.Contains(eph[1].Get("text"), "expired or was revoked") || eph[1].Get("user") != alice {
				t.Errorf("reconnect message: %q to %q", eph[1].Get("text"), eph[1].Get("user"))
			}
			if strings.Contains(note2.Text, "http") || !strings.Contains(note2.Text, "expired or was revoked") {
				t.Errorf("reconnect thread note: %q", note2.Text)
			}
			h.consent(h.linkIn(eph[1].Get("text")), sentrytest.AliceID)
			msgs = h.waitBot(channel, q2.TS, 2)
			if !strings.Contains(msgs[1].Text, "CHECKOUT-") {
				t.Errorf("answer after reconnect: %q", msgs[1].Text)
			}
			h.quiet()
			if got := len(h.slack.BotMessages(channel, q2.TS)); got != 2 {
				t.Errorf("bot messages in the second thread: %d, want 2", got)
			}

			// 4. Replies in the thread reach the bot without a mention,
			// now answered at once with the grant.
			h.say(alice, channel, q2.TS, "issues acme/web")
			msgs = h.waitBot(channel, q2.TS, 3)
			if !strings.Contains(msgs[2].Text, "WEB-") {
				t.Errorf("thread reply answer: %q", msgs[2].Text)
			}

			h.assertNoLeaks()
		})
	}
}

// TestTwoUsersOwnGrants: two Slack users in one channel connect two
// Sentry accounts, and each question runs with its asker's own grant.
func TestTwoUsersOwnGrants(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()

	qa := h.mention(alice, channel, "", "issues acme/checkout")
	qb := h.mention(bob, channel, "", "issues acme/web")
	h.waitBot(channel, qa.TS, 1)
	h.waitBot(channel, qb.TS, 1)
	links := map[string]string{}
	for _, c := range h.waitCalls("chat.postEphemeral", 2) {
		links[c.Get("user")] = h.linkIn(c.Get("text"))
	}
	if len(links) != 2 || links[alice] == links[bob] {
		t.Fatalf("links per user: %v", links)
	}

	h.sentry.ClearRequests()
	h.consent(links[alice], sentrytest.AliceID)
	h.waitBot(channel, qa.TS, 2)
	h.quiet()
	aliceUsers := h.sentryUsers("/issues/")
	h.sentry.ClearRequests()
	h.consent(links[bob], sentrytest.BobID)
	h.waitBot(channel, qb.TS, 2)
	h.quiet()
	bobUsers := h.sentryUsers("/issues/")

	if len(aliceUsers) == 0 || slices.ContainsFunc(aliceUsers, func(u string) bool { return u != sentrytest.AliceID }) {
		t.Errorf("alice's question ran as Sentry users %v", aliceUsers)
	}
	if len(bobUsers) == 0 || slices.ContainsFunc(bobUsers, func(u string) bool { return u != sentrytest.BobID }) {
		t.Errorf("bob's question ran as Sentry users %v", bobUsers)
	}
	// And later questions too, each as its asker.
	h.sentry.ClearRequests()
	h.mention(bob, channel, qa.TS, "issues acme/web")
	h.waitBot(channel, qa.TS, 3)
	if users := h.sentryUsers("/issues/"); len(users) == 0 || users[0] != sentrytest.BobID {
		t.Errorf("bob's reply in alice's thread ran as %v", users)
	}
	h.assertNoLeaks()
}

// TestMissingScopeReconnect: a grant without event:read gets a reconnect
// link that asks Sentry for the base scopes and the missing one.
func TestMissingScopeReconnect(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID, "org:read", "project:read", "team:read")

	q := h.mention(alice, channel, "", "issues acme/checkout")
	note := h.waitBot(channel, q.TS, 1)[0]
	eph := h.waitCalls("chat.postEphemeral", 1)[0]
	if !strings.Contains(eph.Get("text"), "`event:read`") || !strings.Contains(note.Text, "`event:read`") {
		t.Errorf("missing scope not named: private %q, thread %q", eph.Get("text"), note.Text)
	}
	h.consent(h.linkIn(eph.Get("text")), sentrytest.AliceID)
	msgs := h.waitBot(channel, q.TS, 2)
	if !strings.Contains(msgs[1].Text, "CHECKOUT-") {
		t.Errorf("answer: %q", msgs[1].Text)
	}
	var asked string
	for _, r := range h.rec.all() {
		if i := strings.Index(r, "/oauth/authorize/?"); i >= 0 {
			u, err := url.Parse("http://x" + strings.Fields(r[i:])[0])
			if err == nil {
				asked = u.Query().Get("scope")
			}
		}
	}
	for _, s := range append(BaseScopes, "event:read") {
		if !slices.Contains(strings.Fields(asked), s) {
			t.Errorf("Sentry was asked for %q, lacking %s", asked, s)
		}
	}
}

// TestDirectMessageFlow: in a DM the link is a normal message there (no
// ephemeral), and the answer comes in the DM after consent.
func TestDirectMessageFlow(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()

	q := h.say(alice, aliceDM, "", "issues acme/checkout")
	msgs := h.waitBot(aliceDM, "", 1)
	if eph := h.slack.Calls("chat.postEphemeral"); len(eph) != 0 {
		t.Errorf("ephemeral in a DM: %v", eph)
	}
	link := h.linkIn(msgs[0].Text)
	if msgs[0].ThreadTS != "" {
		t.Errorf("the link was posted in a thread of the DM: %+v", msgs[0])
	}
	h.consent(link, sentrytest.AliceID)
	msgs = h.waitBot(aliceDM, "", 2)
	if !strings.Contains(msgs[1].Text, "CHECKOUT-") || strings.HasPrefix(msgs[1].Text, "<@") {
		t.Errorf("DM answer: %q", msgs[1].Text)
	}
	_ = q
	h.quiet()
	if got := len(h.slack.BotMessages(aliceDM, "")); got != 2 {
		t.Errorf("DM bot messages: %d, want 2", got)
	}
}

// TestEphemeralRefusedFallsBackToDM: when Slack refuses the ephemeral
// message, the link goes by direct message, and still never to the thread.
func TestEphemeralRefusedFallsBackToDM(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	h.slack.Fail("chat.postEphemeral", "user_not_in_channel", 0)

	q := h.mention(alice, channel, "", "issues acme/checkout")
	note := h.waitBot(channel, q.TS, 1)[0]
	if strings.Contains(note.Text, "http") {
		t.Errorf("thread note has a link: %q", note.Text)
	}
	opens := h.waitCalls("conversations.open", 1)
	if opens[0].Get("users") != alice {
		t.Errorf("DM opened with %q", opens[0].Get("users"))
	}
	dm := h.waitBot(aliceDM, "", 1)
	link := h.linkIn(dm[0].Text)
	h.consent(link, sentrytest.AliceID)
	msgs := h.waitBot(channel, q.TS, 2)
	if !strings.Contains(msgs[1].Text, "CHECKOUT-") {
		t.Errorf("answer: %q", msgs[1].Text)
	}
}

// TestNoPrivateRouteTellsThreadWithoutLink: with neither ephemeral nor
// DM possible, the thread hears what to do, still without a link.
func TestNoPrivateRouteTellsThreadWithoutLink(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	h.slack.Fail("chat.postEphemeral", "user_not_in_channel", 0)
	h.slack.Fail("conversations.open", "cannot_dm_bot", 0)

	q := h.mention(alice, channel, "", "issues acme/checkout")
	note := h.waitBot(channel, q.TS, 1)[0]
	if strings.Contains(note.Text, "http") || !strings.Contains(note.Text, "connect sentry") {
		t.Errorf("thread note: %q", note.Text)
	}
	for _, c := range h.slack.Calls("chat.postMessage") {
		if strings.Contains(c.Get("text"), authserver.ConnectPath) {
			t.Errorf("link posted to %s: %q", c.Get("channel"), c.Get("text"))
		}
	}
}

// TestGuidance: agent errors reach the thread in Slack words: a generic
// 403 names the target and what to do.
func TestGuidance(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, bobPrincipal, sentrytest.BobID)

	q := h.mention(bob, channel, "", "issues globex/backend") // bob is not in globex
	msg := h.waitBot(channel, q.TS, 1)[0]
	if !strings.Contains(msg.Text, "globex") || !strings.Contains(strings.ToLower(msg.Text), "can't access") {
		t.Errorf("403 guidance: %q", msg.Text)
	}
	if eph := h.slack.Calls("chat.postEphemeral"); len(eph) != 0 {
		t.Errorf("a 403 asked for consent: %v", eph)
	}
}
