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
		want: []string{"# Events of WEB-1A in **acme**", "| event | time (UTC) | environment | release | user |",
			"| production | web@1.2.3+build.4 |", "get_issue_details(organizationSlug='acme', issueId='WEB-1A', eventId='"},
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
			`{"organizationSlug":"acme","issueId":"not an id!!"}`,
		},
	})
}

// The search reads the issue's own events endpoint, one request: the
// user's query, the sort, the period and the limit reach Sentry as given
// (Discover is not involved).
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
	if len(reqs) != 1 || reqs[0].Path != "/api/0/organizations/acme/issues/WEB-1A/events/" {
		t.Fatalf("requests %v, want one to the issue's events", reqs)
	}
	q := reqs[0].Query
	if q.Get("query") != "user.email:customer9243@example.net" || q.Get("sort") != "timestamp" ||
		q.Get("statsPeriod") != "7d" || q.Get("per_page") != "50" {
		t.Errorf("issue events query = %v", q)
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
