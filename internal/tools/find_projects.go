package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findProjectsInput struct {
	orgParam
	regionParam
	Query *string `json:"query,omitempty" jsonschema:"Only projects whose slug or name contains this."`
}

// projectsShown bounds one answer, as the reference server does.
const projectsShown = 25

func findProjectsTool() Tool {
	return newTool(spec{
		Name:        "find_projects",
		Title:       "Find projects",
		Listed:      true,
		Description: `List an organization's projects (slug, name, platform, id, teams): the projectSlug other tools take.`,
		Scopes:      []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "query")
			withSlugPattern(s, "organizationSlug")
		},
	}, func(ctx context.Context, env *Env, in findProjectsInput) (string, error) {
		org := in.OrganizationSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		q := optString(in.Query)
		projects, more, err := collectPages(projectsShown, 5,
			func(cursor string) ([]sentry.Project, sentry.Page, error) {
				return env.Sentry.ListProjects(ctx, org, sentry.ListOptions{Limit: 100, Cursor: cursor})
			},
			func(p sentry.Project) bool { return q == "" || containsFold(q, p.Slug, p.Name) })
		if err != nil {
			return "", err
		}
		if len(projects) == 0 {
			if q != "" {
				return fmt.Sprintf("No project of **%s** matches %q. Call find_projects without a query to list them all.", org, q), nil
			}
			return fmt.Sprintf("Organization **%s** has no projects you can see.", org), nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Projects in **%s**\n\n", org)
		b.WriteString("| slug | name | platform | id | teams |\n| --- | --- | --- | --- | --- |\n")
		for _, p := range projects {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
				cell(p.Slug), cell(p.Name), cell(p.Platform), cell(string(p.ID)), cell(projectTeams(p)))
		}
		if more {
			fmt.Fprintf(&b, "\n_Showing the first %d projects; more exist. Narrow them with `query`._\n", len(projects))
		}
		b.WriteString("\nUse the slug as `projectSlug` (or the id as `projectSlugOrId`) in other tools.\n")
		return b.String(), nil
	})
}

// projectTeams names a project's teams by slug.
func projectTeams(p sentry.Project) string {
	var slugs []string
	for _, t := range p.Teams {
		slugs = append(slugs, t.Slug)
	}
	if len(slugs) == 0 && p.Team != nil {
		slugs = append(slugs, p.Team.Slug)
	}
	return strings.Join(slugs, ", ")
}
