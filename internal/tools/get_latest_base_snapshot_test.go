package tools

import (
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetLatestBaseSnapshot(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_latest_base_snapshot",
		args: `{"organizationSlug":"acme","appId":"` + sentrytest.AppID + `"}`,
		want: []string{"# Latest base snapshot of `com.acme.shop` in **acme**: 231900", "- App: Acme Shop (ios)", "head main `00011122`",
			"## Images (2)", "- `snapshots-iphone-16/main_home.png` Home Screen (main) — Home screen", "get_snapshot(organizationSlug='acme', snapshotId='231900')"},
		scope:    "project:read",
		noAccess: `{"organizationSlug":"globex","appId":"com.globex.mobile"}`,
		notFound: `{"organizationSlug":"acme","appId":"com.acme.nothing"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"organizationSlug":"acme","appId":""}`,
			`{"organizationSlug":"acme","appId":"../x"}`,
			`{"organizationSlug":"acme","appId":"com.acme.shop","project":"a/b"}`,
		},
	})
}

func TestGetLatestBaseSnapshotBranchAndPins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contains(t, "branch", f.mustCall("get_latest_base_snapshot", `{"organizationSlug":"acme","appId":"com.acme.shop","branch":"feature/new-login"}`), ": 231949")
	if out, err := f.pinned("acme", "web", "get_latest_base_snapshot", `{"appId":"com.acme.shop"}`); err != nil {
		t.Errorf("pinned to web: %v", err)
	} else {
		contains(t, "pinned to web", out, ": 231900")
	}
	if q := f.fake.Requests(); q[len(q)-1].Query.Get("projectSlug") != "web" {
		t.Errorf("the pinned project was not sent: %v", q[len(q)-1].Query)
	}
	_, err := f.pinned("acme", "web", "get_latest_base_snapshot", `{"appId":"com.acme.shop","project":"api"}`)
	isInputError(t, "another project, pinned", err, `pinned to project "web"`)
	if _, err := f.pinned("acme", "api", "get_latest_base_snapshot", `{"appId":"com.acme.shop"}`); err == nil {
		t.Error("web's app found on a connection pinned to api")
	}
}
