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
	EventID string `json:"eventId,omitempty" jsonschema:"A 32-character event id, e.g. c49541c747cb4d8aa3efb70ca5aba243: show that event instead of the latest. With organizationSlug alone (no issueId or issueUrl) it finds the event's issue."`
}

const getIssueDetailsName = "get_issue_details"

func getIssueDetailsTool() Tool {
	return newTool(spec{
		Name:  getIssueDetailsName,
		Title: "Get issue details",
		Description: `Explain one Sentry issue: title, status, level, counts, first and last seen, assignee and link, plus its latest event (or the one asked for) with the exception and top stack frames, request, tags and contexts.

Use it when the user names an issue ("explain WEB-1A", "what is this issue?") or pastes a Sentry issue or event URL; use search_issues to find issues first.
Pass a URL whole as issueUrl; otherwise give organizationSlug with issueId, or organizationSlug with eventId to find the issue an event belongs to.
Examples: get_issue_details(issueUrl='https://acme.sentry.io/issues/WEB-1A/'); get_issue_details(organizationSlug='acme', issueId='WEB-1A'); get_issue_details(organizationSlug='acme', eventId='c49541c747cb4d8aa3efb70ca5aba243').`,
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
			return fmt.Sprintf("# Event not found\n\nNo issue in **%s** has an error event with id %s in the last 90 days. "+
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

	is, err := env.Sentry.GetIssue(ctx, ref.Org, ref.Issue)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, getIssueDetailsName, ref, is); err != nil {
		return "", err
	}
	issueID := orDefault(is.ShortID, ref.Issue)
	var b strings.Builder
	b.WriteString(issueMarkdown(is))
	b.WriteString("\n")
	latest := ref.Event == sentry.EventLatest
	ev, err := env.Sentry.GetIssueEvent(ctx, ref.Org, issueID, ref.Event)
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
	b.WriteString("## Next steps\n\n")
	evID := string(ev.EventID)
	fmt.Fprintf(&b, "- Other events: search_issue_events(organizationSlug='%s', issueId='%s', query='environment:production')\n", org, issue)
	_, threads := ev.Entry("threads")
	if excs, _ := ev.Exceptions(); len(excs) > 0 || threads {
		fmt.Fprintf(&b, "- Full stack trace: get_event_stacktrace(organizationSlug='%s', issueId='%s', eventId='%s')\n", org, issue, evID)
	}
	fmt.Fprintf(&b, "- What happened before: get_issue_breadcrumbs(organizationSlug='%s', issueId='%s', eventId='%s')\n", org, issue, evID)
	fmt.Fprintf(&b, "- Spread by browser, release, environment...: get_issue_tag_values(organizationSlug='%s', issueId='%s', tagKey='release')\n", org, issue)
	fmt.Fprintf(&b, "- Comments and history: get_issue_activity(organizationSlug='%s', issueId='%s')\n", org, issue)
	if t := ev.TraceID(); t != "" {
		fmt.Fprintf(&b, "- The request across services: get_trace_details(organizationSlug='%s', traceId='%s')\n", org, t)
	}
	return b.String()
}

// issueOfEvent finds the issue an event id belongs to, or "" if none. It
// asks issue search first (Sentry answers an event id query with the
// event's issue, across all time), then Discover over error events of the
// last 90 days.
func issueOfEvent(ctx context.Context, c *sentry.Client, org, eventID string) (string, error) {
	issues, _, err := c.ListIssues(ctx, org, sentry.IssueQuery{Query: eventID, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(issues) == 1 {
		return orDefault(issues[0].ShortID, string(issues[0].ID)), nil
	}
	res, _, err := c.SearchEvents(ctx, org, sentry.EventsQuery{
		Dataset: "errors", Fields: []string{"id", "issue", "issue.id", "project"},
		Query: "id:" + strings.ToLower(eventID), StatsPeriod: "90d", Limit: 1,
	})
	if err != nil {
		return "", err
	}
	for _, row := range res.Data {
		for _, k := range []string{"issue", "issue.id"} {
			if v := fmt.Sprint(row[k]); row[k] != nil && v != "" {
				return v, nil
			}
		}
	}
	return "", nil
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
