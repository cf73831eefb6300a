package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetMonitorDetails(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_monitor_details",
		args: `{"organizationSlug":"acme","monitorSlug":"nightly-import","period":"3d"}`,
		want: []string{"# Monitor Nightly Import (`nightly-import`) in **acme**", "- Status: ok · Project: checkout · Owner: payments (team)",
			"`0 2 * * *` (crontab, UTC) · check-in margin 5 min · max runtime 30 min", "- staging: missed_checkin",
			"## Recent check-ins (the last 3d)", ": **missed**, staging", ": **ok**, 13.2 s, production", "## Check-ins by status (the last 3d)",
			"/organizations/acme/crons/checkout/nightly-import/", "monitor.slug:nightly-import"},
		scope:    "project:read",
		noAccess: `{"organizationSlug":"globex","monitorSlug":"data-retention"}`,
		notFound: `{"organizationSlug":"acme","monitorSlug":"no-such-monitor"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"organizationSlug":"acme","monitorSlug":""}`,
			`{"organizationSlug":"acme","monitorSlug":"../x"}`,
			`{"organizationSlug":"acme","monitorSlug":"nightly-import","period":"3 days"}`,
			`{"organizationSlug":"acme","monitorSlug":"nightly-import","start":"2026-11-20T00:00:00Z"}`,
			`{"organizationSlug":"acme","monitorSlug":"nightly-import","start":"2026-11-20T00:00:00Z","end":"2026-11-21T00:00:00Z","period":"24h"}`,
			`{"organizationSlug":"acme","monitorSlug":"nightly-import","start":"2026-11-22T00:00:00Z","end":"2026-11-21T00:00:00Z"}`,
			`{"organizationSlug":"acme","monitorSlug":"nightly-import","start":"yesterday","end":"today"}`,
			`{"organizationSlug":"acme","monitorSlug":"nightly-import","checkInLimit":51}`,
			`{"organizationSlug":"acme","monitorSlug":"nightly-import","rollupSeconds":0}`,
		},
	})
}

// With data anchored at the real clock, the stats over the window count
// the check-ins; the environment and project narrow every part.
func TestGetMonitorDetailsStatsAndFilters(t *testing.T) {
	t.Parallel()
	f := &fixture{t: t, fake: sentrytest.NewServer(t, sentrytest.Options{Now: time.Now()})}
	out := f.mustCall("get_monitor_details", `{"organizationSlug":"acme","monitorSlug":"cache-warmup","projectSlugOrId":"api","period":"2h","rollupSeconds":3600,"checkInLimit":3}`)
	contains(t, "cache-warmup", out, "Total: ", " ok, 1 error, 0 missed", "| bucket start | ok | error |", ": **error**, 4.1 s, production")
	if n := strings.Count(out, ", production\n"); n != 3 {
		t.Errorf("checkInLimit 3 listed %d check-ins:\n%s", n, out)
	}
	if q := f.fake.Requests(); !f.requested("/projects/acme/api/monitors/cache-warmup/stats/") || len(q) == 0 {
		t.Errorf("stats not asked project-scoped: %v", q)
	}
	out = f.mustCall("get_monitor_details", `{"organizationSlug":"acme","monitorSlug":"nightly-import","environment":"production","includeStats":false}`)
	lacks(t, "production only", out, "staging", "## Check-ins by status")
	now := time.Now().UTC()
	out = f.mustCall("get_monitor_details", `{"organizationSlug":"acme","monitorSlug":"nightly-import","start":"`+
		now.Add(-50*time.Hour).Format(time.RFC3339)+`","end":"`+now.Format(time.RFC3339)+`"}`)
	contains(t, "absolute window", out, "## Recent check-ins ("+now.Add(-50*time.Hour).Format("2006-01-02 15:04"))
	if _, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_monitor_details", `{"organizationSlug":"acme","monitorSlug":"nightly-import","projectSlugOrId":"web"}`); err == nil {
		t.Error("a monitor looked up in another project was found")
	}
}

func TestGetMonitorDetailsPinnedToAProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.pinned("acme", "checkout", "get_monitor_details", `{"monitorSlug":"nightly-import"}`); err != nil {
		t.Errorf("checkout's monitor, pinned to checkout: %v", err)
	}
	_, err := f.pinned("acme", "web", "get_monitor_details", `{"monitorSlug":"nightly-import","projectSlugOrId":"checkout"}`)
	isInputError(t, "another project named", err, `pinned to project "web"`)
	if _, err := f.pinned("acme", "web", "get_monitor_details", `{"monitorSlug":"nightly-import"}`); err == nil {
		t.Error("checkout's monitor read on a connection pinned to web")
	}
}
