package tools

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findDSNsInput struct {
	orgParam
	regionParam
	ProjectSlug string `json:"projectSlug" jsonschema:"Project slug (find_projects lists them)."`
}

func findDSNsTool() Tool {
	return newTool(spec{
		Name:  "find_dsns",
		Title: "Find DSNs",
		Description: `List a project's client keys and public DSNs (the SENTRY_DSN an SDK is set up with; never secret keys).
Example: find_dsns(organizationSlug='acme', projectSlug='web')`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug", "projectSlug")
		},
	}, func(ctx context.Context, env *Env, in findDSNsInput) (string, error) {
		org, project := in.OrganizationSlug, in.ProjectSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		keys, more, err := collectPages(50, 1,
			func(cursor string) ([]sentry.ProjectKey, sentry.Page, error) {
				return env.Sentry.ListProjectKeys(ctx, org, project, sentry.ListOptions{Limit: 100, Cursor: cursor})
			}, nil)
		if err != nil {
			return "", err
		}
		if len(keys) == 0 {
			return fmt.Sprintf("Project **%s/%s** has no client keys. Create one under Project Settings > Client Keys (DSN) in Sentry.", org, project), nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# DSNs of **%s/%s**\n\n", org, project)
		for _, k := range keys {
			name := orDefault(k.Name, orDefault(k.Label, k.ID))
			state := ""
			if !k.IsActive {
				state = " (disabled: events sent with it are dropped)"
			}
			fmt.Fprintf(&b, "## %s%s\n\n", name, state)
			fmt.Fprintf(&b, "- DSN: `%s`\n", publicDSN(k.DSN.Public))
			fmt.Fprintf(&b, "- Key id: %s\n", k.ID)
			if k.DSN.CDN != "" {
				fmt.Fprintf(&b, "- Loader script: %s\n", publicDSN(k.DSN.CDN))
			}
			b.WriteString("\n")
		}
		if more {
			fmt.Fprintf(&b, "_Showing %d keys; the project has more._\n\n", len(keys))
		}
		b.WriteString("Set the DSN as `SENTRY_DSN` or pass it to `Sentry.init({ dsn })`. It is safe in client code; secret keys are never needed and never shown.\n")
		return b.String(), nil
	})
}

// publicDSN drops a password from a DSN-like URL. Sentry's public DSN has
// none, but a legacy "public:secret@" form must never reach a chat.
func publicDSN(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable DSN)"
	}
	if u.User != nil {
		if _, hasSecret := u.User.Password(); hasSecret {
			u.User = url.User(u.User.Username())
		}
	}
	return u.String()
}
