package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// Answers about issues come as cards: a list of rows, or one issue in
// detail, with the text answer as the fallback; without triage, they only
// look.
func TestAnswersAreCards(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)

	list := h.answer(alice, "issues acme/checkout")
	if !strings.Contains(list.Text, "CHECKOUT-1A") {
		t.Errorf("the text fallback lacks the issues: %q", list.Text)
	}
	blocks := unescaped([]byte(list.Blocks))
	for _, want := range []string{`"text":"Issues in acme/checkout"`, `"block_id":"row|acme|`, "|CHECKOUT-1A>*", "PaymentGatewayTimeout", "last seen <!date^", `"text":"Open"`} {
		if !strings.Contains(blocks, want) {
			t.Errorf("list card lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, actionMenu) || strings.Contains(blocks, actionResolve) {
		t.Errorf("triage offered while it is off:\n%s", blocks)
	}
	if _, err := h.slack.Choose(alice, list, actionMenu, "x"); err == nil {
		t.Error("a triage menu can be clicked while triage is off")
	}

	card := h.answer(alice, "issue CHECKOUT-1A")
	blocks = unescaped([]byte(card.Blocks))
	for _, want := range []string{`"type":"header"`, "CHECKOUT-1A · ", "*Events*", "*Users*", "*First seen*", "*Last seen*", "*Release*", "Top in-app frame", "Open in Sentry"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("issue card lacks %q:\n%s", want, blocks)
		}
	}
	// A question about something else stays text.
	if orgs := h.answer(alice, "orgs"); orgs.Blocks != "" {
		t.Errorf("a non-issue answer came with cards: %s", orgs.Blocks)
	}
	h.assertNoLeaks()
}

// A connected user with event:write clicks Resolve on a card: Sentry sees
// the change made with that user's token, and the card changes for
// everyone only after Sentry accepted.
func TestTriageByConnectedUser(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOptions{backend: be})
			n := h.node(nodeOptions{configure: withTriage}).start(t)
			n.grant(t, h, alicePrincipal, sentrytest.AliceID)
			n.grant(t, h, bobPrincipal, sentrytest.BobID, triageScopes()...)

			card := h.answer(alice, "issue WEB-1A") // asked by alice, read-only
			if status, _ := h.issueStatus("acme", "WEB-1A"); status != "unresolved" {
				t.Fatalf("seeded status %q", status)
			}
			var updatesBeforeSentry int
			h.slack.OnCall(func(c slacktest.Call) {
				if c.Method == "chat.update" && len(h.puts()) == 0 {
					updatesBeforeSentry++
				}
			})
			h.sentry.ClearRequests()
			h.interact(h.slack.Click(bob, card, actionResolve)) // bob clicks
			h.quiet()

			if got := h.puts(); !slices.Equal(got, []string{sentrytest.BobID}) {
				t.Fatalf("issue changes by Sentry users %v, want one by bob", got)
			}
			if status, _ := h.issueStatus("acme", "WEB-1A"); status != "resolved" {
				t.Errorf("status after Resolve: %q", status)
			}
			if updatesBeforeSentry != 0 {
				t.Error("the card changed before Sentry accepted")
			}
			now := h.card(card.TS)
			blocks := unescaped([]byte(now.Blocks))
			if now.Edits != 1 || !strings.Contains(blocks, "Resolved by <@"+bob+">") || !strings.Contains(blocks, ":white_check_mark: resolved") ||
				!strings.Contains(blocks, actionUnresolve) || strings.Contains(blocks, `"action_id":"`+actionResolve+`"`) {
				t.Errorf("card after Resolve (%d edits):\n%s", now.Edits, blocks)
			}
			if len(h.slack.Ephemerals("")) != 0 {
				t.Errorf("private messages sent: %v", h.privateTo(""))
			}

			// Assign to me, from the same (changed) card.
			h.interact(h.slack.Click(bob, now, actionAssign))
			h.quiet()
			if _, assignee := h.issueStatus("acme", "WEB-1A"); assignee != "bob@example.com" {
				t.Errorf("assignee after Assign to me: %q", assignee)
			}
			if blocks := unescaped([]byte(h.card(card.TS).Blocks)); !strings.Contains(blocks, "Assigned to <@"+bob+">") || !strings.Contains(blocks, "bob@example.com") {
				t.Errorf("card after Assign:\n%s", blocks)
			}
			h.assertNoLeaks()
		})
	}
}

