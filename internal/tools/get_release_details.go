package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getReleaseDetailsInput struct {
	orgParam
	regionParam
	ReleaseVersion  string  `json:"releaseVersion" jsonschema:"Exact version, as find_releases lists it (web@1.2.3+build.4)."`
	ProjectSlugOrID *string `json:"projectSlugOrId,omitempty" jsonschema:"One project (slug or id); needed for includeHealth."`
	IncludeHealth   bool    `json:"includeHealth,omitempty" jsonschema:"Add session health: crash-free rates, adoption."`
	IncludeDeploys  bool    `json:"includeDeploys,omitempty" jsonschema:"Add the deploys."`
	IncludeCommits  bool    `json:"includeCommits,omitempty" jsonschema:"Add the commits."`
	Limit           int     `json:"limit,omitempty" jsonschema:"Deploys and commits to show, 1 to 50."`
}

func getReleaseDetailsTool() Tool {
	return newTool(spec{
		Name:  "get_release_details",
		Title: "Get release details",
		Description: `Show one release: dates, projects, new issues, its deploys (where and when it shipped), its commits (message, author) and, for one project, session health (crash-free sessions and users, adoption).
Example: get_release_details(organizationSlug='acme', releaseVersion='web@1.2.3+build.4', projectSlugOrId='web', includeHealth=true)`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "projectSlugOrId")
			withSlugPattern(s, "organizationSlug", "projectSlugOrId")
			v := s.Properties["releaseVersion"]
			one := 1
			v.MinLength = &one
			v.Pattern = `\S` // not blank
			setDefault(s, "includeHealth", "false")
			setDefault(s, "includeDeploys", "true")
			setDefault(s, "includeCommits", "true")
			setDefault(s, "limit", "10")
			lim := s.Properties["limit"]
			zero, fifty := 0.0, 50.0
			lim.ExclusiveMinimum, lim.Maximum = &zero, &fifty
		},
	}, getReleaseDetails)
}

// getReleaseDetails makes one request per section, as the reference does:
// the release (project-scoped, with health, when a project is named), its
// deploys and its commits.
func getReleaseDetails(ctx context.Context, env *Env, in getReleaseDetailsInput) (string, error) {
	const tool = "get_release_details"
	org, version := in.OrganizationSlug, strings.TrimSpace(in.ReleaseVersion)
	if version == "." || version == ".." {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf("releaseVersion %q is not a release version", version)}
	}
	project := optString(in.ProjectSlugOrID)
	if in.IncludeHealth && project == "" {
		return "", &InputError{Tool: tool, Problem: "includeHealth needs projectSlugOrId: release health is per project (find_projects lists them)"}
	}
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	c := env.Sentry
	var (
		r   *sentry.Release
		err error
	)
	if project != "" {
		r, err = c.GetProjectRelease(ctx, org, project, version, in.IncludeHealth)
		if errors.Is(err, sentry.ErrNotFound) {
			// Say which projects the release does belong to, if it exists.
			if whole, werr := c.GetRelease(ctx, org, version); werr == nil {
				return "", fmt.Errorf("release %q is not a release of project %q (its projects: %s): %w",
					whole.Version, project, releaseProjectList(whole), err)
			}
		}
	} else {
		r, err = c.GetRelease(ctx, org, version)
	}
	if err != nil {
		return "", err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Release %s in **%s**\n\n", r.Version, org)
	if r.ShortVersion != "" && r.ShortVersion != r.Version {
		fmt.Fprintf(&b, "- Short version: %s\n", r.ShortVersion)
	}
	for _, f := range []struct {
		label string
		t     sentry.Time
	}{{"Created", r.DateCreated}, {"Released", r.DateReleased}, {"First event", r.FirstEvent}, {"Last event", r.LastEvent}} {
		if s := timeText(f.t); s != "" {
			fmt.Fprintf(&b, "- %s: %s\n", f.label, s)
		}
	}
	fmt.Fprintf(&b, "- New issues: %d\n", r.NewGroups)
	fmt.Fprintf(&b, "- Projects: %s\n", orDefault(releaseProjectSlugs(r), "none"))
	if r.Ref != "" {
		fmt.Fprintf(&b, "- Ref: `%s`\n", r.Ref)
	}
	fmt.Fprintf(&b, "- URL: %s\n", orgWebURL(env, org, "releases", r.Version))

	if in.IncludeDeploys {
		deploys, page, err := c.ListReleaseDeploys(ctx, org, r.Version, sentry.ListOptions{Limit: in.Limit})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n## Deploys (%d)\n\n", max(int(r.DeployCount), len(deploys)))
		if len(deploys) == 0 {
			b.WriteString("No deploys recorded.\n")
		}
		for _, d := range deploys {
			fmt.Fprintf(&b, "- %s", orDefault(d.Environment, "unnamed environment"))
			if s := timeText(orTime(d.DateFinished, d.DateStarted)); s != "" {
				fmt.Fprintf(&b, ", %s", s)
			}
			if d.Name != "" {
				fmt.Fprintf(&b, " (%s)", oneLine(d.Name))
			}
			if d.URL != "" {
				fmt.Fprintf(&b, " %s", d.URL)
			}
			b.WriteString("\n")
		}
		b.WriteString(moreNote(len(deploys), page.NextCursor))
	}
	if in.IncludeCommits {
		commits, page, err := c.ListReleaseCommits(ctx, org, r.Version, sentry.ListOptions{Limit: in.Limit})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n## Commits (%d)\n\n", max(int(r.CommitCount), len(commits)))
		if len(commits) == 0 {
			b.WriteString("No commits associated.\n")
		}
		for _, cm := range commits {
			author := ""
			if cm.Author != nil {
				author = " by " + orDefault(cm.Author.Name, cm.Author.Email)
			}
			fmt.Fprintf(&b, "- `%s` %s%s", cm.ID[:min(12, len(cm.ID))], shorten(oneLine(firstLine(cm.Message)), 100), author)
			if !cm.DateCreated.IsZero() {
				fmt.Fprintf(&b, ", %s", shortStamp(cm.DateCreated))
			}
			b.WriteString("\n")
		}
		b.WriteString(moreNote(len(commits), page.NextCursor))
	}
	if in.IncludeHealth {
		b.WriteString(releaseHealth(r, project))
	}
	b.WriteString("\n## Next steps\n\n")
	fmt.Fprintf(&b, "- Issues first seen in this release: search_issues with query `firstRelease:%s`\n", r.Version)
	fmt.Fprintf(&b, "- Issues with events in it: search_issues with query `release:%s`\n", r.Version)
	return b.String(), nil
}

