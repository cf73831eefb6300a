package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// resolveOrg picks the organization of a command that names none: the only
// organization the user can see, or, for an issue short id, the only one
// with a project of the id's prefix (WEB-1A: a project "web"). Otherwise it
// returns a question that lists the organizations the user can see: lookout
// asks rather than guess across organizations (docs/architecture.md, "Guidance").
func (a *Agent) resolveOrg(ctx context.Context, run *toolRunner, c command) (org, question string, err error) {
	client, err := run.sentry(ctx)
	if err != nil {
		return "", "", err
	}
	orgs, err := client.AllOrganizations(ctx)
	if err != nil {
		return "", "", err
	}
	switch len(orgs) {
	case 0:
		return "", "Your Sentry account belongs to no organization I can see, so there is nothing to look at yet.", nil
	case 1:
		return orgs[0].Slug, "", nil
	}

	var matches []string
	prefix := ""
	if i := strings.LastIndexByte(c.Issue, '-'); c.Kind == cmdIssue && i > 0 {
		prefix = strings.ToLower(c.Issue[:i])
		for _, o := range orgs {
			ok, err := hasProject(ctx, client, o.Slug, prefix)
			if err != nil {
				return "", "", err
			}
			if ok {
				matches = append(matches, o.Slug)
			}
		}
		if len(matches) == 1 {
			return matches[0], "", nil
		}
	}
	return "", orgQuestion(c, orgs, prefix, matches), nil
}

// orgQuestion asks which organization c is about.
func orgQuestion(c command, orgs []sentry.Organization, prefix string, matches []string) string {
	var b strings.Builder
	switch {
	case c.Kind == cmdIssue && len(matches) > 1:
		fmt.Fprintf(&b, "%s could be in more than one of your organizations: each of %s has a project `%s`. Which one do you mean?\n",
			c.Issue, strings.Join(matches, ", "), prefix)
	case c.Kind == cmdIssue && prefix != "":
		fmt.Fprintf(&b, "Which organization is %s in? None of your organizations has a project `%s`, and I won't guess. You can see:\n", c.Issue, prefix)
	case c.Kind == cmdIssue:
		fmt.Fprintf(&b, "Which organization is issue %s in? I won't guess. You can see:\n", c.Issue)
	default:
		b.WriteString("Which organization do you mean? You can see:\n")
	}
	if c.Kind != cmdIssue || len(matches) <= 1 {
		const listed = 20
		for i, o := range orgs {
			if i == listed {
				fmt.Fprintf(&b, "- and %d more (`orgs` lists them all)\n", len(orgs)-listed)
				break
			}
			if o.Name != "" && o.Name != o.Slug {
				fmt.Fprintf(&b, "- **%s** (%s)\n", o.Slug, o.Name)
			} else {
				fmt.Fprintf(&b, "- **%s**\n", o.Slug)
			}
		}
	}
	example := c
	example.Org = orgs[0].Slug
	if len(matches) > 0 {
		example.Org = matches[0]
	}
	fmt.Fprintf(&b, "Say it with the organization, e.g. `%s`.", example)
	return b.String()
}

// hasProject reports whether org has a project with slug. An organization
// the account cannot list projects of has none, as far as this is
// concerned; consent problems and outages are errors.
func hasProject(ctx context.Context, c *sentry.Client, org, slug string) (bool, error) {
	cursor := ""
	for range 10 { // 1000 projects: enough to decide, bounded
		projects, page, err := c.ListProjects(ctx, org, sentry.ListOptions{Limit: 100, Cursor: cursor})
		if errors.Is(err, sentry.ErrNoAccess) || errors.Is(err, sentry.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		for _, p := range projects {
			if strings.EqualFold(p.Slug, slug) {
				return true, nil
			}
		}
		if !page.HasNext() {
			return false, nil
		}
		cursor = page.NextCursor
	}
	return false, nil
}
