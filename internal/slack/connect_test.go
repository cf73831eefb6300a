package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lookout-hq/lookout/internal/authserver"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// The connect page (the authorization server's) names the Slack user the
// link is for, as the bot describes them, escaped.
func TestConnectPageNamesTheSlackUser(t *testing.T) {
	h := newHarness(t, harnessOptions{slack: slacktest.Options{UserNames: map[string]string{alice: "Alice <Admin>"}}})
	h.running()
	h.mention(alice, channel, "", "connect sentry")
	link := h.linkIn(h.waitCalls("chat.postEphemeral", 1)[0].Get("text"))
	status, page := h.get(h.browser(), link)
	if status != http.StatusOK || !strings.Contains(page, "Continue to Sentry") {
		t.Fatalf("confirmation page: %d\n%s", status, page)
	}
	if !strings.Contains(page, "the Slack user Alice &lt;Admin&gt; ("+alice+") in workspace "+team) || strings.Contains(page, "<Admin>") {
		t.Errorf("the page must name the Slack user, escaped:\n%s", page)
	}
	h.consent(link, sentrytest.AliceID)
	h.assertNoLeaks()
}

// Attack (issue #8, finding 1): Alice says "connect sentry", opens her own
// link, presses Continue and stops at the redirect to Sentry's consent.
// She sends that Sentry URL to Bob. Bob consents and comes back to lookout
// in his own browser. Before, lookout stored Bob's Sentry grant under
// Alice's Slack identity and Alice then queried Sentry as Bob. Now Bob's
// browser never confirmed the link, so the callback refuses: Alice has no
// grant, and her next question gets her a connect link, not Bob's data.
func TestForwardedSentryURLConnectsNothing(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			n := h.running()
			h.mention(alice, channel, "", "connect sentry")
			link := h.linkIn(h.waitCalls("chat.postEphemeral", 1)[0].Get("text"))

			jar, _ := cookiejar.New(nil)
			aliceBrowser := &http.Client{Jar: jar, Transport: h.rec,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			_, page := h.get(aliceBrowser, link)
			resp, err := aliceBrowser.PostForm(h.base+authserver.ConnectPath, url.Values{
				"s": {hiddenField(t, page, "s")}, "csrf_token": {hiddenField(t, page, "csrf_token")}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			toSentry := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(toSentry, h.sentry.URL) {
				t.Fatalf("confirm: %d %q", resp.StatusCode, toSentry)
			}

			h.sentry.SetConsentUser(sentrytest.BobID)
			status, body := h.get(h.browser(), toSentry) // Bob: Sentry, then lookout's callback
			if status != http.StatusForbidden || !strings.Contains(body, "not started in this browser") {
				t.Fatalf("Bob's browser at the callback: %d\n%s", status, body)
			}
			if _, err := n.vault.Status(context.Background(), alicePrincipal); !errors.Is(err, vault.ErrNoGrant) {
				t.Fatalf("Alice's principal has a grant: %v", err)
			}
			h.sentry.ClearRequests()
			q := h.mention(alice, channel, "", "issues acme/checkout")
			h.waitBot(channel, q.TS, 1)
			if eph := h.waitCalls("chat.postEphemeral", 2); !strings.Contains(eph[1].Get("text"), authserver.ConnectPath) {
				t.Errorf("Alice's question did not get her a connect link: %q", eph[1].Get("text"))
			}
			for _, u := range h.sentryUsers("/") {
				if u == sentrytest.BobID {
					t.Fatal("lookout called Sentry as Bob for Alice")
				}
			}
		})
	}
}

// Two lookout replicas (authorization server and bot each) over one store,
// asked at once for the same user's connect link, hand out one link (issue
// #13 §8): the store picks it atomically.
func TestTwoReplicasOneLink(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{backend: be})
			a, b := h.node(nodeOptions{}), h.node(nodeOptions{})
			const perNode = 20
			links := make([]string, 2*perNode)
			errs := make([]error, 2*perNode)
			var wg sync.WaitGroup
			for i := range links {
				n := a
				if i%2 == 1 {
					n = b
				}
				wg.Go(func() { links[i], errs[i] = n.bot.connectLink(context.Background(), alicePrincipal) })
			}
			wg.Wait()
			first := ""
			for i, l := range links {
				if errs[i] != nil {
					t.Fatalf("call %d: %v", i, errs[i])
				}
				if id := stateID(t, l); first == "" {
					first = id
				} else if id != first {
					t.Fatalf("replicas handed out two links for one user: states %s and %s", first, id)
				}
			}
			// Either replica's copy works, once.
			h.consent(links[1], sentrytest.AliceID)
			if status, body := h.follow(links[0]); status != http.StatusBadRequest || !strings.Contains(body, "already used") {
				t.Errorf("the other replica's copy after use: %d", status)
			}
		})
	}
}
