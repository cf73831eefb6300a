package tools

import (
	"context"
	"fmt"
	"strings"
)

type createDSNInput struct {
	projectParams
	Name string `json:"name" jsonschema:"A name for the new DSN (1 to 64 characters), e.g. Production or Mobile app."`
}

func createDSNTool() Tool {
	return newTool(spec{
		Name:  "create_dsn",
		Title: "Create a DSN",
		Description: `Create a new client key (DSN) for a project, e.g. a separate DSN per app or environment. find_dsns lists the existing ones.

Example: create_dsn(organizationSlug='acme', projectSlug='web', name='Mobile app')`,
		Permission: ProjectManagement,
		Writes:     true,
		Scopes:     []string{"project:write"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			one, most := 1, 64
			s.Properties["name"].MinLength, s.Properties["name"].MaxLength = &one, &most
		},
	}, func(ctx context.Context, env *Env, in createDSNInput) (string, error) {
		name := strings.TrimSpace(in.Name)
		if name == "" {
			return "", &InputError{Tool: "create_dsn", Problem: "name is blank: give the DSN a name such as Production"}
		}
		org, project := in.OrganizationSlug, in.ProjectSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		k, err := env.Sentry.CreateProjectKey(ctx, org, project, name)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Created DSN **%s** in **%s/%s**\n\n", oneLine(orDefault(k.Name, name)), org, project)
		fmt.Fprintf(&b, "- DSN: `%s`\n- Key id: %s\n", publicDSN(k.DSN.Public), k.ID)
		b.WriteString("\nSet it as `SENTRY_DSN`; update_dsn changes its name, rate limit and loader options.\n")
		return b.String(), nil
	})
}
