package tools

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestFindUptimeMonitors(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "find_uptime_monitors",
		args: `{"organizationSlug":"acme"}`,
		want: []string{"# Uptime monitors in **acme**", "| Storefront | " + sentrytest.UptimeStorefrontID + " | web | up | active | GET https://shop.acme.example/health | 1 min | production |",
			"| Public API | " + sentrytest.UptimePublicAPIID + " | api | **failing** |", "| Checkout (staging) |", "get_uptime_monitor_details("},
		scope:    "org:read",
		notFound: `{"organizationSlug":"acme","projectSlug":"nope"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","limit":0}`,
			`{"organizationSlug":"acme","limit":100}`,
			`{"organizationSlug":"acme","owner":"alice"}`,
			`{"organizationSlug":"acme","query":""}`,
			`{"organizationSlug":"acme","environment":""}`,
			`{"organizationSlug":"acme","projectSlug":"a/b"}`,
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "find_uptime_monitors", `{"organizationSlug":"globex","regionUrl":%q}`)
	})
}

func TestFindUptimeMonitorsFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	for _, c := range []struct {
		args      string
		want, not []string
	}{
		{`{"organizationSlug":"acme","projectSlug":"api"}`, []string{"Public API", `Filtered by project "api"`}, []string{"Storefront", "Checkout (staging)"}},
		{`{"organizationSlug":"acme","projectSlug":"all"}`, []string{"Public API", "Storefront"}, []string{"Filtered"}},
		{`{"organizationSlug":"acme","environment":"staging"}`, []string{"Checkout (staging)"}, []string{"Storefront"}},
		{`{"organizationSlug":"acme","owner":"team:4506000000000011"}`, []string{"Storefront"}, []string{"Public API"}},
		{`{"organizationSlug":"acme","query":"shop.acme"}`, []string{"Storefront"}, []string{"Public API"}},
		{`{"organizationSlug":"acme","limit":1}`, []string{"Showing 1 monitors; more exist"}, nil},
		{`{"organizationSlug":"acme","query":"nothing-like-this"}`, []string{`No uptime monitor in **acme** matches query "nothing-like-this"`}, nil},
		{`{"organizationSlug":"globex"}`, []string{"Backend health"}, []string{"Storefront"}},
	} {
		out, err := f.call(env, "find_uptime_monitors", c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.args, err)
		}
		wantContains(t, out, c.want...)
		for _, n := range c.not {
			if strings.Contains(out, n) {
				t.Errorf("%s: output has %q:\n%s", c.args, n, out)
			}
		}
	}
}