// A list row's menu resolves one issue and changes that row only.
func TestTriageFromListMenu(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{configure: withTriage}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID, triageScopes()...)
	list := h.answer(alice, "issues acme/checkout")
	before := unescaped([]byte(list.Blocks))
	id := buttonValueOfRow(t, list, "CHECKOUT-1A")
	h.interact(h.slack.Choose(alice, list, actionMenu, encodeValue(issueAction{Verb: verbIgnore, Org: "acme", Issue: id})))
	h.quiet()
	if status, _ := h.issueStatus("acme", "CHECKOUT-1A"); status != "ignored" {
		t.Fatalf("status after Archive: %q", status)
	}
	after := unescaped([]byte(h.card(list.TS).Blocks))
	if strings.Count(after, "Archived by <@"+alice+">") != 1 || strings.Count(after, `"block_id":"row|`) != strings.Count(before, `"block_id":"row|`) {
		t.Errorf("list after Archive:\n%s", after)
	}
}

// buttonValueOfRow finds the numeric id of the issue shortID in a list.
func buttonValueOfRow(t *testing.T, m slacktest.Message, shortID string) string {
	t.Helper()
	var blocks []map[string]any
	_ = json.Unmarshal([]byte(m.Blocks), &blocks)
	for _, b := range blocks {
		text, _ := b["text"].(map[string]any)
		if s, _ := text["text"].(string); strings.Contains(s, "|"+shortID+">") {
			id, _ := b["block_id"].(string)
			return id[strings.LastIndexByte(id, '|')+1:]
		}
	}
	t.Fatalf("no row of %s", shortID)
	return ""
}

// A clicker without a grant gets a private connect link; the click is
// parked, and carried out once after consent, with their grant, not the
// asker's.
func TestTriageUnconnectedClickerResumesOnce(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOptions{backend: be})
			n := h.node(nodeOptions{configure: withTriage}).start(t)
			n.grant(t, h, alicePrincipal, sentrytest.AliceID, triageScopes()...)
			card := h.answer(alice, "issue WEB-1A")

			h.sentry.ClearRequests()
			h.interact(h.slack.Click(bob, card, actionResolve))
			h.quiet()
			if got := h.puts(); len(got) != 0 {
				t.Fatalf("changes before consent: %v", got)
			}
			if h.card(card.TS).Edits != 0 {
				t.Error("the card changed before anything happened")
			}
			private := h.privateTo(bob)
			if len(private) != 1 || !strings.Contains(private[0], "Connect Sentry>") || len(h.privateTo(alice)) != 0 {
				t.Fatalf("private messages: bob %q, alice %q", private, h.privateTo(alice))
			}
			parked, err := n.store.ListParkedRequests(context.Background(), bobPrincipal, n.bot.now())
			if err != nil || len(parked) != 1 {
				t.Fatalf("parked clicks: %d, %v", len(parked), err)
			}
			for _, m := range h.slack.Calls("chat.postMessage") {
				if strings.Contains(m.Get("text"), h.base) || strings.Contains(m.Get("blocks"), h.base) {
					t.Errorf("a connect link was posted publicly: %v", m.Params)
				}
			}

			// bob consents: consent asks Sentry for event:write too.
			link := h.linkIn(strings.SplitN(private[0], " [", 2)[0])
			h.consent(link, sentrytest.BobID)
			h.quiet()
			if got := h.puts(); !slices.Equal(got, []string{sentrytest.BobID}) {
				t.Fatalf("changes after consent: %v, want one by bob", got)
			}
			if st, err := n.vault.Status(context.Background(), bobPrincipal); err != nil || !st.HasScope(triageScope) {
				t.Errorf("bob's new grant: %+v %v; want event:write", st.Scopes, err)
			}
			if blocks := unescaped([]byte(h.card(card.TS).Blocks)); !strings.Contains(blocks, "Resolved by <@"+bob+">") {
				t.Errorf("card after the resumed click:\n%s", blocks)
			}
			if parked, _ := n.store.ListParkedRequests(context.Background(), bobPrincipal, n.bot.now()); len(parked) != 0 {
				t.Errorf("%d parked clicks left", len(parked))
			}
			// A second node and more time change nothing: once.
			h.node(nodeOptions{configure: withTriage}).start(t)
			h.quiet()
			if got := h.puts(); len(got) != 1 {
				t.Errorf("changes: %v, want exactly one", got)
			}
			h.assertNoLeaks()
		})
	}
}

