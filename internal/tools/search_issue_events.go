package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type searchIssueEventsInput struct {
	issueParams
	Query              string  `json:"query,omitempty" jsonschema:"Sentry event search syntax to filter the issue's events, e.g. 'environment:production release:web@1.2.3 user.email:alice@example.com'. Passed to Sentry unchanged; natural language is not translated and plain words match the message as free text."`
	Sort               string  `json:"sort,omitempty" jsonschema:"Field to sort by, '-' first for descending, e.g. -timestamp (newest first, the default) or timestamp."`
	Period             string  `json:"period,omitempty" jsonschema:"Relative window, e.g. 24h, 7d, 14d (the default), 30d or 90d."`
	ProjectSlug        *string `json:"projectSlug,omitempty" jsonschema:"The issue's project slug. Optional: the issue already determines its project; a different project is refused."`
	Limit              int     `json:"limit,omitempty" jsonschema:"How many events to return, 1 to 100."`
	IncludeExplanation bool    `json:"includeExplanation,omitempty" jsonschema:"Accepted for compatibility and ignored: lookout passes the query to Sentry as given, so there is no translation to explain."`
}

const searchIssueEventsName = "search_issue_events"

// issueEventFields are the columns listed for each event.
var issueEventFields = []string{"id", "timestamp", "environment", "release", "user.display", "trace"}

func searchIssueEventsTool() Tool {
	return newTool(spec{
		Name:  searchIssueEventsName,
		Title: "Search an issue's events",
		Description: `List the individual events of one issue, filtered by a Sentry search and a time window: event id, time, environment, release, user and trace id.

Use it to answer "which releases / users / environments hit this issue?", to find an event from a given user or trace, or to pick an event to inspect with get_issue_details(eventId=...). For issues across the organization use search_issues; for counts and aggregates use search_events.
The query is Sentry event search syntax, passed through unchanged (no natural-language translation), e.g. environment:production, release:1.0.0, user.email:alice@example.com, trace:<trace id>.
Examples: search_issue_events(organizationSlug='acme', issueId='WEB-1A', query='environment:production', period='7d'); search_issue_events(issueUrl='https://acme.sentry.io/issues/WEB-1A/', sort='timestamp', limit=5).`,
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

func searchIssueEvents(ctx context.Context, env *Env, in searchIssueEventsInput) (string, error) {
	ref, err := in.resolve(searchIssueEventsName, env)
	if err != nil {
		return "", err
	}
	is, err := env.Sentry.GetIssue(ctx, ref.Org, ref.Issue)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, searchIssueEventsName, ref, is); err != nil {
		return "", err
	}
	if in.ProjectSlug != nil && *in.ProjectSlug != "" && !strings.EqualFold(*in.ProjectSlug, is.Project.Slug) {
		return "", &InputError{Tool: searchIssueEventsName, Problem: fmt.Sprintf(
			"issue %s is in project %q, not %q; omit projectSlug", orDefault(is.ShortID, ref.Issue), is.Project.Slug, *in.ProjectSlug)}
	}

	sortBy := orDefault(in.Sort, "-timestamp")
	period := orDefault(in.Period, "14d")
	fields := slices.Clone(issueEventFields)
	if key := strings.TrimPrefix(sortBy, "-"); !slices.Contains(fields, key) {
		fields = append(fields, key) // Sentry sorts only by a selected field
	}
	dataset := "errors"
	if is.IssueCategory != "" && is.IssueCategory != "error" {
		dataset = "issuePlatform" // performance and other non-error issues
	}
	res, page, err := env.Sentry.SearchEvents(ctx, ref.Org, sentry.EventsQuery{
		Dataset: dataset, Fields: fields, Query: issueEventQuery(string(is.ID), in.Query), Sort: sortBy,
		StatsPeriod: period, Projects: []string{string(is.Project.ID)}, Limit: in.Limit,
	})
	if err != nil {
		return "", err
	}

	issueID := orDefault(is.ShortID, ref.Issue)
	var b strings.Builder
	fmt.Fprintf(&b, "# Events of %s in **%s**\n\n%s\n\n", issueID, ref.Org, oneLine(is.Title))
	fmt.Fprintf(&b, "Query `%s` · sort %s · last %s\n\n", orDefault(in.Query, "(all events)"), sortBy, period)
	if len(res.Data) == 0 {
		b.WriteString("No events of this issue match. Widen `period` (e.g. 90d) or loosen the query.\n")
		return b.String(), nil
	}
	b.WriteString("| " + strings.Join(fields, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(fields)) + "\n")
	for _, row := range res.Data {
		cells := make([]string, len(fields))
		for i, f := range fields {
			cells[i] = cell(shorten(eventValueText(row[f]), 120))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString(moreNote(len(res.Data), page.NextCursor))
	first := eventValueText(res.Data[0]["id"])
	fmt.Fprintf(&b, "\nInspect one: get_issue_details(organizationSlug='%s', issueId='%s', eventId='%s').\n", ref.Org, issueID, first)
	return b.String(), nil
}

// issueEventQuery scopes a user's query to one issue. A query with OR is
// parenthesized, so "a OR b" cannot match events of other issues.
func issueEventQuery(issueID, query string) string {
	q := "issue.id:" + issueID
	query = strings.TrimSpace(query)
	switch {
	case query == "":
		return q
	case slices.Contains(strings.Fields(query), "OR"):
		return q + " (" + query + ")"
	default:
		return q + " " + query
	}
}

// eventValueText prints one Discover value; absent values are "-".
func eventValueText(v any) string {
	if v == nil {
		return "-"
	}
	s := fmt.Sprint(v)
	if s == "" {
		return "-"
	}
	return s
}
