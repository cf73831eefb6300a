package tools

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type updateProjectInput struct {
	projectParams
	Name     *string `json:"name,omitempty" jsonschema:"The new name (1 to 50 characters)."`
	Slug     *string `json:"slug,omitempty" jsonschema:"The new slug. Links and scripts using the old slug stop working; DSNs keep working."`
	Platform *string `json:"platform,omitempty" jsonschema:"The new platform, as Sentry names it: go, python-django, javascript-nextjs..."`
}

func updateProjectTool() Tool {
	return newTool(spec{
		Name:  "update_project",
		Title: "Update a project",
		Description: `Rename a project, change its slug or set its platform. Team access is changed with add_team_to_project and remove_team_from_project.

Use it only when the user asks to change the project. A new slug breaks links and scripts that use the old one.
Example: update_project(organizationSlug='acme', projectSlug='web', name='Storefront', platform='javascript-nextjs')`,
		Permission:  ProjectManagement,
		Writes:      true,
		Destructive: true,
		Scopes:      []string{"project:write"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "name", "slug", "platform")
			withSlugPattern(s, "organizationSlug", "projectSlug")
		},
	}, updateProject)
}

func updateProject(ctx context.Context, env *Env, in updateProjectInput) (string, error) {
	const tool = "update_project"
	org, project := in.OrganizationSlug, in.ProjectSlug
	var u sentry.ProjectUpdate
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || utf8.RuneCountInString(name) > 50 {
			return "", &InputError{Tool: tool, Problem: "name must have 1 to 50 characters"}
		}
		u.Name = &name
	}
	if in.Slug != nil {
		slug := strings.TrimSpace(*in.Slug)
		if err := checkNewSlug(tool, "slug", slug); err != nil {
			return "", err
		}
		if env.Project != "" && slug != project {
			return "", &InputError{Tool: tool, Problem: fmt.Sprintf(
				"this connection is pinned to project %q: its slug cannot change here. Change it in Sentry's project settings, then reconnect with the new slug", env.Project)}
		}
		u.Slug = &slug
	}
	if in.Platform != nil {
		platform := strings.TrimSpace(*in.Platform)
		if !platformPattern().MatchString(platform) {
			return "", &InputError{Tool: tool, Problem: fmt.Sprintf("platform %q is not a Sentry platform name like go, python-django or javascript-nextjs", platform)}
		}
		u.Platform = &platform
	}
	if u.Name == nil && u.Slug == nil && u.Platform == nil {
		return "", &InputError{Tool: tool, Problem: "give name, slug or platform: there is nothing to change"}
	}
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	before, err := env.Sentry.GetProject(ctx, org, project)
	if err != nil {
		return "", err
	}
	// Send only what changes, so an unchanged slug is not re-validated.
	if u.Name != nil && *u.Name == before.Name {
		u.Name = nil
	}
	if u.Slug != nil && *u.Slug == before.Slug {
		u.Slug = nil
	}
	if u.Platform != nil && *u.Platform == before.Platform {
		u.Platform = nil
	}
	after := before
	if u.Name != nil || u.Slug != nil || u.Platform != nil {
		if after, err = env.Sentry.UpdateProject(ctx, org, project, u); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Updated project **%s/%s**\n\n", org, after.Slug)
	if in.Name != nil {
		b.WriteString(changeLine("Name", oneLine(before.Name), oneLine(after.Name)))
	}
	if in.Slug != nil {
		b.WriteString(changeLine("Slug", before.Slug, after.Slug))
	}
	if in.Platform != nil {
		b.WriteString(changeLine("Platform", orDefault(before.Platform, "not set"), orDefault(after.Platform, "not set")))
	}
	if after.Slug != before.Slug {
		fmt.Fprintf(&b, "\nUse projectSlug='%s' from now on. DSNs are unchanged; links with the old slug no longer work.\n", after.Slug)
	}
	return b.String(), nil
}
