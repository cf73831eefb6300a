package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestFindMonitors(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "find_monitors",
		args: `{"organizationSlug":"acme"}`,
		want: []string{"# Cron monitors in **acme**", "## Nightly Import (ok)", "`nightly-import`", "`0 2 * * *` (crontab, UTC)",
			"staging: missed_checkin, last check-in ", "## Cache Warmup (error)", "every 15 minutes", "Owner: platform (team)",
			"- Last check-in: ", "/organizations/acme/crons/checkout/nightly-import/"},
		scope:    "org:read",
		notFound: `{"organizationSlug":"nope"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","limit":0}`,
			`{"organizationSlug":"acme","limit":100}`,
			`{"organizationSlug":"acme","limit":"5"}`,
			`{"organizationSlug":"acme","owner":"bogus"}`,
			`{"organizationSlug":"acme","owner":5}`,
			`{"organizationSlug":"acme","projectSlug":"a b"}`,
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "find_monitors", `{"organizationSlug":"globex","regionUrl":%q}`)
	})
}

func TestFindMonitorsFilters(t *testing.T) {
	f := newFixture(t)
	alice := f.env(sentrytest.AliceID, allScopes)
	for _, c := range []struct {
		args      string
		want, not []string
	}{
		{`{"organizationSlug":"acme","projectSlug":"api"}`, []string{"Cache Warmup"}, []string{"Nightly Import"}},
		{`{"organizationSlug":"acme","projectSlug":"all"}`, []string{"Cache Warmup", "Nightly Import"}, nil},
		{`{"organizationSlug":"acme","query":"WARM"}`, []string{"Cache Warmup"}, []string{"Nightly Import"}},
		{`{"organizationSlug":"acme","owner":"team:payments"}`, []string{"Nightly Import"}, []string{"Cache Warmup"}},
		{`{"organizationSlug":"acme","owner":"team:4506000000000013"}`, []string{"Cache Warmup"}, []string{"Nightly Import"}},
		{`{"organizationSlug":"acme","owner":"myteams"}`, []string{"Cache Warmup", "Nightly Import"}, nil},
		{`{"organizationSlug":"acme","owner":"unassigned"}`, []string{`No cron monitor in **acme** matches owner "unassigned"`}, []string{"Nightly"}},
		{`{"organizationSlug":"acme","environment":"staging"}`, []string{"Nightly Import", "staging: missed_checkin"}, []string{"Cache Warmup", "production:"}},
		{`{"organizationSlug":"acme","limit":1}`, []string{"Nightly Import", "_Showing 1 monitors; more exist"}, []string{"Cache Warmup"}},
		{fmt.Sprintf(`{"organizationSlug":"globex","regionUrl":%q}`, f.fake.RegionURL("de")),
			[]string{"## Data Retention Sweep (ok)", "`30 3 * * 0`", "Owner: core (team)"}, []string{"Nightly"}},
	} {
		out, err := f.call(alice, "find_monitors", c.args)
		if err != nil {
			t.Errorf("%s: %v", c.args, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.args, w, out)
			}
		}
		for _, n := range c.not {
			if strings.Contains(out, n) {
				t.Errorf("%s: output has %q:\n%s", c.args, n, out)
			}
		}
	}
}

func TestMonitorOwnerMe(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.BobID, allScopes), "find_monitors", `{"organizationSlug":"acme","owner":"me"}`)
	if err != nil || !strings.Contains(out, `matches owner "me"`) {
		t.Errorf("bob owns no monitor: %v\n%s", err, out)
	}
}
