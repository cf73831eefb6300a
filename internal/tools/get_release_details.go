package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getReleaseDetailsInput struct {
	orgParam
	regionParam
	ReleaseVersion  string  `json:"releaseVersion" jsonschema:"The exact release version, as find_releases lists it, e.g. web@1.2.3+build.4 or api@release/3.4."`
	ProjectSlugOrID *string `json:"projectSlugOrId,omitempty" jsonschema:"Scope the release to one project (slug or numeric id). Needed for includeHealth."`
	IncludeHealth   bool    `json:"includeHealth,omitempty" jsonschema:"Add the project's release health section. Needs projectSlugOrId."`
	IncludeDeploys  bool    `json:"includeDeploys,omitempty" jsonschema:"Add the release's deploys."`
	IncludeCommits  bool    `json:"includeCommits,omitempty" jsonschema:"Add the release's commits."`
	Limit           int     `json:"limit,omitempty" jsonschema:"How many deploys and commits to show, 1 to 50."`
}

func getReleaseDetailsTool() Tool {
	return newTool(spec{
		Name:  "get_release_details",
		Title: "Get release details",
		Description: `Show one release of an organization: dates, projects, new issues, commit and deploy counts, its latest deploy, and a link to it in Sentry.

Use it after find_releases, or when a user names a version ("what shipped in web@1.2.3?", "when did checkout@2.0.0 reach production?").
Examples: get_release_details(organizationSlug='acme', releaseVersion='web@1.2.3+build.4') or
get_release_details(organizationSlug='acme', releaseVersion='api@release/3.4', projectSlugOrId='api', includeHealth=true).`,
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

func getReleaseDetails(ctx context.Context, env *Env, in getReleaseDetailsInput) (string, error) {
	const tool = "get_release_details"
	org, version := in.OrganizationSlug, strings.TrimSpace(in.ReleaseVersion)
	if version == "." || version == ".." {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf("releaseVersion %q is not a release version", version)}
	}
	projectArg := optString(in.ProjectSlugOrID)
	if in.IncludeHealth && projectArg == "" {
		return "", &InputError{Tool: tool, Problem: "includeHealth needs projectSlugOrId: release health is per project (find_projects lists them)"}
	}
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	var project *sentry.Project
	if projectArg != "" {
		p, err := env.Sentry.GetProject(ctx, org, projectArg)
		if err != nil {
			return "", err
		}
		project = p
	}
	r, err := env.Sentry.GetRelease(ctx, org, version)
	if err != nil {
		return "", err
	}
	var inProject *sentry.ReleaseProject
	if project != nil {
		for i, rp := range r.Projects {
			if rp.ID == project.ID || rp.Slug == project.Slug {
				inProject = &r.Projects[i]
			}
		}
		if inProject == nil {
			// What Sentry's project-scoped release endpoint answers.
			var slugs []string
			for _, rp := range r.Projects {
				slugs = append(slugs, rp.Slug)
			}
			return "", fmt.Errorf("release %q is not a release of project %q (its projects: %s): %w",
				r.Version, project.Slug, strings.Join(slugs, ", "), sentry.ErrNotFound)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Release %s in **%s**\n\n", r.Version, org)
	fmt.Fprintf(&b, "- ID: %s\n", r.ID)
	if r.ShortVersion != "" && r.ShortVersion != r.Version {
		fmt.Fprintf(&b, "- Short version: %s\n", r.ShortVersion)
	}
	if r.Status != "" {
		fmt.Fprintf(&b, "- Status: %s\n", r.Status)
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
		b.WriteString("\n## Deploys\n\n")
		switch d := r.LastDeploy; {
		case d == nil && r.DeployCount == 0:
			b.WriteString("No deploys recorded.\n")
		case d == nil:
			fmt.Fprintf(&b, "%d deploys recorded; the release page in Sentry lists them.\n", r.DeployCount)
		default:
			fmt.Fprintf(&b, "- Latest: %s", orDefault(d.Environment, "unnamed environment"))
			if d.Name != "" {
				fmt.Fprintf(&b, " (%s)", d.Name)
			}
			if s := timeText(d.DateStarted); s != "" {
				fmt.Fprintf(&b, ", started %s", s)
			}
			if s := timeText(d.DateFinished); s != "" {
				fmt.Fprintf(&b, ", finished %s", s)
			}
			if d.URL != "" {
				fmt.Fprintf(&b, ", %s", d.URL)
			}
			b.WriteString("\n")
			if r.DeployCount > 1 {
				fmt.Fprintf(&b, "\n_%d deploys in all; lookout shows the latest. The release page in Sentry lists the others._\n", r.DeployCount)
			}
		}
	}
	if in.IncludeCommits {
		b.WriteString("\n## Commits\n\n")
		if r.CommitCount == 0 {
			b.WriteString("No commits associated.\n")
		} else {
			fmt.Fprintf(&b, "%d commits associated", r.CommitCount)
			if r.Ref != "" {
				fmt.Fprintf(&b, " (ref `%s`)", shorten(r.Ref, 12))
			}
			b.WriteString(". lookout cannot list them yet: the release page in Sentry shows them.\n")
		}
	}
	if in.IncludeHealth {
		fmt.Fprintf(&b, "\n## Health in %s\n\n", project.Slug)
		fmt.Fprintf(&b, "- New issues in this project: %d\n", inProject.NewGroups)
		b.WriteString("- Session health (crash-free rate, adoption) is not available through lookout yet.\n")
	}
	b.WriteString("\n## Next steps\n\n")
	fmt.Fprintf(&b, "- Issues first seen in this release: search_issues with query `firstRelease:%s`\n", r.Version)
	fmt.Fprintf(&b, "- Issues with events in it: search_issues with query `release:%s`\n", r.Version)
	return b.String(), nil
}

// releaseProjectSlugs lists a release's projects with their new issues.
func releaseProjectSlugs(r *sentry.Release) string {
	var parts []string
	for _, p := range r.Projects {
		parts = append(parts, fmt.Sprintf("%s (new issues: %d)", orDefault(p.Slug, p.Name), p.NewGroups))
	}
	return strings.Join(parts, ", ")
}
