package tools

import (
	"context"
	"fmt"
	"strings"
)

func removeTeamFromProjectTool() Tool {
	return newTool(spec{
		Name:  "remove_team_from_project",
		Title: "Take a team's access to a project away",
		Description: `Take a team's access to a project away: its members stop seeing the project unless another of their teams has access.

Use it only when the user asks. The project's last team is never removed: add another team first (add_team_to_project).
Example: remove_team_from_project(organizationSlug='acme', projectSlug='web', teamSlug='platform')`,
		Permission:  ProjectManagement,
		Writes:      true,
		Destructive: true,
		Scopes:      []string{"project:write", "team:read", "org:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug", "projectSlug", "teamSlug")
		},
	}, func(ctx context.Context, env *Env, in projectTeamInput) (string, error) {
		const tool = "remove_team_from_project"
		org, project, team := in.OrganizationSlug, in.ProjectSlug, in.TeamSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		c := env.Sentry
		teams, err := c.AllProjectTeams(ctx, org, project)
		if err != nil {
			return "", err
		}
		switch {
		case !hasTeam(teams, team):
			return "", &InputError{Tool: tool, Problem: fmt.Sprintf(
				"team %q has no access to %s/%s, so there is nothing to remove. Teams with access: %s", team, org, project, teamList(teams))}
		case len(teams) == 1:
			return "", &InputError{Tool: tool, Problem: fmt.Sprintf(
				"%q is the only team with access to %s/%s; without it only organization owners could reach the project. Give another team access first (add_team_to_project)", team, org, project)}
		}
		if err := c.RemoveProjectTeam(ctx, org, project, team); err != nil {
			return "", err
		}
		if teams, err = c.AllProjectTeams(ctx, org, project); err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Team **%s** no longer has access to **%s/%s**\n\n", team, org, project)
		fmt.Fprintf(&b, "Teams with access: %s.\n", teamList(teams))
		return b.String(), nil
	})
}