// A clicker connected read-only is asked, privately, to allow event:write.
func TestTriageMissingScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{configure: withTriage}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	n.grant(t, h, bobPrincipal, sentrytest.BobID) // read only
	card := h.answer(alice, "issue WEB-1A")
	h.interact(h.slack.Click(bob, card, actionAssign))
	h.quiet()
	private := h.privateTo(bob)
	if len(private) != 1 || !strings.Contains(private[0], "`event:write`") || !strings.Contains(private[0], "Reconnect Sentry>") {
		t.Fatalf("private messages to bob: %q", private)
	}
	if got := h.puts(); len(got) != 0 {
		t.Fatalf("changes without the scope: %v", got)
	}
	h.consent(h.linkIn(private[0]), sentrytest.BobID)
	h.quiet()
	if _, assignee := h.issueStatus("acme", "WEB-1A"); assignee != "bob@example.com" {
		t.Errorf("assignee after consent: %q", assignee)
	}
}

// A clicker whose Sentry account cannot see the issue is told privately,
// and nothing changes: not the issue, not the card.
func TestTriageNoAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{configure: withTriage}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID, triageScopes()...)
	n.grant(t, h, carolPrincipal, sentrytest.CarolID, triageScopes()...) // in no organization
	card := h.answer(alice, "issue WEB-1A")
	h.interact(h.slack.Click(carol, card, actionResolve))
	h.quiet()
	if got := h.puts(); len(got) != 0 {
		t.Fatalf("changes by a user without access: %v", got)
	}
	if status, _ := h.issueStatus("acme", "WEB-1A"); status != "unresolved" {
		t.Errorf("status: %q", status)
	}
	if h.card(card.TS).Edits != 0 {
		t.Error("the card changed")
	}
	private := h.privateTo(carol)
	if len(private) != 1 || !strings.Contains(private[0], "nothing changed") || !strings.Contains(private[0], "request id") {
		t.Fatalf("private messages to carol: %q", private)
	}
	if strings.Contains(private[0], "/api/0/") || strings.Contains(private[0], "403") {
		t.Errorf("internals in the explanation: %q", private[0])
	}
}

// With triage off, even a click Slack delivers for a triage action (an
// old card) changes nothing.
func TestTriageOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID, triageScopes()...)
	card := h.answer(alice, "issue WEB-1A")
	if _, err := h.slack.Click(alice, card, actionResolve); err == nil {
		t.Fatal("a Resolve button is shown with triage off")
	}
	var blocks []map[string]any
	_ = json.Unmarshal([]byte(card.Blocks), &blocks)
	value := encodeValue(issueAction{Org: "acme", Issue: "1"})
	blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "button", "action_id": actionResolve,
		"text": map[string]any{"type": "plain_text", "text": "Resolve"}, "value": value}}})
	old := card
	old.Blocks = string(mustJSON(blocks))
	h.interact(h.slack.Click(alice, old, actionResolve))
	h.quiet()
	if got := h.puts(); len(got) != 0 {
		t.Fatalf("changes with triage off: %v", got)
	}
	if private := h.privateTo(alice); len(private) != 1 || !strings.Contains(private[0], "turned off") {
		t.Errorf("private messages: %q", private)
	}
}

