package tools

import (
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetSnapshot(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_snapshot",
		args: `{"organizationSlug":"acme","snapshotId":"` + sentrytest.SnapshotID + `"}`,
		want: []string{"# Snapshot 231949 in **acme**", "/organizations/acme/preprod/snapshots/231949/", "- Type: diff · State: visible · Approval: requires_approval",
			"- App: Acme Shop (`com.acme.shop`, ios)", "- Source: repo acme/shop · head feature/new-login `abc123de` · base main `00011122` · PR #789",
			"- Images: 5 in total: 1 changed, 1 added, 0 removed, 1 renamed, 0 errored, 1 unchanged, 1 skipped",
			"## Changed (1)", "- `snapshots-iphone-16/auth_login_screen.png` login_screen.png (auth) · 12.5% of pixels differ",
			"## Renamed (1)", "← was `snapshots-iphone-16/preferences_page.png`", "get_snapshot_image("},
		scope:    "project:read",
		noAccess: `{"organizationSlug":"globex","snapshotId":"` + sentrytest.GlobexSnapshotID + `"}`,
		notFound: `{"organizationSlug":"acme","snapshotId":"999"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"organizationSlug":"acme","snapshotId":""}`,
			`{"organizationSlug":"acme","snapshotId":"latest-base"}`,
			`{"organizationSlug":"acme","snapshotId":"1","showUnmodified":"yes"}`,
		},
	})
}

func TestGetSnapshotUnmodifiedAndPins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := f.mustCall("get_snapshot", `{"organizationSlug":"acme","snapshotId":"231949"}`)
	lacks(t, "compact", out, "## Unchanged", "## Skipped")
	out = f.mustCall("get_snapshot", `{"organizationSlug":"acme","snapshotId":"231949","showUnmodified":true}`)
	contains(t, "unmodified", out, "## Unchanged (1)", "main_home.png", "## Skipped (1)")
	if _, err := f.pinned("acme", "web", "get_snapshot", `{"snapshotId":"231949"}`); err != nil {
		t.Errorf("web's snapshot pinned to web: %v", err)
	}
	_, err := f.pinned("acme", "api", "get_snapshot", `{"snapshotId":"231949"}`)
	isInputError(t, "web's snapshot pinned to api", err, `pinned to project "api"`)
}
