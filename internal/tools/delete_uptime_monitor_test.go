package tools

import (
	"net/http"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestDeleteUptimeMonitor(t *testing.T) {
	args := `{"organizationSlug":"acme","projectSlug":"checkout","uptimeMonitorId":"` + sentrytest.UptimeStagingID + `"}`
	runToolCase(t, toolCase{
		tool:     "delete_uptime_monitor",
		args:     args,
		want:     []string{"# Deleted uptime monitor **Checkout (staging)** from **acme/checkout**", "GET https://staging.acme.example/checkout"},
		scope:    "project:write",
		noAccess: args,
		notFound: `{"organizationSlug":"acme","projectSlug":"nope","uptimeMonitorId":"` + sentrytest.UptimeStagingID + `"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlug":"checkout"}`,
			`{"organizationSlug":"acme","projectSlug":"checkout","uptimeMonitorId":""}`,
			`{"organizationSlug":"acme","projectSlug":"checkout","uptimeMonitorId":"1/2"}`,
		},
	})
}

// Deleting is idempotent: a second delete says it is gone, sends no
// DELETE, and is not an error.
func TestDeleteUptimeMonitorTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	args := `{"organizationSlug":"acme","projectSlug":"checkout","uptimeMonitorId":"` + sentrytest.UptimeStagingID + `"}`
	if _, err := f.call(env, "delete_uptime_monitor", args); err != nil {
		t.Fatal(err)
	}
	out, err := f.call(env, "delete_uptime_monitor", args)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "does not exist in **acme/checkout**", "nothing was deleted")
	path := "/api/0/projects/acme/checkout/uptime/" + sentrytest.UptimeStagingID + "/"
	if d := writesTo(f, http.MethodDelete, path); len(d) != 1 || d[0].Status != http.StatusAccepted || d[0].UserID != sentrytest.AliceID {
		t.Errorf("DELETEs = %+v", d)
	}
	if a := auditEvents(f, "uptime.delete"); len(a) != 1 || a[0].Target != sentrytest.UptimeStagingID {
		t.Errorf("audit = %+v", a)
	}
	list, err := f.call(env, "find_uptime_monitors", `{"organizationSlug":"acme","projectSlug":"checkout"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, list, `No uptime monitor in **acme** matches project "checkout".`)
}
