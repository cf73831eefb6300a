package tools

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestUpdateUptimeMonitor(t *testing.T) {
	base := `"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"` + sentrytest.UptimePublicAPIID + `"`
	runToolCase(t, toolCase{
		tool:     "update_uptime_monitor",
		args:     `{` + base + `,"intervalSeconds":60,"status":"disabled"}`,
		want:     []string{"# Updated uptime monitor **Public API** in **acme/api**", "every 1 min", "Status: disabled", "Changed: status, interval."},
		scope:    "project:write",
		noAccess: `{` + base + `,"status":"disabled"}`,
		notFound: `{"organizationSlug":"acme","projectSlug":"web","uptimeMonitorId":"` + sentrytest.UptimePublicAPIID + `","status":"disabled"}`,
		badInput: []string{
			`{` + base + `}`,
			`{` + base + `,"intervalSeconds":90}`,
			`{` + base + `,"intervalSeconds":null}`,
			`{` + base + `,"timeoutMs":100}`,
			`{` + base + `,"owner":"bob"}`,
			`{` + base + `,"owner":""}`,
			`{` + base + `,"environment":""}`,
			`{` + base + `,"environment":"  "}`,
			`{` + base + `,"name":""}`,
			`{` + base + `,"url":"javascript:alert(1)"}`,
			`{` + base + `,"body":5}`,
			`{"organizationSlug":"acme","projectSlug":"api","status":"disabled"}`,
		},
	})
}

// null clears the body, owner and environment; leaving them out keeps
// them.
func TestUpdateUptimeMonitorClears(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	base := `"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"` + sentrytest.UptimePublicAPIID + `"`
	out, err := f.call(env, "update_uptime_monitor", `{`+base+`,"name":"Public API v1"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "**Public API v1**", "Owner: team:4506000000000013 (platform)", "Environment: production", "Body: set (", "Changed: name.")
	out, err = f.call(env, "update_uptime_monitor", `{`+base+`,"body":null,"owner":null,"environment":null,"headers":[]}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Owner: none", "Environment: none", "Changed: headers, body, owner, environment.")
	for _, gone := range []string{"Body:", "Headers:"} {
		if strings.Contains(out, gone) {
			t.Errorf("%s still shown after clearing:\n%s", gone, out)
		}
	}
	a := auditEvents(f, "uptime.edit")
	if len(a) != 2 || a[1].UserID != sentrytest.AliceID {
		t.Fatalf("audit = %+v", a)
	}
	if fields := a[1].Data["fields"].([]string); strings.Join(fields, ",") != "body,headers,owner,environment" {
		t.Errorf("sent fields %v", fields)
	}
}
