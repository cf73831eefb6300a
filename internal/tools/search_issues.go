package tools

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type searchIssuesInput struct {
	orgParam
	Query           string  `json:"query,omitempty" jsonschema:"Sentry issue search, sent as is: is:unresolved, level:error, assigned:me, firstSeen:-24h, release:latest, environment:production..."`
	Sort            string  `json:"sort,omitempty" jsonschema:"date (last seen), freq, new (first seen), user or recommended."`
	ProjectSlugOrID *string `json:"projectSlugOrId,omitempty" jsonschema:"Only this project (slug or id)."`
	regionParam
	Limit              int    `json:"limit,omitempty" jsonschema:"Issues to return, 1 to 100."`
	Period             string `json:"period,omitempty" jsonschema:"Issues seen in the last 24h, 7d, 14d, 30d or 90d."`
	IncludeExplanation bool   `json:"includeExplanation,omitempty" jsonschema:"Ignored: the query is not translated."`
}

func searchIssuesTool() Tool {
	return newTool(spec{
		Name:   "search_issues",
		Title:  "Search issues",
		Listed: true,
		Description: `Find issues (grouped errors and performance problems) with Sentry's issue search: short id, title, culprit, status, counts, first and last seen, assignee.
For one issue use get_issue_details; for counts over raw events, search_events. The query is Sentry syntax, not natural language.
Example: search_issues(organizationSlug='acme', query='is:unresolved level:error', projectSlugOrId='web', sort='freq')`,
		Scopes: []string{"event:read", "project:read"}, // project:read only to resolve a project slug
		Schema: func(s *schemaT) {
			nullable(s, "projectSlugOrId", "regionUrl")
			setDefault(s, "query", `"is:unresolved"`)
			setDefault(s, "sort", `"date"`)
			setEnum(s, "sort", "date", "freq", "new", "user", "recommended")
			setDefault(s, "limit", "10")
			issueLimitRange(s, "limit", 1, 100)
			setDefault(s, "period", `"30d"`)
			setEnum(s, "period", "24h", "7d", "14d", "30d", "90d")
			setDefault(s, "includeExplanation", "false")
		},
	}, searchIssues)
}

func searchIssues(ctx context.Context, env *Env, in searchIssuesInput) (string, error) {
	org := in.OrganizationSlug
	if region := in.region(); region != "" {
		if err := env.Sentry.UseRegion(org, region); err != nil {
			return "", err
		}
	}
	iq := sentry.IssueQuery{Query: in.Query, Sort: in.Sort, StatsPeriod: in.Period, Limit: in.Limit}
	project := ""
	if in.ProjectSlugOrID != nil {
		project = strings.TrimSpace(*in.ProjectSlugOrID)
	}
	if project != "" {
		id, err := issueProjectID(ctx, env, org, project)
		if err != nil {
			return "", err
		}
		iq.Projects = []string{id}
	}
	issues, page, err := env.Sentry.ListIssues(ctx, org, iq)
	if err != nil {
		return "", err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Issues in **%s**\n\n", org)
	fmt.Fprintf(&b, "Query `%s` · sort %s · last %s", orDefault(in.Query, "is:unresolved"), in.Sort, in.Period)
	if project != "" {
		fmt.Fprintf(&b, " · project %s", project)
	}
	b.WriteString("\n\n")
	if len(issues) == 0 {
		b.WriteString("No issues match. Widen `period` (up to 90d), drop filters, or check the syntax " +
			"(is:unresolved, level:error, assigned:me, firstSeen:-24h...).\n")
		return b.String(), nil
	}
	b.WriteString("| issue | title | culprit | status | events | users | first seen | last seen | assignee |\n")
	b.WriteString("| --- | --- | --- | --- | ---: | ---: | --- | --- | --- |\n")
	for _, is := range issues {
		id := orDefault(is.ShortID, string(is.ID))
		if is.Permalink != "" {
			id = fmt.Sprintf("[%s](%s)", id, is.Permalink)
		}
		status := is.Status
		if is.Substatus != "" && is.Substatus != "ongoing" {
			status += " (" + is.Substatus + ")"
		}
		if is.Level != "" && is.Level != "error" {
			status += ", " + is.Level
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %s | %s | %s |\n",
			id, cell(shorten(issueHeadline(&is), 140)), cell(shorten(is.Culprit, 60)), cell(status), is.Count, is.UserCount,
			shortStamp(is.FirstSeen), shortStamp(is.LastSeen), cell(assigneeName(is.AssignedTo)))
	}
	b.WriteString("\nTimes are UTC.\n")
	b.WriteString(moreNote(len(issues), page.NextCursor))
	fmt.Fprintf(&b, "Details and latest event: get_issue_details(organizationSlug='%s', issueId='%s').\n",
		org, orDefault(issues[0].ShortID, string(issues[0].ID)))
	return b.String(), nil
}

// issueProjectID resolves a project slug to its numeric id, as Sentry's issue
// search wants; a numeric id is used as given.
func issueProjectID(ctx context.Context, env *Env, org, project string) (string, error) {
	if _, err := strconv.ParseUint(project, 10, 64); err == nil {
		return project, nil
	}
	p, err := env.Sentry.GetProject(ctx, org, project)
	if err != nil {
		return "", fmt.Errorf("project %q: %w", project, err)
	}
	return string(p.ID), nil
}

// issueLimitRange bounds an integer property of the issue tools.
func issueLimitRange(s *schemaT, name string, lo, hi float64) {
	p := s.Properties[name]
	p.Minimum, p.Maximum = &lo, &hi
}
