package tools

import (
	"context"
	"fmt"
	"strings"
)

type findOrganizationsInput struct {
	Query *string `json:"query,omitempty" jsonschema:"Only organizations whose slug or name contains this."`
}

func findOrganizationsTool() Tool {
	return newTool(spec{
		Name:        "find_organizations",
		Title:       "Find organizations",
		Listed:      true,
		Description: `List the Sentry organizations you can access: the organizationSlug other tools need.`,
		Scopes:      []string{"org:read"},
		Schema:      func(s *schemaT) { nullable(s, "query") },
	}, func(ctx context.Context, env *Env, in findOrganizationsInput) (string, error) {
		orgs, err := env.Sentry.AllOrganizations(ctx)
		if err != nil {
			return "", err
		}
		q := ""
		if in.Query != nil {
			q = strings.ToLower(strings.TrimSpace(*in.Query))
		}
		var b strings.Builder
		b.WriteString("# Organizations\n\n")
		n := 0
		for _, o := range orgs {
			if q != "" && !strings.Contains(strings.ToLower(o.Slug), q) && !strings.Contains(strings.ToLower(o.Name), q) {
				continue
			}
			n++
			fmt.Fprintf(&b, "## **%s**\n\n- Name: %s\n", o.Slug, o.Name)
			if o.Links.OrganizationURL != "" {
				fmt.Fprintf(&b, "- Web URL: %s\n", o.Links.OrganizationURL)
			}
			if o.Links.RegionURL != "" {
				fmt.Fprintf(&b, "- Region URL: %s\n", o.Links.RegionURL)
			}
			b.WriteString("\n")
		}
		if n == 0 {
			if q != "" {
				return fmt.Sprintf("No organization matches %q. Call find_organizations without a query to list them all.", q), nil
			}
			return "This Sentry account belongs to no organization.", nil
		}
		b.WriteString("Use the slug as `organizationSlug` in other tools.\n")
		return b.String(), nil
	})
}
