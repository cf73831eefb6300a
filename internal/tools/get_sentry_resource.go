package tools

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getSentryResourceInput struct {
	URL              string `json:"url,omitempty" jsonschema:"A Sentry web URL, whole (issue, event, trace or span, replay, cron monitor, snapshot, AI conversation, profile, release, project page); read, never opened."`
	ResourceType     string `json:"resourceType,omitempty" jsonschema:"Without a URL: what resourceId is (issue, event, trace, ai_conversation, replay, monitor, snapshot)."`
	ResourceID       string `json:"resourceId,omitempty" jsonschema:"Issue short id, 32-hex event, trace or replay id, conversation id, monitor slug or snapshot id."`
	OrganizationSlug string `json:"organizationSlug,omitempty" jsonschema:"Organization slug, with resourceType and resourceId."`
}

func getSentryResourceTool() Tool {
	return newTool(spec{
		Name:   "get_sentry_resource",
		Title:  "Get a Sentry resource",
		Listed: true,
		Description: `Open what a pasted Sentry URL points at (issue, event, trace or span, replay, cron monitor, snapshot, AI conversation, profile, release, project), or a resourceType + resourceId. An issue or event answers as get_issue_details does.
Example: get_sentry_resource(url='https://acme.sentry.io/issues/WEB-1A/')`,
		Scopes: []string{"event:read", "project:read"},
		Schema: func(s *schemaT) {
			setEnum(s, "resourceType", "issue", "event", "trace", "ai_conversation", "replay", "monitor", "snapshot")
		},
	}, getSentryResource)
}

const resourceTool = "get_sentry_resource"

// resourceTarget is what the arguments name: a parsed URL, or a resource
// built from resourceType and resourceId.
type resourceTarget struct {
	resource
}

func getSentryResource(ctx context.Context, env *Env, in getSentryResourceInput) (string, error) {
	r, err := in.target(env)
	if err != nil {
		return "", err
	}
	c := env.Sentry
	switch r.Kind {
	case "issue", "event":
		ref := issueRef{Org: r.Org, Issue: r.IssueID, Event: r.EventID}
		if ref.Issue == "" { // an event id alone: find its issue
			issue, err := issueOfEvent(ctx, c, r.Org, r.EventID)
			if err != nil {
				return "", err
			}
			if issue == "" {
				return "", fmt.Errorf("no issue of organization %s has event %s (a transaction's event is best opened through its trace, get_trace_details): %w",
					r.Org, r.EventID, sentry.ErrNotFound)
			}
			ref.Issue = issue
		}
		return issueDetails(ctx, env, resourceTool, ref)
	case "trace":
		return traceOverview(ctx, c, r.Org, r.TraceID, "")
	case "release":
		return resourceRelease(ctx, c, r.Org, r.Release)
	case "project":
		return resourceProject(ctx, c, r.Org, r.Project)
	case "span", "replay", "monitor", "snapshot", "ai_conversation", "profile":
		return resourceInspect(ctx, env, in, r.resource)
	}
	return "", &InputError{Tool: resourceTool, Problem: "unsupported resource kind " + r.Kind}
}

// target works out the resource from a URL (parsed, never fetched: a
// look-alike host is refused here, before any request) or from
// resourceType and resourceId.
func (in getSentryResourceInput) target(env *Env) (resourceTarget, error) {
	bad := func(format string, a ...any) (resourceTarget, error) {
		return resourceTarget{}, &InputError{Tool: resourceTool, Problem: fmt.Sprintf(format, a...)}
	}
	var t resourceTarget
	if strings.TrimSpace(in.URL) != "" {
		r, err := parseResourceURL(in.URL, env.Sentry.BaseURL())
		if err != nil {
			return bad("%s", err)
		}
		if in.ResourceType == "trace" && r.Kind == "span" {
			r.Kind = "trace" // the whole trace rather than the span
		}
		if in.ResourceType != "" && in.ResourceType != r.Kind {
			return bad("the URL is a %s page, but resourceType says %s: give only the URL", r.Kind, in.ResourceType)
		}
		if in.OrganizationSlug != "" && !strings.EqualFold(in.OrganizationSlug, r.Org) && !strings.EqualFold(env.Org, in.OrganizationSlug) {
			return bad("the URL is in organization %q but organizationSlug says %q: give only the URL", r.Org, in.OrganizationSlug)
		}
		t.resource = r
	} else {
		id := strings.TrimSpace(in.ResourceID)
		switch {
		case in.ResourceType == "":
			return bad("give a Sentry url, or resourceType with resourceId and organizationSlug")
		case in.OrganizationSlug == "":
			return bad("resourceType and resourceId need organizationSlug (find_organizations lists them), or give the url instead")
		case id == "":
			return bad("resourceType %s needs resourceId", in.ResourceType)
		}
		t.Org, t.Kind = in.OrganizationSlug, in.ResourceType
		switch in.ResourceType {
		case "issue":
			if !issueIDRe().MatchString(id) {
				return bad("resourceId %q is not an issue id: use the short id (WEB-1A) or the numeric id", shorten(id, 60))
			}
			t.IssueID = strings.ToUpper(id)
		case "event":
			if !hex32Re().MatchString(id) {
				return bad("resourceId %q is not an event id (32 hex characters)", shorten(id, 60))
			}
			t.EventID = strings.ToLower(id)
		case "trace":
			if !hex32Re().MatchString(id) {
				return bad("resourceId %q is not a trace id (32 hex characters)", shorten(id, 60))
			}
			t.TraceID = strings.ToLower(id)
		case "monitor":
			if !slugRe().MatchString(id) {
				return bad("resourceId %q is not a monitor slug", shorten(id, 60))
			}
			t.MonitorSlug = id
		default: // ai_conversation, replay, snapshot
			if err := t.inspectID(id); err != "" {
				return bad("%s", err)
			}
		}
	}
	if env.Org != "" && !strings.EqualFold(env.Org, t.Org) {
		return bad("this connection is pinned to organization %q; the resource is in %q", env.Org, t.Org)
	}
	return t, nil
}

