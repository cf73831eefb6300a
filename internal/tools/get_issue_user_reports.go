package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getIssueUserReportsInput struct {
	issueParams
	Cursor *string `json:"cursor,omitempty" jsonschema:"The cursor a previous answer gave for this issue, to get the next page."`
	Limit  int     `json:"limit,omitempty" jsonschema:"How many reports to show, newest first; 1 to 100."`
}

const getIssueUserReportsName = "get_issue_user_reports"

func getIssueUserReportsTool() Tool {
	return newTool(spec{
		Name:  getIssueUserReportsName,
		Title: "Get an issue's user reports",
		Description: `Show what users wrote when they hit an issue (user reports and crash-report feedback attached to its events): who, when, which event, and their words.

Use it for the human side of a crash: what the user was doing, what they saw. Feedback sent from the User Feedback widget on its own is an issue of its own: search_issues(query='issue.category:feedback').
Examples: get_issue_user_reports(organizationSlug='acme', issueId='WEB-1A') or get_issue_user_reports(issueUrl='https://acme.sentry.io/issues/WEB-1A/').`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "cursor")
			setDefault(s, "limit", "25")
			intRange(s, "limit", 0, 100, true)
		},
	}, getIssueUserReports)
}

func getIssueUserReports(ctx context.Context, env *Env, in getIssueUserReportsInput) (string, error) {
	ref, err := in.resolve(getIssueUserReportsName, env)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, getIssueUserReportsName, ref, nil); err != nil {
		return "", err
	}
	reports, page, err := env.Sentry.ListIssueUserReports(ctx, ref.Org, ref.Issue, sentry.ListOptions{Limit: in.Limit, Cursor: optString(in.Cursor)})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# User reports of issue %s in **%s**\n\n", ref.Issue, ref.Org)
	if len(reports) == 0 {
		b.WriteString("No user reports for this issue.\n")
	}
	for _, r := range reports {
		fmt.Fprintf(&b, "- %s by %s (event `%s`):\n  > %s\n", stampUTC(r.DateCreated), reporter(r), orDefault(r.EventID, "?"),
			shorten(oneLine(orDefault(r.Comments, "(no comment)")), 1000))
	}
	if page.HasNext() {
		fmt.Fprintf(&b, "\nMore reports: call again with cursor='%s'.\n", page.NextCursor)
	}
	return b.String(), nil
}

// reporter names who wrote a report: the name or email they gave, else the
// event's user; Sentry writes "None" for a user without an id.
func reporter(r sentry.UserReport) string {
	name := strings.TrimSpace(r.Name)
	if r.Email != "" {
		if name == "" {
			name = r.Email
		} else {
			name += " <" + r.Email + ">"
		}
	}
	if name != "" {
		return name
	}
	if u := r.User; u != nil {
		for _, v := range []string{u.Name, u.Email, u.Username} {
			if strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
		if id := strings.TrimSpace(string(u.ID)); id != "" && !strings.EqualFold(id, "none") && !strings.EqualFold(id, "null") {
			return "user:" + id
		}
	}
	return "anonymous"
}
