package tools

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

type createTeamInput struct {
	orgParam
	regionParam
	Name string `json:"name" jsonschema:"The team's name (1 to 64 characters). Sentry derives the slug from it: 'Mobile Apps' becomes mobile-apps."`
}

func createTeamTool() Tool {
	return newTool(spec{
		Name:  "create_team",
		Title: "Create a team",
		Description: `Create a team in an organization; you become its first member.

Use it when the user asks for a new team, e.g. to own a new project. Check find_teams first: a team with the same slug cannot be created twice.
Example: create_team(organizationSlug='acme', name='Mobile Apps')`,
		Permission: ProjectManagement,
		Writes:     true,
		Scopes:     []string{"team:write"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug")
			one, most := 1, 64
			s.Properties["name"].MinLength, s.Properties["name"].MaxLength = &one, &most
		},
	}, func(ctx context.Context, env *Env, in createTeamInput) (string, error) {
		const tool = "create_team"
		name := strings.TrimSpace(in.Name)
		if !strings.ContainsFunc(name, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			return "", &InputError{Tool: tool, Problem: "name needs at least one letter or digit: Sentry makes the team's slug from it"}
		}
		org := in.OrganizationSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		t, err := env.Sentry.CreateTeam(ctx, org, name)
		if err != nil {
			return "", conflict(tool, err, "Pick another name, or use the existing team (find_teams lists them).")
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Created team **%s** in **%s**\n\n", t.Slug, org)
		fmt.Fprintf(&b, "- Name: %s · Slug: `%s` · Id: %s\n", oneLine(t.Name), t.Slug, t.ID)
		if t.IsMember {
			b.WriteString("- You are a member.\n")
		}
		fmt.Fprintf(&b, "\nGive it a project with add_team_to_project(organizationSlug='%s', projectSlug='…', teamSlug='%s'), or create one with create_project(organizationSlug='%s', teamSlug='%s', name='…').\n",
			org, t.Slug, org, t.Slug)
		return b.String(), nil
	})
}