func resourceRelease(ctx context.Context, c *sentry.Client, org, version string) (string, error) {
	rel, err := c.GetRelease(ctx, org, version)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Release `%s` in **%s**\n\n", rel.Version, org)
	fmt.Fprintf(&b, "- **Created**: %s", stampUTC(rel.DateCreated))
	if !rel.DateReleased.IsZero() {
		fmt.Fprintf(&b, " · **Released**: %s", stampUTC(rel.DateReleased))
	}
	b.WriteString("\n")
	var projects []string
	for _, p := range rel.Projects {
		projects = append(projects, p.Slug)
	}
	if len(projects) > 0 {
		fmt.Fprintf(&b, "- **Projects**: %s\n", strings.Join(projects, ", "))
	}
	fmt.Fprintf(&b, "- **New issues**: %d · **Commits**: %d · **Deploys**: %d\n", rel.NewGroups, rel.CommitCount, rel.DeployCount)
	if d := rel.LastDeploy; d != nil && d.Environment != "" {
		fmt.Fprintf(&b, "- **Last deploy**: %s at %s\n", d.Environment, stampUTC(orTime(d.DateFinished, d.DateStarted)))
	}
	if !rel.LastEvent.IsZero() {
		fmt.Fprintf(&b, "- **Events**: first %s, last %s\n", stampUTC(rel.FirstEvent), stampUTC(rel.LastEvent))
	}
	fmt.Fprintf(&b, "- **Link**: %s/organizations/%s/releases/%s/\n", strings.TrimSuffix(c.BaseURL(), "/"), org, url.PathEscape(rel.Version))
	fmt.Fprintf(&b, "\nMore: get_release_details(organizationSlug='%s', releaseVersion='%s') for commits, deploys and health; "+
		"search_issues(organizationSlug='%s', query='release:%s') for its issues.\n", org, rel.Version, org, rel.Version)
	return b.String(), nil
}

func orTime(a, b sentry.Time) sentry.Time {
	if a.IsZero() {
		return b
	}
	return a
}

func resourceProject(ctx context.Context, c *sentry.Client, org, slug string) (string, error) {
	p, err := c.GetProject(ctx, org, slug)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Project **%s** in **%s**\n\n", p.Slug, org)
	fmt.Fprintf(&b, "- **Name**: %s · **ID**: %s\n", p.Name, p.ID)
	if p.Platform != "" {
		fmt.Fprintf(&b, "- **Platform**: %s\n", p.Platform)
	}
	var teams []string
	for _, t := range p.Teams {
		teams = append(teams, t.Slug)
	}
	if len(teams) > 0 {
		fmt.Fprintf(&b, "- **Teams**: %s\n", strings.Join(teams, ", "))
	}
	fmt.Fprintf(&b, "- **Created**: %s\n", stampUTC(p.DateCreated))
	fmt.Fprintf(&b, "- **Link**: %s/organizations/%s/projects/%s/\n", strings.TrimSuffix(c.BaseURL(), "/"), org, p.Slug)
	fmt.Fprintf(&b, "\nMore: search_issues(organizationSlug='%s', projectSlug='%s') for its issues; find_dsns for its DSN.\n", org, p.Slug)
	return b.String(), nil
}
