package tools

import (
	"errors"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestSearchIssues(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "search_issues",
		args: `{"organizationSlug":"acme","projectSlugOrId":"web","query":"CartSummary"}`,
		want: []string{"# Issues in **acme**", "WEB-1A", "TypeError", "get_issue_details(organizationSlug='acme', issueId='WEB-1A')"},
		// project:read resolves the slug; event:read is covered by
		// TestIssueToolsNeedEventRead.
		scope:    "project:read",
		noAccess: `{"organizationSlug":"globex"}`, // bob is in acme only
		notFound: `{"organizationSlug":"acme","projectSlugOrId":"no-such-project"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","sort":"oldest"}`,
			`{"organizationSlug":"acme","limit":0}`,
			`{"organizationSlug":"acme","limit":101}`,
			`{"organizationSlug":"acme","period":"1y"}`,
			`{"organizationSlug":"acme","projectSlugOrId":7}`,
		},
	})
}

// A project slug is resolved to its numeric id; query, sort, period and
// limit reach Sentry as given, natural language included.
func TestSearchIssuesSendsProjectIDAndQueryUnchanged(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	const nl = "critical bugs from last week"
	out, err := f.call(env, "search_issues", `{"organizationSlug":"acme","projectSlugOrId":"web","query":"`+nl+`","sort":"freq","period":"7d","limit":3}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "No issues match") {
		t.Errorf("free text matching nothing:\n%s", out)
	}
	p, err := env.Sentry.GetProject(t.Context(), "acme", "web")
	if err != nil {
		t.Fatal(err)
	}
	var search *sentrytest.Request
	for _, r := range f.fake.Requests() {
		if strings.HasSuffix(r.Path, "/organizations/acme/issues/") {
			search = &r
		}
	}
	if search == nil {
		t.Fatal("no issue search request")
	}
	q := search.Query
	if q.Get("project") != string(p.ID) || q.Get("projectSlug") != "" {
		t.Errorf("project filter = %v, want project=%s", q, p.ID)
	}
	if q.Get("query") != nl || q.Get("sort") != "freq" || q.Get("statsPeriod") != "7d" || q.Get("limit") != "3" {
		t.Errorf("query params = %v", q)
	}
}

func TestSearchIssuesTableAndMoreNote(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "search_issues", `{"organizationSlug":"acme","projectSlugOrId":"web","limit":2}`)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "](http"); n != 2 {
		t.Errorf("want 2 linked issue rows, got %d:\n%s", n, out)
	}
	for _, w := range []string{"| issue | title | status |", "Query `is:unresolved` · sort date · last 30d · project web", "More results exist"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestSearchIssuesRefusesUntrustedRegion(t *testing.T) {
	f := newFixture(t)
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "search_issues", `{"organizationSlug":"acme","regionUrl":"https://evil.example"}`)
	if !errors.Is(err, sentry.ErrUntrustedRegion) {
		t.Fatalf("err = %v, want ErrUntrustedRegion", err)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
