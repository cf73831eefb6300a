package tools

import "testing"

func TestGetAlertRule(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_alert_rule",
		args: `{"organizationSlug":"acme","projectSlug":"checkout","ruleIdOrName":"checkout errors to #PAYMENTS"}`,
		want: []string{"# Alert rule in **acme/checkout**", "## Checkout errors to #payments",
			"- Kind: issue alert · Id: 3101 · Project: checkout · Status: enabled", "- Fires at most every 30 min · Environment: production · Owner: team:payments",
			"### Triggers", "- match any", "Event frequency count (comparison: interval: 1h, value: 100, result: true)",
			"### Action filters", "Tagged event (comparison: key: level, match: eq, value: error, result: true)",
			"Slack (target display: #payments-alerts, target: #payments-alerts, target type: specific, status: active)"},
		scope:    "org:read",
		noAccess: `{"organizationSlug":"globex","kind":"metric","ruleIdOrName":"4201"}`,
		notFound: `{"organizationSlug":"acme","kind":"metric","ruleIdOrName":"9999"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"organizationSlug":"acme","ruleIdOrName":""}`,
			`{"organizationSlug":"acme","kind":"issue","ruleIdOrName":"3101"}`,
			`{"organizationSlug":"acme","kind":"alert","ruleIdOrName":"3101"}`,
			`{"organizationSlug":"acme","ruleIdOrName":"   "}`,
		},
	})
}

func TestGetAlertRuleLookups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contains(t, "metric by id", f.mustCall("get_alert_rule", `{"organizationSlug":"acme","kind":"metric","ruleIdOrName":"4101"}`),
		"- Kind: metric alert · Id: 4101 · Status: active", "- critical threshold 2000, resolves at 1500", "Slack (target: #payments-alerts, target type: specific)", "- warning threshold 1000")
	contains(t, "issue by id", f.mustCall("get_alert_rule", `{"organizationSlug":"acme","kind":"issue","projectSlug":"web","ruleIdOrName":"3102"}`),
		"## New web issues", "Email (target: 4506000000000011, target type: team, status: active)")
	contains(t, "metric by name", f.mustCall("get_alert_rule", `{"organizationSlug":"acme","ruleIdOrName":"Web crash free sessions"}`),
		"- Kind: metric alert · Id: 4103")

	env := f.env("1", allScopes)
	_, err := f.call(env, "get_alert_rule", `{"organizationSlug":"acme","projectSlug":"api","ruleIdOrName":"API errors"}`)
	isInputError(t, "a name in both families", err, "2 alert rules are named \"API errors\" (issue rule 3104, metric rule 4102)")
	_, err = f.call(env, "get_alert_rule", `{"organizationSlug":"acme","kind":"metric","projectSlug":"web","ruleIdOrName":"4101"}`)
	isInputError(t, "a metric rule of another project", err, `not a rule of project "web"`)
	_, err = f.call(env, "get_alert_rule", `{"organizationSlug":"acme","ruleIdOrName":"4101"}`)
	isInputError(t, "an id without kind", err, "A numeric id needs kind='issue' or kind='metric'")
	_, err = f.call(env, "get_alert_rule", `{"organizationSlug":"acme","kind":"issue","projectSlug":"web","ruleIdOrName":"3103"}`)
	if err == nil {
		t.Error("a draft rule (no detector) was shown")
	}
}
