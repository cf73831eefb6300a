package tools

import "testing"

func TestGetDashboardDetails(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_dashboard_details",
		args: `{"organizationSlug":"acme","dashboardIdOrTitle":"101"}`,
		want: []string{`# Dashboard "Errors Overview" (id 101) in **acme**`, "/organizations/acme/dashboard/101/", "- Period: 24h",
			"- Filter release: web@1.2.3+build.4", "## Widgets (2)", "### Top Issues", "- Id 202 · table of error-events",
			"fields `issue, count()` · aggregates `count()` · group by `issue` · conditions `is:unresolved` · sort `-count()`"},
		scope:    "org:read",
		notFound: `{"organizationSlug":"acme","dashboardIdOrTitle":"999"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"organizationSlug":"acme","dashboardIdOrTitle":""}`,
			`{"dashboardIdOrTitle":"101"}`,
			`{"organizationSlug":"acme","dashboardIdOrTitle":101}`,
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "get_dashboard_details", `{"organizationSlug":"globex","dashboardIdOrTitle":"301","regionUrl":%q}`)
	})
}

func TestGetDashboardDetailsByTitle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contains(t, "by title", f.mustCall("get_dashboard_details", `{"organizationSlug":"acme","dashboardIdOrTitle":"checkout health"}`),
		`# Dashboard "Checkout Health" (id 102)`, "p95(span.duration)", `transaction:"POST /api/checkout/pay"`)
	_, err := f.call(f.env("1", allScopes), "get_dashboard_details", `{"organizationSlug":"acme","dashboardIdOrTitle":"Checkout"}`)
	isInputError(t, "a title that only contains", err, `no dashboard of acme is titled "Checkout"`)
}

func TestGetDashboardDetailsPinnedToAProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.pinned("acme", "web", "get_dashboard_details", `{"dashboardIdOrTitle":"103"}`); err != nil {
		t.Errorf("a dashboard of all projects, pinned to web: %v", err)
	}
	_, err := f.pinned("acme", "web", "get_dashboard_details", `{"dashboardIdOrTitle":"102"}`)
	isInputError(t, "checkout's dashboard, pinned to web", err, `pinned to project "web"`)
	_, err = f.pinned("acme", "web", "get_dashboard_details", `{"dashboardIdOrTitle":"Checkout Health"}`)
	isInputError(t, "checkout's dashboard by title, pinned to web", err, "no dashboard")
}