// releaseHealth renders the session health of the named project.
func releaseHealth(r *sentry.Release, project string) string {
	var b strings.Builder
	for _, p := range r.Projects {
		if p.Slug != project && string(p.ID) != project && len(r.Projects) > 1 {
			continue
		}
		fmt.Fprintf(&b, "\n## Health in %s\n\n", orDefault(p.Slug, project))
		fmt.Fprintf(&b, "- New issues in this project: %d\n", p.NewGroups)
		h := p.HealthData
		if h == nil || !h.HasHealthData {
			b.WriteString("- No session data: the project's SDK does not send release health (sessions).\n")
			return b.String()
		}
		pct := func(v *float64) string {
			if v == nil {
				return "n/a"
			}
			return fmt.Sprintf("%.2f%%", *v)
		}
		fmt.Fprintf(&b, "- Crash-free sessions: %s · crash-free users: %s\n", pct(h.CrashFreeSessions), pct(h.CrashFreeUsers))
		fmt.Fprintf(&b, "- Sessions: %d (%d crashed, %d errored) · users: %d\n", h.TotalSessions, h.SessionsCrashed, h.SessionsErrored, h.TotalUsers)
		fmt.Fprintf(&b, "- Adoption: %s of users, %s of sessions\n", pct(h.Adoption), pct(h.SessionsAdoption))
		return b.String()
	}
	return fmt.Sprintf("\n## Health in %s\n\nSentry returned no health for this project.\n", project)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// releaseProjectList names a release's projects.
func releaseProjectList(r *sentry.Release) string {
	var slugs []string
	for _, p := range r.Projects {
		slugs = append(slugs, p.Slug)
	}
	return strings.Join(slugs, ", ")
}

// releaseProjectSlugs lists a release's projects with their new issues.
func releaseProjectSlugs(r *sentry.Release) string {
	var parts []string
	for _, p := range r.Projects {
		parts = append(parts, fmt.Sprintf("%s (new issues: %d)", orDefault(p.Slug, p.Name), p.NewGroups))
	}
	return strings.Join(parts, ", ")
}