// "More issues": the asker's click pages the card in place; another
// user's click shows them the page, fetched with their own access.
func TestMorePages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	n.grant(t, h, bobPrincipal, sentrytest.BobID)
	list := h.answer(alice, "issues acme")
	first := unescaped([]byte(list.Blocks))
	if strings.Count(first, `"block_id":"row|`) != pageSize || !strings.Contains(first, actionMore) {
		t.Fatalf("first page:\n%s", first)
	}

	h.sentry.ClearRequests()
	h.interact(h.slack.Click(bob, list, actionMore))
	h.quiet()
	if users := h.sentryUsers("/issues/"); len(users) == 0 || slices.ContainsFunc(users, func(u string) bool { return u != sentrytest.BobID }) {
		t.Errorf("bob's page fetched by %v", users)
	}
	if h.card(list.TS).Edits != 0 {
		t.Error("another user's click changed the asker's card")
	}
	if private := h.privateTo(bob); len(private) != 1 || !strings.Contains(private[0], "(page 2)") {
		t.Errorf("bob's page: %q", private)
	}

	h.interact(h.slack.Click(alice, list, actionMore))
	h.quiet()
	now := h.card(list.TS)
	second := unescaped([]byte(now.Blocks))
	if now.Edits != 1 || !strings.Contains(second, "(page 2)") || second == first {
		t.Fatalf("the asker's card after More:\n%s", second)
	}
	// Pages until Sentry has no more: then no More button.
	for page := 3; ; page++ {
		cur := h.card(list.TS)
		if _, err := h.slack.Click(alice, cur, actionMore); err != nil {
			break
		}
		if page > 10 {
			t.Fatal("More never ends")
		}
		h.interact(h.slack.Click(alice, cur, actionMore))
		h.quiet()
		if got := unescaped([]byte(h.card(list.TS).Blocks)); !strings.Contains(got, fmt.Sprintf("(page %d)", page)) {
			t.Fatalf("page %d:\n%s", page, got)
		}
	}
}

// An interactivity request not signed with the signing secret is refused
// before anything is recorded.
func TestInteractiveSignatureRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.running()
	form := h.slack.SlashCommand(alice, channel, "/sentry", "orgs")
	body := []byte(form.Encode())
	for _, path := range []string{InteractivePath, CommandsPath} {
		for name, req := range map[string]func() (*http.Request, error){
			"forged": func() (*http.Request, error) { return slacktest.ForgedRequest(h.base+path, body), nil },
			"stale":  func() (*http.Request, error) { return slacktest.StaleRequest(h.base+path, secret, body), nil },
		} {
			r, _ := req()
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, _ := h.post(r); resp.StatusCode != 401 {
				t.Errorf("%s %s: %d, want 401", name, path, resp.StatusCode)
			}
		}
	}
	h.quiet()
	if items, _ := h.serving.Load().store.ListInbox(context.Background(), "", time.Now(), 0); len(items) != 0 {
		t.Errorf("%d inbox items from refused requests", len(items))
	}
}

// A click is carried out once: delivered twice (a Socket Mode redelivery,
// a double click Slack sends with one trigger id), or retried because
// Slack failed the card's update after Sentry accepted the change.
func TestClickOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.node(nodeOptions{configure: withTriage}).start(t)
	n.grant(t, h, alicePrincipal, sentrytest.AliceID, triageScopes()...)
	card := h.answer(alice, "issue WEB-1A")

	form, err := h.slack.Click(alice, card, actionResolve)
	h.slack.FailHTTP("chat.update", 503, "", false, callAttempts) // the first attempt's every try
	h.interact(form, err)
	h.interact(form, err) // the same click again
	h.quiet()
	if got := h.puts(); len(got) != 1 {
		t.Fatalf("issue changes: %v, want exactly one", got)
	}
	now := h.card(card.TS)
	if blocks := unescaped([]byte(now.Blocks)); now.Edits != 1 || !strings.Contains(blocks, "Resolved by <@"+alice+">") {
		t.Errorf("card (%d edits):\n%s", now.Edits, blocks)
	}
	updates := h.slack.Calls("chat.update")
	if len(updates) != callAttempts+1 {
		t.Errorf("chat.update calls: %d, want %d failed and one that went through", len(updates), callAttempts)
	}
}
