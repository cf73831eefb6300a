package tools

import (
	"fmt"
	"regexp"
	"testing"
)

func TestFindDashboards(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "find_dashboards",
		args: `{"organizationSlug":"acme"}`,
		want: []string{"# Dashboards in **acme**", "| 101 | Errors Overview ★ | 2 (line, table) | 4506000000000101 | production | Alice Anderson |",
			"| 103 | Company KPIs | 1 (area) | all |", "/organizations/acme/dashboard/<id>/"},
		scope:    "org:read",
		notFound: `{"organizationSlug":"nope"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","sort":"name"}`,
			`{"organizationSlug":"acme","limit":0}`,
			`{"organizationSlug":"acme","limit":101}`,
			`{"organizationSlug":"acme","titleQuery":7}`,
			`{"organizationSlug":"../acme"}`,
			`{"organizationSlug":"acme","cursor":"lookout-dashboards:eyJjIjoiIiwibyI6MCwibiI6Mn0"}`, // a pinned cursor, unpinned
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "find_dashboards", `{"organizationSlug":"globex","regionUrl":%q}`)
	})
}

var cursorRe = regexp.MustCompile(`cursor='([^']+)'`)

func TestFindDashboardsSearchSortAndPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := f.mustCall("find_dashboards", `{"organizationSlug":"acme","titleQuery":"CHECK"}`)
	contains(t, "title search", out, `matching "CHECK"`, "Checkout Health")
	lacks(t, "title search", out, "Errors Overview")
	out = f.mustCall("find_dashboards", `{"organizationSlug":"acme","sort":"-dateCreated","limit":2}`)
	m := cursorRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no cursor for the next page:\n%s", out)
	}
	contains(t, "first page", out, "API Latency", "Company KPIs")
	out = f.mustCall("find_dashboards", fmt.Sprintf(`{"organizationSlug":"acme","sort":"-dateCreated","limit":2,"cursor":%q}`, m[1]))
	contains(t, "second page", out, "Checkout Health", "Errors Overview")
	lacks(t, "second page", out, "API Latency", "cursor='")
	if out := f.mustCall("find_dashboards", `{"organizationSlug":"acme","titleQuery":"nothing like it"}`); out != `No dashboard in **acme** matching "nothing like it".` {
		t.Errorf("no match: %q", out)
	}
}

// A connection pinned to a project sees the dashboards of that project and
// those of no project, page by page, with lookout's own cursor.
func TestFindDashboardsPinnedToAProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seen := ""
	args := `{"limit":1}`
	for range 5 {
		out, err := f.pinned("acme", "web", "find_dashboards", args)
		if err != nil {
			t.Fatal(err)
		}
		for _, title := range []string{"API Latency", "Checkout Health", "Company KPIs", "Errors Overview"} {
			if regexp.MustCompile(`\| ` + title).MatchString(out) {
				seen += title + ";"
			}
		}
		m := cursorRe.FindStringSubmatch(out)
		if m == nil {
			break
		}
		args = fmt.Sprintf(`{"limit":1,"cursor":%q}`, m[1])
	}
	if seen != "Company KPIs;Errors Overview;" {
		t.Errorf("pinned to web, pages showed %q", seen)
	}
	_, err := f.pinned("acme", "web", "find_dashboards", `{"cursor":"lookout-dashboards:!!"}`)
	isInputError(t, "a mangled cursor", err, "not one find_dashboards gave")
}
