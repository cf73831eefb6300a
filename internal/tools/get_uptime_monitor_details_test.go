package tools

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetUptimeMonitorDetails(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "get_uptime_monitor_details",
		args: `{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"` + sentrytest.UptimePublicAPIID + `"}`,
		want: []string{"# Uptime monitor **Public API** in **acme**", "Currently: failing", "Checks POST https://api.acme.example/v1/status every 5 min, timeout 10 s",
			"Authorization: [REDACTED]", "X-Api-Key: [REDACTED]", "Accept: application/json", "Body: set (", "not shown",
			"**failure_incident** (timeout)", "4 of these 10 checks failed (timeout ×4)", "/alerts/rules/uptime/api/" + sentrytest.UptimePublicAPIID + "/details/"},
		scope:    "project:read",
		notFound: `{"organizationSlug":"acme","projectSlug":"web","uptimeMonitorId":"` + sentrytest.UptimePublicAPIID + `"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlug":"api"}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":""}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"../1"}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"1","period":"1y"}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"1","start":"2026-11-24T00:00:00Z"}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"1","start":"2026-11-24T00:00:00Z","end":"2026-11-23T00:00:00Z"}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"1","period":"7d","start":"2026-11-23T00:00:00Z","end":"2026-11-24T00:00:00Z"}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"1","start":"yesterday","end":"today"}`,
			`{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"1","checkLimit":51}`,
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "get_uptime_monitor_details", `{"organizationSlug":"globex","regionUrl":%q,"projectSlug":"backend","uptimeMonitorId":"`+sentrytest.UptimeBackendID+`"}`)
	})
}

// Header values that look like credentials and the body never reach the
// output, whatever is asked.
func TestUptimeMonitorSecretsNeverShown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	for _, c := range []struct{ tool, args string }{
		{"get_uptime_monitor_details", `{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"` + sentrytest.UptimePublicAPIID + `","period":"7d","checkLimit":50}`},
		{"find_uptime_monitors", `{"organizationSlug":"acme"}`},
		{"update_uptime_monitor", `{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"` + sentrytest.UptimePublicAPIID + `","timeoutMs":20000}`},
		{"create_uptime_monitor", `{"organizationSlug":"acme","projectSlug":"api","name":"Admin","url":"https://admin.acme.example/","intervalSeconds":60,"headers":[["Cookie","session=uptime-cookie-secret"],["X-Session-Token","uptime-token-secret"]],"body":"uptime-new-body-secret","method":"POST"}`},
	} {
		out, err := f.call(env, c.tool, c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.tool, err)
		}
		for _, secret := range []string{"uptime-header-secret", "uptime-key-secret", "uptime-body-secret", "uptime-cookie-secret", "uptime-token-secret", "uptime-new-body-secret"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows %s:\n%s", c.tool, secret, out)
			}
		}
	}
}

func TestGetUptimeMonitorDetailsWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "get_uptime_monitor_details", `{"organizationSlug":"acme","projectSlug":"web","uptimeMonitorId":"`+sentrytest.UptimeStorefrontID+`","checkLimit":3}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "## Latest 3 checks (the last 24h)", "Older checks exist", "| success | 200 |")
	if strings.Contains(out, "checks failed") {
		t.Errorf("a healthy monitor reports failures:\n%s", out)
	}
	out, err = f.call(env, "get_uptime_monitor_details", `{"organizationSlug":"acme","projectSlug":"web","uptimeMonitorId":"`+sentrytest.UptimeStorefrontID+`","start":"2020-01-01T00:00:00Z","end":"2020-01-02T00:00:00Z"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "No checks in 2020-01-01T00:00:00Z to 2020-01-02T00:00:00Z.")
}
