package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type searchIssueEventsInput struct {
	issueParams
	Query              string  `json:"query,omitempty" jsonschema:"Sentry event search within the issue, sent as is: environment:production, release:1.2.3, user.email:alice@example.com, trace:<id>."`
	Sort               string  `json:"sort,omitempty" jsonschema:"-timestamp (newest first, the default) or timestamp."`
	Period             string  `json:"period,omitempty" jsonschema:"Window: 24h, 7d, 14d (default), 30d, 90d."`
	ProjectSlug        *string `json:"projectSlug,omitempty" jsonschema:"The issue's project; another is refused."`
	Limit              int     `json:"limit,omitempty" jsonschema:"Events to return, 1 to 100."`
	IncludeExplanation bool    `json:"includeExplanation,omitempty" jsonschema:"Ignored: the query is not translated."`
}

const searchIssueEventsName = "search_issue_events"

func searchIssueEventsTool() Tool {
	return newTool(spec{
		Name:  searchIssueEventsName,
		Title: "Search an issue's events",
		Description: `List one issue's events (id, time, environment, release, user), filtered by Sentry event search and a time window: which releases, users or environments it hit, or an event to open with get_issue_details(eventId=...).
Example: search_issue_events(organizationSlug='acme', issueId='WEB-1A', query='environment:production', period='7d')`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "organizationSlug", "regionUrl", "projectSlug")
			s.Properties["sort"].Pattern = `^-?[A-Za-z0-9_.]+(\([A-Za-z0-9_.]*\))?$`
			s.Properties["period"].Pattern = `^\d+[hdw]$`
			setDefault(s, "limit", "50")
			issueLimitRange(s, "limit", 1, 100)
			setDefault(s, "includeExplanation", "false")
		},
	}, searchIssueEvents)
}

// searchIssueEvents reads the issue's own events endpoint: one request
// (the issue is fetched first only to check a pinned or named project).
func searchIssueEvents(ctx context.Context, env *Env, in searchIssueEventsInput) (string, error) {
	ref, err := in.resolve(searchIssueEventsName, env)
	if err != nil {
		return "", err
	}
	if project := optString(in.ProjectSlug); project != "" || env.Project != "" {
		is, err := env.Sentry.GetIssue(ctx, ref.Org, ref.Issue)
		if err != nil {
			return "", err
		}
		if err := checkPinnedProject(ctx, env, searchIssueEventsName, ref, is); err != nil {
			return "", err
		}
		if project != "" && !strings.EqualFold(project, is.Project.Slug) {
			return "", &InputError{Tool: searchIssueEventsName, Problem: fmt.Sprintf(
				"issue %s is in project %q, not %q; omit projectSlug", orDefault(is.ShortID, ref.Issue), is.Project.Slug, project)}
		}
	}
	sortBy := orDefault(in.Sort, "-timestamp")
	period := orDefault(in.Period, "14d")
	evs, page, err := env.Sentry.ListIssueEvents(ctx, ref.Org, ref.Issue, sentry.IssueEventsQuery{
		Query: strings.TrimSpace(in.Query), Sort: sortBy, StatsPeriod: period, Limit: in.Limit,
	})
	if err != nil {
		return "", err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Events of %s in **%s**\n\n", ref.Issue, ref.Org)
	if len(evs) > 0 && evs[0].Title != "" {
		b.WriteString(oneLine(evs[0].Title) + "\n\n")
	}
	fmt.Fprintf(&b, "Query `%s` · sort %s · last %s\n\n", orDefault(in.Query, "(all events)"), sortBy, period)
	if len(evs) == 0 {
		b.WriteString("No events of this issue match. Widen `period` (e.g. 90d) or loosen the query.\n")
		return b.String(), nil
	}
	b.WriteString("| event | time (UTC) | environment | release | user |\n| --- | --- | --- | --- | --- |\n")
	for _, ev := range evs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", orDefault(string(ev.EventID), string(ev.ID)),
			eventTime(ev.DateCreated), cell(orDefault(ev.Tag("environment"), "-")),
			cell(orDefault(ev.Tag("release"), "-")), cell(shorten(orDefault(eventUserText(ev.User), "-"), 80)))
	}
	b.WriteString(moreNote(len(evs), page.NextCursor))
	first := orDefault(string(evs[0].EventID), string(evs[0].ID))
	fmt.Fprintf(&b, "\nOpen one: get_issue_details(organizationSlug='%s', issueId='%s', eventId='%s').\n", ref.Org, ref.Issue, first)
	return b.String(), nil
}

// eventTime is an event's time to the second, for tables whose header says
// UTC.
func eventTime(t sentry.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateTime)
}
