package tools

import (
	"context"
	"fmt"
	"strings"
)

type projectTeamInput struct {
	projectParams
	TeamSlug string `json:"teamSlug" jsonschema:"The team's slug (find_teams lists them)."`
}

func addTeamToProjectTool() Tool {
	return newTool(spec{
		Name:  "add_team_to_project",
		Title: "Give a team access to a project",
		Description: `Give a team access to a project, so its members see the project's issues and alerts. Nothing changes if the team already has access.

Example: add_team_to_project(organizationSlug='acme', projectSlug='web', teamSlug='payments')`,
		Permission: ProjectManagement,
		Writes:     true,
		Idempotent: true,
		Scopes:     []string{"project:write", "team:read", "org:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug", "projectSlug", "teamSlug")
		},
	}, func(ctx context.Context, env *Env, in projectTeamInput) (string, error) {
		org, project, team := in.OrganizationSlug, in.ProjectSlug, in.TeamSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		c := env.Sentry
		teams, err := c.AllProjectTeams(ctx, org, project)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if hasTeam(teams, team) {
			fmt.Fprintf(&b, "Team **%s** already has access to **%s/%s**: nothing changed.\n", team, org, project)
		} else {
			if err := c.AddProjectTeam(ctx, org, project, team); err != nil {
				return "", err
			}
			if teams, err = c.AllProjectTeams(ctx, org, project); err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "# Team **%s** now has access to **%s/%s**\n\n", team, org, project)
		}
		fmt.Fprintf(&b, "\nTeams with access: %s.\n", teamList(teams))
		return b.String(), nil
	})
}
