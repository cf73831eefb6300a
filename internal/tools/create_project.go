package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type createProjectInput struct {
	orgParam
	regionParam
	TeamSlug   string  `json:"teamSlug" jsonschema:"The slug of the team that will own the project (find_teams lists them; create_team makes one)."`
	Name       string  `json:"name" jsonschema:"The project's name (1 to 50 characters)."`
	Slug       *string `json:"slug,omitempty" jsonschema:"The project's slug; omit to derive it from the name."`
	Platform   *string `json:"platform,omitempty" jsonschema:"The platform, as Sentry names it: go, python-django, javascript-nextjs, node, java-spring-boot..."`
	Repository *string `json:"repository,omitempty" jsonschema:"A repository connected to the organization to link the project to, e.g. acme/web or just web: stack traces then link to the code."`
}

func createProjectTool() Tool {
	return newTool(spec{
		Name:  "create_project",
		Title: "Create a project",
		Description: `Create a project owned by a team and return its DSN (SENTRY_DSN), optionally linking it to a connected repository.

Use it when the user sets up Sentry for a new application. find_projects shows whether it exists already.
Examples:
- create_project(organizationSlug='acme', teamSlug='payments', name='billing-api', platform='go')
- create_project(organizationSlug='acme', teamSlug='frontend', name='storefront', platform='javascript-nextjs', repository='acme/storefront')`,
		Permission: ProjectManagement,
		Writes:     true,
		Scopes:     []string{"project:write", "team:read", "org:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "slug", "platform", "repository")
			withSlugPattern(s, "organizationSlug", "teamSlug")
			one, most := 1, 50
			s.Properties["name"].MinLength, s.Properties["name"].MaxLength = &one, &most
		},
	}, createProject)
}

func createProject(ctx context.Context, env *Env, in createProjectInput) (string, error) {
	const tool = "create_project"
	if env.Project != "" {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf(
			"this connection is pinned to project %q: creating projects is not available. Connect without the project pin.", env.Project)}
	}
	org, team := in.OrganizationSlug, in.TeamSlug
	name, slug, platform, repoName := strings.TrimSpace(in.Name), optString(in.Slug), optString(in.Platform), optString(in.Repository)
	if name == "" || utf8.RuneCountInString(name) > 50 {
		return "", &InputError{Tool: tool, Problem: "name must have 1 to 50 characters"}
	}
	if slug != "" {
		if err := checkNewSlug(tool, "slug", slug); err != nil {
			return "", err
		}
	}
	if platform != "" && !platformPattern().MatchString(platform) {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf("platform %q is not a Sentry platform name like go, python-django or javascript-nextjs", platform)}
	}
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	c := env.Sentry

	// Find the repository first: an unknown one fails before anything is
	// created.
	var repo *sentry.Repository
	if repoName != "" {
		var err error
		if repo, err = findRepository(ctx, c, tool, org, repoName); err != nil {
			return "", err
		}
	}

	p, err := c.CreateProject(ctx, org, team, sentry.ProjectCreate{Name: name, Slug: slug, Platform: platform})
	if err != nil {
		return "", conflict(tool, err, "Pick another slug, or use the existing project (find_projects lists them).")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Created project **%s/%s**\n\n", org, p.Slug)
	fmt.Fprintf(&b, "- Name: %s · Slug: `%s` · Id: %s · Platform: %s\n", oneLine(p.Name), p.Slug, p.ID, orDefault(p.Platform, "not set"))
	fmt.Fprintf(&b, "- Team: %s\n", team)

	// The project stands even if the steps below fail: say what is left to
	// do rather than report the whole call as failed.
	if repo != nil {
		_, err := c.CreateCodeMappings(ctx, org, sentry.CodeMappings{Project: p.Slug, Repository: repo.Name, Provider: repo.Provider.ID,
			Mappings: []sentry.CodeMapping{{StackRoot: "", SourceRoot: ""}}})
		if err != nil {
			fmt.Fprintf(&b, "- Repository: %s **not linked** (%s). Link it under Settings > Integrations > %s > Code Mappings in Sentry.\n",
				repo.Name, linkFailure(err), orDefault(repo.Provider.Name, "your source code integration"))
		} else {
			fmt.Fprintf(&b, "- Repository: %s (linked; code mapping `/` → `/`)\n", repo.Name)
		}
	}

	dsn, err := defaultDSN(ctx, c, org, p.Slug)
	switch {
	case err != nil:
		fmt.Fprintf(&b, "\nThe project's DSN could not be read (%s): find_dsns(organizationSlug='%s', projectSlug='%s') lists it.\n", errorText(err), org, p.Slug)
	default:
		fmt.Fprintf(&b, "\n## SENTRY_DSN\n\n`%s`\n\nSet it as `SENTRY_DSN` or pass it to `Sentry.init({ dsn })`; it is safe in client code.\n", publicDSN(dsn))
	}
	return b.String(), nil
}

// linkFailure says why linking a repository failed, in a few words.
func linkFailure(err error) string {
	switch {
	case errors.Is(err, sentry.ErrMissingScope), errors.Is(err, sentry.ErrNoAccess):
		return "the Sentry grant may not manage integrations: it needs org:integrations"
	case errors.Is(err, sentry.ErrNotFound):
		return "Sentry did not find the repository for this project"
	}
	return shorten(errorText(err), 200)
}

// findRepository finds a repository connected to org by full name
// ("acme/web") or by its last part ("web"); several matches are refused.
func findRepository(ctx context.Context, c *sentry.Client, tool, org, name string) (*sentry.Repository, error) {
	short := name[strings.LastIndex(name, "/")+1:]
	repos, _, err := collectPages(1000, 10, func(cursor string) ([]sentry.Repository, sentry.Page, error) {
		return c.ListRepositories(ctx, org, short, sentry.ListOptions{Limit: 100, Cursor: cursor})
	}, nil)
	if err != nil {
		return nil, err
	}
	var matches []sentry.Repository
	for _, r := range repos {
		if strings.EqualFold(r.Name, name) {
			return &r, nil
		}
		if !strings.Contains(name, "/") && strings.EqualFold(r.Name[strings.LastIndex(r.Name, "/")+1:], name) {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 1:
		return &matches[0], nil
	case 0:
		return nil, &InputError{Tool: tool, Problem: fmt.Sprintf(
			"no repository named %q is connected to %s. Connect it in Sentry under Settings > Integrations, or omit repository", name, org)}
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = m.Name
	}
	return nil, &InputError{Tool: tool, Problem: fmt.Sprintf("repository %q matches %s: give the full name", name, strings.Join(names, ", "))}
}

// defaultDSN returns the public DSN an SDK should use: the active key
// named Default, else any active key, else a new key named Default.
func defaultDSN(ctx context.Context, c *sentry.Client, org, project string) (string, error) {
	keys, _, err := c.ListProjectKeys(ctx, org, project, sentry.ListOptions{Limit: 100})
	if err != nil {
		return "", err
	}
	var pick *sentry.ProjectKey
	for i, k := range keys {
		if k.IsActive && (pick == nil || (k.Name == "Default" && pick.Name != "Default")) {
			pick = &keys[i]
		}
	}
	if pick != nil {
		return pick.DSN.Public, nil
	}
	k, err := c.CreateProjectKey(ctx, org, project, "Default")
	if err != nil {
		return "", err
	}
	return k.DSN.Public, nil
}
