package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findTeamsInput struct {
	orgParam
	regionParam
	Query *string `json:"query,omitempty" jsonschema:"Only teams whose slug or name contains this."`
}

// teamsShown bounds one answer, as the reference server does.
const teamsShown = 25

func findTeamsTool() Tool {
	return newTool(spec{
		Name:        "find_teams",
		Title:       "Find teams",
		Description: `List an organization's teams (slug, name, id, members, whether you belong): for assigned:#team searches and team:<slug> assignees.`,
		Scopes:      []string{"team:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "query")
			withSlugPattern(s, "organizationSlug")
		},
	}, func(ctx context.Context, env *Env, in findTeamsInput) (string, error) {
		org := in.OrganizationSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		q := optString(in.Query)
		teams, more, err := collectPages(teamsShown, 5,
			func(cursor string) ([]sentry.Team, sentry.Page, error) {
				return env.Sentry.ListTeams(ctx, org, sentry.ListOptions{Limit: 100, Cursor: cursor})
			},
			func(t sentry.Team) bool { return q == "" || containsFold(q, t.Slug, t.Name) })
		if err != nil {
			return "", err
		}
		if len(teams) == 0 {
			if q != "" {
				return fmt.Sprintf("No team of **%s** matches %q. Call find_teams without a query to list them all.", org, q), nil
			}
			return fmt.Sprintf("Organization **%s** has no teams you can see.", org), nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Teams in **%s**\n\n", org)
		b.WriteString("| slug | name | id | members | you |\n| --- | --- | --- | --- | --- |\n")
		for _, t := range teams {
			you := ""
			if t.IsMember {
				you = "member"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", cell(t.Slug), cell(t.Name), cell(string(t.ID)), t.MemberCount, you)
		}
		if more {
			fmt.Fprintf(&b, "\n_Showing the first %d teams; more exist. Narrow them with `query`._\n", len(teams))
		}
		b.WriteString("\nSearch a team's issues with `assigned:#<slug>` in search_issues.\n")
		return b.String(), nil
	})
}
