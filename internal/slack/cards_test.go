package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/slack/blockkit"
	"github.com/lookout-hq/lookout/internal/vault"
)

const testSentry = "https://sentry.example.com"

// bigIssue is an issue whose every text is far past any Block Kit limit.
func bigIssue(i int) sentry.Issue {
	long := strings.Repeat("Ω<&>|`*", 2000)
	return sentry.Issue{
		ID: sentry.FlexString(fmt.Sprint(6916805700 + i)), ShortID: fmt.Sprintf("CHECKOUT-%d", i),
		Title: "TypeError " + long, Culprit: "app/" + long, Level: "error", Status: "unresolved", Platform: long,
		Permalink: "https://evil.example/issues/1/",
		Project:   sentry.ProjectRef{Slug: strings.Repeat("p", 100)}, Count: 123456789, UserCount: 1234,
		FirstSeen: sentry.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, LastSeen: sentry.Time{Time: time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)},
		AssignedTo:  &sentry.Actor{Type: "user", Name: long, Email: long},
		LastRelease: &sentry.Release{Version: long},
	}
}

func checkBlocks(t *testing.T, surface blockkit.Surface, blocks []slackapi.Block) string {
	t.Helper()
	if err := blockkit.CheckValue(surface, blocks); err != nil {
		t.Fatalf("blocks break Block Kit limits: %v", err)
	}
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	// What is saved in an inbox item comes back the same.
	back, err := decodeBlocks(blocksJSON(blocks))
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(back); string(again) != string(b) {
		t.Fatalf("blocks change when saved and read back:\n%s\n%s", b, again)
	}
	return unescaped(b)
}

// unescaped is JSON with < > & as they are, for reading.
func unescaped(b []byte) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

func TestListCardsWithinLimits(t *testing.T) {
	t.Parallel()
	for _, triage := range []bool{false, true} {
		c := cardMaker{sentryURL: testSentry, triage: triage}
		for _, n := range []int{0, 1, pageSize, 50} {
			issues := make([]issueView, n)
			for i := range issues {
				issues[i] = issueView{Org: strings.Repeat("o", 50), Issue: bigIssue(i)}
			}
			more := &moreValue{Org: "acme", Project: "web", Query: strings.Repeat("q", 500), Cursor: "1700000000000:10:0", Page: 2, Asker: "UALICE"}
			js := checkBlocks(t, blockkit.Message, c.list("acme", "web", strings.Repeat("x", 5000), 1, issues, more))
			rows := strings.Count(js, `"block_id":"row|`)
			if want := min(n, pageSize); rows != want {
				t.Errorf("triage %t, %d issues: %d rows, want %d (one page)", triage, n, rows, want)
			}
			if strings.Contains(js, "evil.example") {
				t.Errorf("a card links outside the Sentry URL: %s", js)
			}
			if n > 0 && strings.Contains(js, actionMenu) != triage {
				t.Errorf("triage %t: triage menu shown: %t", triage, !triage)
			}
		}
	}
}

func TestIssueCardWithinLimits(t *testing.T) {
	t.Parallel()
	frame := &sentry.Frame{Function: strings.Repeat("f", 5000), Filename: "app/cart.js", LineNo: 12,
		Context: []sentry.ContextLine{{Line: 12, Code: "```" + strings.Repeat("x", 5000)}}}
	for _, triage := range []bool{false, true} {
		c := cardMaker{sentryURL: testSentry, triage: triage}
		for _, status := range []string{"unresolved", "resolved", "ignored"} {
			is := bigIssue(1)
			is.Status = status
			v := issueView{Org: "acme", Issue: is, Frame: frame, EventID: strings.Repeat("a", 40)}
			js := checkBlocks(t, blockkit.Message, c.card(v, strings.Repeat("note", 1000)))
			if strings.Contains(js, actionResolve) != (triage && status == "unresolved") ||
				strings.Contains(js, actionUnresolve) != (triage && status != "unresolved") {
				t.Errorf("triage %t, %s: wrong buttons:\n%s", triage, status, js)
			}
			checkBlocks(t, blockkit.Message, c.unfurlIssue(v, "UALICE"))
		}
	}
	// A plain issue: the facts a reader looks for.
	is := sentry.Issue{ID: "42", ShortID: "WEB-1A", Title: "TypeError: x is undefined", Culprit: "CartSummary in app/cart.js",
		Level: "error", Count: 1234, UserCount: 56, Status: "unresolved", LastRelease: &sentry.Release{Version: "web@1.2.3"},
		LastSeen:  sentry.Time{Time: time.Now()},
		Permalink: testSentry + "/organizations/acme/issues/42/"}
	js := checkBlocks(t, blockkit.Message, cardMaker{sentryURL: testSentry}.card(issueView{Org: "acme", Issue: is, Frame: &sentry.Frame{Function: "render", Filename: "cart.js", LineNo: 7}}, ""))
	for _, want := range []string{"<" + testSentry + "/organizations/acme/issues/42/|WEB-1A>", "TypeError: x is undefined", "CartSummary in app/cart.js",
		":red_circle: error", "1,234", "*Users*\\n56", "web@1.2.3", "render in cart.js:7", "<!date^", "Open in Sentry"} {
		if !strings.Contains(js, want) {
			t.Errorf("card lacks %q:\n%s", want, js)
		}
	}
}

