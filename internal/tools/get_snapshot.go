package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getSnapshotInput struct {
	orgParam
	SnapshotID     string `json:"snapshotId" jsonschema:"The snapshot's numeric id (a preprod snapshot URL has it)."`
	ShowUnmodified bool   `json:"showUnmodified,omitempty" jsonschema:"List unchanged and skipped images too (they are only counted otherwise)."`
	regionParam
}

const getSnapshotName = "get_snapshot"

// snapshotImagesShown bounds each image list of a snapshot.
const snapshotImagesShown = 40

func getSnapshotTool() Tool {
	return newTool(spec{
		Name:  getSnapshotName,
		Title: "Get a preprod snapshot",
		Description: `Summarize a preprod snapshot run (screenshot tests of an app build): state, approval, branch and commit, and which images changed, were added, removed, renamed or failed compared with the base build.

Use it to investigate a failed snapshot check in CI, then get_snapshot_image to look at one image.
Examples: get_snapshot(organizationSlug='acme', snapshotId='231949') or get_snapshot(organizationSlug='acme', snapshotId='231949', showUnmodified=true).`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug")
			minLength(s, "snapshotId")
			setDefault(s, "showUnmodified", "false")
		},
	}, func(ctx context.Context, env *Env, in getSnapshotInput) (string, error) {
		id := strings.TrimSpace(in.SnapshotID)
		if !digitsRe().MatchString(id) {
			return "", &InputError{Tool: getSnapshotName, Problem: fmt.Sprintf("snapshotId %q is not a snapshot id (digits)", shorten(id, 40))}
		}
		if err := useRegionArg(env, in.OrganizationSlug, in.regionParam); err != nil {
			return "", err
		}
		return snapshotSummary(ctx, env, in.OrganizationSlug, id, in.ShowUnmodified)
	})
}

// snapshotSummary renders a snapshot as get_snapshot and get_sentry_resource
// show it.
func snapshotSummary(ctx context.Context, env *Env, org, id string, showUnmodified bool) (string, error) {
	s, err := env.Sentry.GetSnapshot(ctx, org, id)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProjectID(ctx, env, getSnapshotName, org, string(s.ProjectID), "snapshot "+id); err != nil {
		return "", err
	}
	count := func(n *sentry.FlexInt, list []sentry.SnapshotEntry) int64 {
		if n != nil {
			return int64(*n)
		}
		return int64(len(list))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Snapshot %s in **%s**\n\n", id, org)
	fmt.Fprintf(&b, "- Link: %s\n", snapshotWebURL(env, org, id))
	fmt.Fprintf(&b, "- Type: %s · State: %s", orDefault(s.ComparisonType, "unknown"), orDefault(s.State, "unknown"))
	if s.Approval.Status != "" {
		fmt.Fprintf(&b, " · Approval: %s", s.Approval.Status)
		if s.Approval.IsAutoApproved {
			b.WriteString(" (auto)")
		}
	}
	b.WriteString("\n")
	if a := s.AppInfo; a.AppID != "" {
		fmt.Fprintf(&b, "- App: %s (`%s`, %s)\n", orDefault(a.Name, a.AppID), a.AppID, orDefault(a.Platform, "?"))
	}
	b.WriteString(vcsLine(s.VCS))
	fmt.Fprintf(&b, "- Images: %d in total: %d changed, %d added, %d removed, %d renamed, %d errored, %d unchanged, %d skipped\n",
		count(s.TotalCount, s.Images), count(s.ChangedCount, s.Changed), count(s.AddedCount, s.Added), count(s.RemovedCount, s.Removed),
		count(s.RenamedCount, s.Renamed), count(s.ErroredCount, s.Errored), count(s.UnchangedCount, s.Unchanged), count(s.SkippedCount, s.Skipped))
	sections := []struct {
		title string
		list  []sentry.SnapshotEntry
	}{{"Changed", s.Changed}, {"Added", s.Added}, {"Removed", s.Removed}, {"Renamed", s.Renamed}, {"Errored", s.Errored}}
	diffs := len(s.Changed) + len(s.Added) + len(s.Removed) + len(s.Renamed) + len(s.Errored)
	if showUnmodified || diffs == 0 {
		sections = append(sections, []struct {
			title string
			list  []sentry.SnapshotEntry
		}{{"Unchanged", s.Unchanged}, {"Skipped", s.Skipped}, {"Images", s.Images}}...)
	}
	for _, sec := range sections {
		if len(sec.list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (%d)\n\n", sec.title, len(sec.list))
		for i, e := range sec.list {
			if i == snapshotImagesShown {
				fmt.Fprintf(&b, "- …and %d more\n", len(sec.list)-i)
				break
			}
			b.WriteString("- " + snapshotEntryText(e) + "\n")
		}
	}
	if diffs == 0 && len(s.Unchanged)+len(s.Images) == 0 {
		b.WriteString("\nNo image differs from the base.\n")
	}
	fmt.Fprintf(&b, "\nLook at one image: get_snapshot_image(organizationSlug='%s', snapshotId='%s', imageIdentifier='<file name>').\n", org, id)
	return b.String(), nil
}

func snapshotEntryText(e sentry.SnapshotEntry) string {
	img := e.Image()
	s := "`" + orDefault(img.ImageFileName, img.DisplayName) + "`"
	if img.DisplayName != "" && img.DisplayName != img.ImageFileName {
		s += " " + img.DisplayName
	}
	if img.Group != "" {
		s += " (" + img.Group + ")"
	}
	if e.BaseImage != nil && e.HeadImage != nil && e.BaseImage.ImageFileName != e.HeadImage.ImageFileName {
		s += " ← was `" + e.BaseImage.ImageFileName + "`"
	}
	if e.Diff != nil {
		s += fmt.Sprintf(" · %s of pixels differ", diffPercent(*e.Diff))
	}
	return s
}

// diffPercent prints a share of changed pixels, given 0 to 1.
func diffPercent(f float64) string {
	if f < 0.001 && f > 0 {
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

func vcsLine(v sentry.SnapshotVCS) string {
	var parts []string
	if v.RepoName != "" {
		parts = append(parts, "repo "+v.RepoName)
	}
	short := func(sha string) string { return sha[:min(len(sha), 8)] }
	if v.HeadRef != "" || v.HeadSHA != "" {
		parts = append(parts, fmt.Sprintf("head %s `%s`", v.HeadRef, short(v.HeadSHA)))
	}
	if v.BaseRef != "" || v.BaseSHA != "" {
		parts = append(parts, fmt.Sprintf("base %s `%s`", v.BaseRef, short(v.BaseSHA)))
	}
	if v.PRNumber != "" {
		parts = append(parts, "PR #"+string(v.PRNumber))
	}
	if len(parts) == 0 {
		return ""
	}
	return "- Source: " + strings.Join(parts, " · ") + "\n"
}

func snapshotWebURL(env *Env, org, id string) string {
	return orgWebURL(env, org, "preprod", "snapshots", id)
}
