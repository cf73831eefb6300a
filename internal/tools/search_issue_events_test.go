package tools

import (
	"errors"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestSearchIssueEvents(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "search_issue_events",
		args: `{"organizationSlug":"acme","issueId":"WEB-1A","query":"environment:production"}`,
		want: []string{"# Events of WEB-1A in **acme**", "| id | timestamp | environment | release | user.display | trace |",
			"4bf92f3577b34da6a3ce929d0e0e4736", "get_issue_details(organizationSlug='acme', issueId='WEB-1A', eventId='"},
		// scope and no access: TestIssueToolsNeedEventRead, TestIssueToolsNoAccess.
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","limit":0}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","limit":500}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","period":"yesterday"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","sort":"timestamp; drop"}`,
			`{"issueUrl":"not a url"}`,
		},
	})
}

// The search is Discover scoped to the issue: the user's query is kept
// whole, the sort reaches Sentry, and the limit bounds the rows.
func TestSearchIssueEventsFiltersSortsAndLimits(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "search_issue_events", `{"organizationSlug":"acme","issueId":"WEB-1A","query":"user.email:customer9243@example.net","sort":"timestamp","period":"7d"}`)
	if err != nil {
		t.Fatal(err)
	}
	rows := issueTableRows(out)
	if len(rows) == 0 {
		t.Fatalf("no rows:\n%s", out)
	}
	for _, r := range rows {
		if !strings.Contains(r, "customer9243@example.net") {
			t.Errorf("row of another user: %s", r)
		}
	}
	for i := 1; i < len(rows); i++ {
		if strings.Split(rows[i-1], "|")[2] > strings.Split(rows[i], "|")[2] {
			t.Errorf("not oldest first:\n%s", out)
		}
	}
	reqs := f.fake.Requests()
	q := reqs[len(reqs)-1].Query
	if q.Get("query") != "issue.id:6500000001 user.email:customer9243@example.net" || q.Get("sort") != "timestamp" ||
		q.Get("statsPeriod") != "7d" || q.Get("dataset") != "errors" {
		t.Errorf("discover query = %v", q)
	}

	out, err = f.call(env, "search_issue_events", `{"organizationSlug":"acme","issueId":"WEB-1A","limit":2}`)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(issueTableRows(out)); n != 2 || !strings.Contains(out, "More results exist") {
		t.Errorf("limit 2: %d rows:\n%s", n, out)
	}

	_, err = f.call(env, "search_issue_events", `{"organizationSlug":"acme","issueId":"WEB-1A","projectSlug":"checkout"}`)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("project other than the issue's: err = %v", err)
	}
}

func TestIssueEventQueryKeepsOrInsideTheIssue(t *testing.T) {
	for query, want := range map[string]string{
		"":                              "issue.id:42",
		"environment:production":        "issue.id:42 environment:production",
		"release:1.0 OR release:2.0":    "issue.id:42 (release:1.0 OR release:2.0)",
		"  user.email:a@example.com   ": "issue.id:42 user.email:a@example.com",
	} {
		if got := issueEventQuery("42", query); got != want {
			t.Errorf("issueEventQuery(%q) = %q, want %q", query, got, want)
		}
	}
}

// issueTableRows returns the data rows of the first markdown table in out.
func issueTableRows(out string) []string {
	var rows []string
	inTable := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "| ---") || strings.HasPrefix(line, "|---"):
			inTable = true
		case inTable && strings.HasPrefix(line, "|"):
			rows = append(rows, line)
		case inTable:
			return rows
		}
	}
	return rows
}
