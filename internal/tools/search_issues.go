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
	Query           string  `json:"query,omitempty" jsonschema:"Sentry issue search syntax, e.g. 'is:unresolved level:error firstSeen:-24h'. Passed to Sentry unchanged: lookout does not translate natural language, so plain words are matched as free text against titles and culprits."`
	Sort            string  `json:"sort,omitempty" jsonschema:"Order: date (last seen, newest first), freq (most events), new (first seen, newest first), user (most users affected), recommended (Sentry's ranking)."`
	ProjectSlugOrID *string `json:"projectSlugOrId,omitempty" jsonschema:"Only issues of this project: its slug (e.g. 'web') or numeric id. Omit for all projects."`
	regionParam
	Limit              int    `json:"limit,omitempty" jsonschema:"How many issues to return, 1 to 100."`
	Period             string `json:"period,omitempty" jsonschema:"Only issues seen in this window: 24h, 7d, 14d, 30d or 90d."`
	IncludeExplanation bool   `json:"includeExplanation,omitempty" jsonschema:"Accepted for compatibility and ignored: lookout passes the query to Sentry as given, so there is no translation to explain."`
}

func searchIssuesTool() Tool {
	return newTool(spec{
		Name:  "search_issues",
		Title: "Search issues",
		Description: `List the issues (groups of similar errors) of an organization that match a Sentry search: short id, title, status, level, event and user counts, last seen, assignee and link.

Use it to find issues ("unresolved errors in web since yesterday", "issues assigned to me"). It returns a list, not counts over events (use search_events for those); for one known issue use get_issue_details.
The query is Sentry search syntax and is passed through unchanged; natural language is not translated, so write filters such as is:unresolved, is:unassigned, level:error, firstSeen:-24h, lastSeen:-7d, assigned:me, release:latest, environment:production, userCount:>100.
Examples: search_issues(organizationSlug='acme', query='is:unresolved level:error', projectSlugOrId='web', sort='freq'); search_issues(organizationSlug='acme', query='is:unresolved assigned:me', period='7d').`,
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
	b.WriteString("| issue | title | status | level | events | users | last seen | assignee |\n")
	b.WriteString("| --- | --- | --- | --- | ---: | ---: | --- | --- |\n")
	for _, is := range issues {
		id := orDefault(is.ShortID, string(is.ID))
		if is.Permalink != "" {
			id = fmt.Sprintf("[%s](%s)", id, is.Permalink)
		}
		status := is.Status
		if is.Substatus != "" {
			status += " (" + is.Substatus + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %s | %s |\n",
			id, cell(shorten(is.Title, 100)), cell(status), cell(is.Level), is.Count, is.UserCount,
			stampUTC(is.LastSeen), cell(assigneeText(is.AssignedTo)))
	}
	b.WriteString(moreNote(len(issues), page.NextCursor))
	fmt.Fprintf(&b, "\nFor one issue's details and latest event: get_issue_details(organizationSlug='%s', issueId='%s').\n",
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