func TestTraceUnfurlWithinLimits(t *testing.T) {
	t.Parallel()
	v := traceView{Org: "acme", TraceID: "0123456789abcdef0123456789abcdef", Link: testSentry + "/x",
		Meta: &sentry.TraceMeta{SpanCount: 9, Errors: 2}, Root: &sentry.TraceNode{Transaction: strings.Repeat("t", 5000), Duration: 10432}}
	js := checkBlocks(t, blockkit.Message, cardMaker{sentryURL: testSentry}.unfurlTrace(v, "UALICE"))
	if !strings.Contains(js, "Trace 01234567") || !strings.Contains(js, "10432 ms") {
		t.Errorf("trace unfurl:\n%s", js)
	}
}

func TestHomeWithinLimits(t *testing.T) {
	t.Parallel()
	orgs := make([]sentry.Organization, 150) // more than a select takes
	for i := range orgs {
		orgs[i] = sentry.Organization{Slug: fmt.Sprintf("org-%03d", i), Name: strings.Repeat("N", 200)}
	}
	orgs = append(orgs, sentry.Organization{Slug: "Not A Slug!"})
	projects := make([]sentry.Project, 150)
	for i := range projects {
		projects[i] = sentry.Project{Slug: fmt.Sprintf("project-%03d", i)}
	}
	connected := vault.Status{User: vault.SentryUser{Email: "alice@example.com"}, Scopes: BaseScopes, ConnectedAt: time.Now()}
	for _, h := range []homeState{
		{State: homeUnknown, RequestID: "0123456789abcdef"},
		{State: homeNotConnected, Link: "https://lookout.example.com/connect/sentry?s=x"},
		{State: homeNotConnected},
		{State: homeStale, Status: connected, Link: "https://lookout.example.com/connect/sentry?s=x"},
		{State: homeConnected, Status: connected, Link: "https://lookout.example.com/connect/sentry?s=x", Orgs: orgs, Org: "org-003", Projects: projects, Project: "project-149", Triage: true},
		{State: homeConnected, Status: connected, Orgs: orgs, Org: "gone-org"},
		{State: homeConnected, Status: connected, OrgsError: true},
		{State: homeConnected, Status: connected},
		// Nothing that can be offered: no empty menu.
		{State: homeConnected, Status: connected, Orgs: []sentry.Organization{{Slug: "Bad!"}}},
		{State: homeConnected, Status: connected, Orgs: orgs[:2], Org: "org-000", Projects: []sentry.Project{{Slug: "Bad!"}}},
	} {
		js := checkBlocks(t, blockkit.View, cardMaker{sentryURL: testSentry}.home(h))
		if strings.Contains(js, "Not A Slug!") {
			t.Errorf("an invalid slug offered:\n%s", js)
		}
	}
}

// patch changes the clicked issue's blocks in a card message and keeps
// everything else.
func TestPatchCard(t *testing.T) {
	t.Parallel()
	c := cardMaker{sentryURL: testSentry, triage: true}
	a := issueView{Org: "acme", Issue: sentry.Issue{ID: "1", ShortID: "WEB-1A", Title: "first", Status: "unresolved"}}
	b := issueView{Org: "acme", Issue: sentry.Issue{ID: "2", ShortID: "WEB-1B", Title: "second", Status: "unresolved"}}
	list := blocksJSON(c.list("acme", "", "", 1, []issueView{a, b}, nil))
	resolved := b
	resolved.Issue.Status = "resolved"
	got, ok := c.patch(list, resolved, "resolved by someone")
	if !ok {
		t.Fatal("patch: the row was not found")
	}
	js := checkBlocks(t, blockkit.Message, got)
	if !strings.Contains(js, "resolved by someone") || !strings.Contains(js, ":white_check_mark: resolved") || strings.Count(js, "Reopen") != 1 {
		t.Errorf("patched list:\n%s", js)
	}
	// Patching again replaces the note, not adds one.
	again, _ := c.patch(blocksJSON(got), resolved, "resolved again")
	if js := checkBlocks(t, blockkit.Message, again); strings.Contains(js, "resolved by someone") || strings.Count(js, "resolved again") != 1 {
		t.Errorf("patched twice:\n%s", js)
	}
	if _, ok := c.patch(list, issueView{Org: "acme", Issue: sentry.Issue{ID: "3"}}, "x"); ok {
		t.Error("patched an issue the card does not show")
	}
	card := blocksJSON(c.card(a, ""))
	resolvedA := a
	resolvedA.Issue.Status = "resolved"
	got, ok = c.patch(card, resolvedA, "done")
	if js := checkBlocks(t, blockkit.Message, got); !ok || !strings.Contains(js, actionUnresolve) || strings.Contains(js, actionResolve+`"`) || !strings.Contains(js, "done") {
		t.Errorf("patched card (%t):\n%s", ok, js)
	}
}
