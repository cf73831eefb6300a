package tools

import (
	"fmt"
	"testing"
)

func TestFindAlertRules(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "find_alert_rules",
		args: `{"organizationSlug":"acme","projectSlug":"checkout"}`,
		want: []string{"# Alert rules in **acme/checkout**", "## Issue alert rules (1)",
			"| 3101 | Checkout errors to #payments | enabled | 30 min | production | team:payments |",
			"## Metric alert rules (1)", "| 4101 | Checkout p95 latency | active | `p95(transaction.duration)` where `transaction:\"POST /api/checkout/pay\"` | 5 min | checkout |"},
		scope:    "org:read",
		noAccess: `{"organizationSlug":"globex"}`,
		notFound: `{"organizationSlug":"nope"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","kind":"workflow"}`,
			`{"organizationSlug":"acme","kind":"issue"}`,
			`{"organizationSlug":"acme","kind":"issue","projectSlug":"all"}`,
			`{"organizationSlug":"acme","projectSlug":"web","cursor":"0:10:0"}`,
			`{"organizationSlug":"acme","limit":0}`,
			`{"organizationSlug":"acme","projectSlug":"a/b"}`,
		},
	})
}

func TestFindAlertRulesFamiliesAndFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := f.mustCall("find_alert_rules", `{"organizationSlug":"acme"}`)
	contains(t, "all projects", out, "Issue alert rules are listed per project", "## Metric alert rules (3)", "API errors", "Web crash free sessions")
	lacks(t, "all projects", out, "## Issue alert rules")
	out = f.mustCall("find_alert_rules", `{"organizationSlug":"acme","projectSlug":"web","kind":"issue"}`)
	contains(t, "web's issue rules", out, "New web issues")
	lacks(t, "web's issue rules", out, "Draft web rule", "## Metric")
	out = f.mustCall("find_alert_rules", `{"organizationSlug":"acme","kind":"metric","query":"LATENCY"}`)
	contains(t, "metric rules by name", out, `named like "LATENCY"`, "Checkout p95 latency")
	lacks(t, "metric rules by name", out, "API errors")
	if !f.requested("/combined-rules/") {
		t.Error("a name search did not use combined-rules")
	}
	out = f.mustCall("find_alert_rules", `{"organizationSlug":"acme","kind":"metric","limit":1}`)
	m := cursorRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no cursor:\n%s", out)
	}
	out = f.mustCall("find_alert_rules", fmt.Sprintf(`{"organizationSlug":"acme","kind":"metric","limit":1,"cursor":%q}`, m[1]))
	contains(t, "second page", out, "| 4102 | API errors")
	out = f.mustCall("find_alert_rules", fmt.Sprintf(`{"organizationSlug":"globex","projectSlug":"backend","regionUrl":%q}`, f.fake.RegionURL("de")))
	contains(t, "globex", out, "Backend fatal errors", "## Metric alert rules (0)")
}

func TestFindAlertRulesPinned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out, err := f.pinned("acme", "api", "find_alert_rules", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "pinned to api", out, "**acme/api**", "| 3104 | API errors | disabled", "| 4102 | API errors")
	lacks(t, "pinned to api", out, "Checkout")
	_, err = f.pinned("acme", "api", "find_alert_rules", `{"projectSlug":"web"}`)
	isInputError(t, "another project", err, "pinned")
}
