package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getLatestBaseSnapshotInput struct {
	orgParam
	AppID   string  `json:"appId" jsonschema:"The app's id, e.g. com.acme.shop (a snapshot's app info has it)."`
	Branch  *string `json:"branch,omitempty" jsonschema:"The newest snapshot of this branch instead of the base branch."`
	Project *string `json:"project,omitempty" jsonschema:"The app's project (slug or numeric id), when apps of several projects share the id."`
	regionParam
}

const getLatestBaseSnapshotName = "get_latest_base_snapshot"

func getLatestBaseSnapshotTool() Tool {
	return newTool(spec{
		Name:  getLatestBaseSnapshotName,
		Title: "Get an app's latest base snapshot",
		Description: `Find the newest snapshot of an app on its base branch (or on a given branch): its id, commit and the images it holds.

Use it to know what a feature branch's snapshots are compared against, or to browse the current reference screenshots.
Examples: get_latest_base_snapshot(organizationSlug='acme', appId='com.acme.shop') or get_latest_base_snapshot(organizationSlug='acme', appId='com.acme.shop', branch='main', project='web').`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "branch", "project")
			withSlugPattern(s, "organizationSlug", "project")
			minLength(s, "appId")
			s.Properties["appId"].Pattern = `^[A-Za-z0-9][A-Za-z0-9._-]*$`
		},
	}, func(ctx context.Context, env *Env, in getLatestBaseSnapshotInput) (string, error) {
		org, project := in.OrganizationSlug, optString(in.Project)
		if env.Project != "" {
			if project != "" && !strings.EqualFold(project, env.Project) {
				return "", &InputError{Tool: getLatestBaseSnapshotName, Problem: fmt.Sprintf("this connection is pinned to project %q; project=%q is outside it", env.Project, project)}
			}
			project = env.Project
		}
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		s, err := env.Sentry.GetLatestBaseSnapshot(ctx, org, sentry.LatestBaseQuery{AppID: in.AppID, Branch: optString(in.Branch), Project: project})
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Latest base snapshot of `%s` in **%s**: %s\n\n", in.AppID, org, s.ID)
		fmt.Fprintf(&b, "- Link: %s\n", snapshotWebURL(env, org, string(s.ID)))
		if a := s.AppInfo; a.Name != "" || a.Platform != "" {
			fmt.Fprintf(&b, "- App: %s (%s)\n", orDefault(a.Name, a.AppID), orDefault(a.Platform, "?"))
		}
		b.WriteString(vcsLine(s.VCS))
		fmt.Fprintf(&b, "\n## Images (%d)\n\n", len(s.Images))
		for i, e := range s.Images {
			if i == snapshotImagesShown {
				fmt.Fprintf(&b, "- …and %d more\n", len(s.Images)-i)
				break
			}
			line := snapshotEntryText(e)
			if d := e.Image().Description; d != "" {
				line += " — " + shorten(oneLine(d), 120)
			}
			b.WriteString("- " + line + "\n")
		}
		fmt.Fprintf(&b, "\nThe run: get_snapshot(organizationSlug='%s', snapshotId='%s'); one image: get_snapshot_image(..., imageIdentifier='<file name>').\n", org, s.ID)
		return b.String(), nil
	})
}
