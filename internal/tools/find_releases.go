package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findReleasesInput struct {
	orgParam
	regionParam
	ProjectSlug *string `json:"projectSlug,omitempty" jsonschema:"Only this project's releases (slug or id); all means every project."`
	Query       *string `json:"query,omitempty" jsonschema:"Only versions containing this."`
}

// releasesShown bounds one answer, as the reference server does.
const releasesShown = 25

func findReleasesTool() Tool {
	return newTool(spec{
		Name:  "find_releases",
		Title: "Find releases",
		Description: `List releases newest first (version, projects, dates, new issues, commits, last deploy): the latest version, when one shipped, the exact version get_release_details takes.
Example: find_releases(organizationSlug='acme', projectSlug='web')`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "projectSlug", "query")
			withSlugPattern(s, "organizationSlug", "projectSlug")
		},
	}, func(ctx context.Context, env *Env, in findReleasesInput) (string, error) {
		org := in.OrganizationSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		rq := sentry.ReleaseQuery{Query: optString(in.Query), Limit: releasesShown}
		scope := ""
		if p := optString(in.ProjectSlug); p != "" && p != "all" {
			// Sentry filters releases by project id; a slug is resolved
			// first, which also tells a wrong slug from "no releases".
			project, err := env.Sentry.GetProject(ctx, org, p)
			if err != nil {
				return "", err
			}
			rq.Project, scope = string(project.ID), project.Slug
		}
		rels, page, err := env.Sentry.ListReleases(ctx, org, rq)
		if err != nil {
			return "", err
		}
		where := "**" + org + "**"
		if scope != "" {
			where = "**" + org + "/" + scope + "**"
		}
		if len(rels) == 0 {
			if rq.Query != "" {
				return fmt.Sprintf("No release in %s matches %q.", where, rq.Query), nil
			}
			return fmt.Sprintf("No releases in %s.", where), nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Releases in %s\n\n", where)
		for _, r := range rels {
			writeReleaseSummary(&b, r)
		}
		if page.HasNext() {
			fmt.Fprintf(&b, "_Showing the newest %d releases; more exist. Narrow them with `projectSlug` or `query`._\n\n", len(rels))
		}
		fmt.Fprintf(&b, "Deploys and commits of one release: get_release_details(organizationSlug='%s', releaseVersion='<version>'). "+
			"Issues first seen in it: search_issues with query `firstRelease:<version>`.\n", org)
		return b.String(), nil
	})
}

func writeReleaseSummary(b *strings.Builder, r sentry.Release) {
	fmt.Fprintf(b, "## %s\n\n", r.Version)
	var slugs []string
	for _, p := range r.Projects {
		slugs = append(slugs, orDefault(p.Slug, p.Name))
	}
	fmt.Fprintf(b, "- Projects: %s · New issues: %d\n", orDefault(strings.Join(slugs, ", "), "none"), r.NewGroups)
	if released := timeText(r.DateReleased); released != "" {
		fmt.Fprintf(b, "- Released: %s (created %s)\n", released, timeText(r.DateCreated))
	} else {
		fmt.Fprintf(b, "- Created: %s (not marked released)\n", timeText(r.DateCreated))
	}
	if first := timeText(r.FirstEvent); first != "" {
		fmt.Fprintf(b, "- Events: first %s, last %s\n", first, timeText(r.LastEvent))
	}
	deploys := fmt.Sprintf("%d", r.DeployCount)
	if d := r.LastDeploy; d != nil {
		deploys += fmt.Sprintf(", last to %s at %s", orDefault(d.Environment, "an unnamed environment"),
			orDefault(timeText(d.DateFinished), timeText(d.DateStarted)))
	}
	fmt.Fprintf(b, "- Commits: %d · Deploys: %s\n\n", r.CommitCount, deploys)
}
