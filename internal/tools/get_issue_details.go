package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getIssueDetailsInput struct {
	issueParams
	EventID string `json:"eventId,omitempty" jsonschema:"An event id (32 hex): show that event, not the latest. Alone with organizationSlug, it finds the event's issue."`
}

const getIssueDetailsName = "get_issue_details"

func getIssueDetailsTool() Tool {
	return newTool(spec{
		Name:   getIssueDetailsName,
		Title:  "Get issue details",
		Listed: true,
		Description: `Explain one issue: status, counts, first and last seen, assignee, culprit, and its latest event (or the one asked for) with exception, top stack frames, request, tags and contexts.
Name it by issueUrl, organizationSlug + issueId, or organizationSlug + eventId.
Example: get_issue_details(organizationSlug='acme', issueId='WEB-1A')`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			s.Properties["eventId"].Pattern = `^[0-9a-fA-F]{32}$`
		},
	}, getIssueDetails)
}

func getIssueDetails(ctx context.Context, env *Env, in getIssueDetailsInput) (string, error) {
	var ref issueRef
	if in.EventID != "" && in.IssueID == "" && in.IssueURL == "" {
		if in.OrganizationSlug == "" {
			return "", &InputError{Tool: getIssueDetailsName, Problem: "eventId needs organizationSlug (find_organizations lists them), or give issueId or issueUrl"}
		}
		if env.Org != "" && !strings.EqualFold(env.Org, in.OrganizationSlug) {
			return "", &InputError{Tool: getIssueDetailsName, Problem: fmt.Sprintf(
				"this connection is pinned to organization %q; the event is in %q", env.Org, in.OrganizationSlug)}
		}
		if region := in.region(); region != "" {
			if err := env.Sentry.UseRegion(in.OrganizationSlug, region); err != nil {
				return "", err
			}
		}
		issue, err := issueOfEvent(ctx, env.Sentry, in.OrganizationSlug, in.EventID)
		if err != nil {
			return "", err
		}
		if issue == "" {
			return fmt.Sprintf("# Event not found\n\nNo issue in **%s** has an event with id %s. "+
				"Check the id and the organization, or give issueId or issueUrl.\n", in.OrganizationSlug, in.EventID), nil
		}
		ref = issueRef{Org: in.OrganizationSlug, Issue: issue, Event: strings.ToLower(in.EventID)}
	} else {
		var err error
		if ref, err = in.resolve(getIssueDetailsName, env); err != nil {
			return "", err
		}
		if ref.Event, err = chooseIssueEvent(getIssueDetailsName, ref, in.EventID); err != nil {
			return "", err
		}
	}
	return issueDetails(ctx, env, getIssueDetailsName, ref)
}

// issueDetails renders an issue and one of its events (ref.Event, or the
// latest): two requests, the issue and the event, both by the issue's id.
// get_sentry_resource answers issue and event links with it too.
func issueDetails(ctx context.Context, env *Env, tool string, ref issueRef) (string, error) {
	is, err := env.Sentry.GetIssue(ctx, ref.Org, ref.Issue)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, tool, ref, is); err != nil {
		return "", err
	}
	issueID := orDefault(is.ShortID, ref.Issue)
	event := orDefault(ref.Event, sentry.EventLatest)
	var b strings.Builder
	b.WriteString(issueMarkdown(is))
	b.WriteString("\n")
	latest := event == sentry.EventLatest
	ev, err := env.Sentry.GetIssueEvent(ctx, ref.Org, issueID, event)
	switch {
	case err != nil && latest && errors.Is(err, sentry.ErrNotFound):
		b.WriteString("_Sentry has no stored event for this issue (events may have aged out of retention)._\n")
		return b.String(), nil
	case err != nil:
		return "", err
	}
	if latest {
		b.WriteString("Showing the latest event.\n\n")
	}
	b.WriteString(eventMarkdown(ev, eventOpts{}))
	b.WriteString(issueNextSteps(ref.Org, issueID, ev))
	return b.String(), nil
}

// issueNextSteps names the calls that dig further into an issue.
func issueNextSteps(org, issue string, ev *sentry.Event) string {
	var b strings.Builder
	evID := string(ev.EventID)
	fmt.Fprintf(&b, "## Next steps\n\nWith organizationSlug='%s', issueId='%s': ", org, issue)
	_, threads := ev.Entry("threads")
	if excs, _ := ev.Exceptions(); len(excs) > 0 || threads {
		fmt.Fprintf(&b, "get_event_stacktrace (whole stack) and ")
	}
	fmt.Fprintf(&b, "get_issue_breadcrumbs (what led here), with eventId='%s'; search_issue_events (other events); "+
		"get_issue_tag_values (tagKey='release', 'browser'...); get_issue_activity (history).\n", evID)
	if t := ev.TraceID(); t != "" {
		fmt.Fprintf(&b, "The request across services: get_trace_details(organizationSlug='%s', traceId='%s').\n", org, t)
	}
	return b.String()
}

// issueOfEvent finds the issue an event id belongs to, or "" if none:
// Sentry's issue search answers a bare event id with the event's issue.
func issueOfEvent(ctx context.Context, c *sentry.Client, org, eventID string) (string, error) {
	issues, _, err := c.ListIssues(ctx, org, sentry.IssueQuery{Query: strings.ToLower(eventID), StatsPeriod: "90d", Limit: 1})
	if err != nil {
		return "", err
	}
	if len(issues) == 0 {
		return "", nil
	}
	return orDefault(issues[0].ShortID, string(issues[0].ID)), nil
}

// checkPinnedProject refuses an issue outside the project this connection
// is pinned to. is may be nil: the issue is then fetched, but only when a
// project is pinned.
func checkPinnedProject(ctx context.Context, env *Env, tool string, ref issueRef, is *sentry.Issue) error {
	if env.Project == "" {
		return nil
	}
	if is == nil {
		var err error
		if is, err = env.Sentry.GetIssue(ctx, ref.Org, ref.Issue); err != nil {
			return err
		}
	}
	if strings.EqualFold(is.Project.Slug, env.Project) || string(is.Project.ID) == env.Project {
		return nil
	}
	return &InputError{Tool: tool, Problem: fmt.Sprintf(
		"this connection is pinned to project %q; issue %s is in %q", env.Project, orDefault(is.ShortID, ref.Issue), is.Project.Slug)}
}
