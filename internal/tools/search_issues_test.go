package tools

import (
	"errors"
	"net/http"
	"net/http/httptest"
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
	for _, w := range []string{"| issue | title | culprit | status | events | users | first seen | last seen | assignee |",
		"Query `is:unresolved` · sort date · last 30d · project web", "More results exist",
		"| CartSummary(components/CartSummary) |", // culprit
		"| 2026-11-22 13:00 |",                    // first seen
	} {
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

// A performance regression's title says only "Endpoint Regression"; what
// regressed is in the issue's metadata, and both search_issues and
// get_issue_details show it (the reference does too).
func TestPerformanceIssueShowsRegressionEvidence(t *testing.T) {
	const regressed = `{"id":"6898891101","shortId":"API-2R","title":"Endpoint Regression","culprit":"POST /oauth/token",
		"level":"info","status":"unresolved","substatus":"regressed","project":{"id":"4509062593708032","slug":"api"},
		"type":"generic","issueType":"performance_p95_endpoint_regression","issueCategory":"metric",
		"metadata":{"title":"Endpoint Regression","value":"Increased from 909.77ms to 1711.36ms (P95)"},
		"count":"3","userCount":0,"firstSeen":"2025-09-24T03:02:10.919020Z","lastSeen":"2025-11-18T06:01:20Z"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/0/organizations/acme/issues/":
			_, _ = w.Write([]byte("[" + regressed + "]"))
		case "/api/0/organizations/acme/issues/API-2R/":
			_, _ = w.Write([]byte(regressed))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"detail":"The requested resource does not exist"}`))
		}
	}))
	t.Cleanup(srv.Close)
	c, err := sentry.New(sentry.Options{BaseURL: srv.URL, Token: sentry.StaticToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Sentry: c}
	catalog := Catalog(Options{})
	for tool, args := range map[string]string{
		"search_issues":     `{"organizationSlug":"acme"}`,
		"get_issue_details": `{"organizationSlug":"acme","issueId":"API-2R"}`,
	} {
		tl, _ := Find(catalog, tool)
		out, err := tl.Call(t.Context(), env, []byte(args))
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		if !strings.Contains(out, "Increased from 909.77ms to 1711.36ms (P95)") {
			t.Errorf("%s lacks the regression evidence:\n%s", tool, out)
		}
	}
}
