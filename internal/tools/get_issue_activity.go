package tools

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getIssueActivityInput struct {
	issueParams
	IncludeComments bool `json:"includeComments,omitempty" jsonschema:"List the comments too."`
	Limit           int  `json:"limit,omitempty" jsonschema:"Entries per section, newest first, 1 to 100."`
}

const getIssueActivityName = "get_issue_activity"

func getIssueActivityTool() Tool {
	return newTool(spec{
		Name:  getIssueActivityName,
		Title: "Get an issue's activity",
		Description: `Show an issue's history and comments, newest first: who resolved, ignored, reopened, assigned or commented, and when.
Example: get_issue_activity(organizationSlug='acme', issueId='WEB-1A')`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			setDefault(s, "includeComments", "true")
			setDefault(s, "limit", "25")
			issueLimitRange(s, "limit", 1, 100)
		},
	}, getIssueActivity)
}

func getIssueActivity(ctx context.Context, env *Env, in getIssueActivityInput) (string, error) {
	ref, err := in.resolve(getIssueActivityName, env)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, getIssueActivityName, ref, nil); err != nil {
		return "", err
	}
	acts, err := env.Sentry.ListIssueActivity(ctx, ref.Org, ref.Issue)
	if err != nil {
		return "", err
	}
	// Newest first, whatever order the endpoint used.
	slices.SortStableFunc(acts, func(a, b sentry.Activity) int { return b.DateCreated.Compare(a.DateCreated.Time) })
	var history, notes []sentry.Activity
	for _, a := range acts {
		if a.Type == "note" {
			notes = append(notes, a)
		} else {
			history = append(history, a)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Activity of issue %s in **%s**\n\n## History\n\n", ref.Issue, ref.Org)
	if len(history) == 0 {
		b.WriteString("No activity recorded.\n")
	}
	for i, a := range history {
		if i == in.Limit {
			fmt.Fprintf(&b, "\n_%d older entries not shown; raise `limit` (up to 100) to see them._\n", len(history)-in.Limit)
			break
		}
		fmt.Fprintf(&b, "- %s · **%s** %s\n", stampUTC(a.DateCreated), activityActor(a.User), activityText(a))
	}
	if in.IncludeComments {
		b.WriteString("\n## Comments\n\n")
		if len(notes) == 0 {
			b.WriteString("No comments.\n")
		}
		for i, a := range notes {
			if i == in.Limit {
				fmt.Fprintf(&b, "\n_%d older comments not shown; raise `limit` (up to 100) to see them._\n", len(notes)-in.Limit)
				break
			}
			text, _ := a.Data["text"].(string)
			fmt.Fprintf(&b, "- %s · **%s**: %s\n", stampUTC(a.DateCreated), activityActor(a.User), shorten(oneLine(text), 1500))
		}
	}
	return b.String(), nil
}

// activityActor names who did something; Sentry itself acts without a user.
func activityActor(u *sentry.User) string {
	if u == nil {
		return "Sentry"
	}
	return oneLine(orDefault(u.Name, orDefault(u.Email, orDefault(u.Username, "user "+string(u.ID)))))
}

// activityText says what an activity entry did, in words.
func activityText(a sentry.Activity) string {
	str := func(k string) string {
		if v, ok := a.Data[k]; ok && v != nil {
			return oneLine(fmt.Sprint(v))
		}
		return ""
	}
	inRelease := func(k string) string {
		if v := str(k); v != "" {
			return " in release " + v
		}
		return ""
	}
	switch a.Type {
	case "set_resolved":
		return "resolved the issue"
	case "set_resolved_in_release":
		return "resolved the issue" + orDefault(inRelease("version"), " in the next release")
	case "set_resolved_by_age":
		return "resolved the issue automatically (no events for a while)"
	case "set_resolved_in_commit":
		return "resolved the issue in a commit"
	case "set_resolved_in_pull_request":
		return "resolved the issue in a pull request"
	case "set_unresolved":
		return "reopened the issue"
	case "set_ignored", "set_archived":
		if str("ignoreUntilEscalating") == "true" {
			return "archived the issue until it escalates"
		}
		return "archived (ignored) the issue"
	case "set_regression":
		return "marked the issue regressed" + inRelease("version")
	case "set_escalating":
		return "marked the issue escalating"
	case "set_priority":
		return "set the priority to " + orDefault(str("priority"), "?")
	case "assigned":
		who := orDefault(str("assigneeEmail"), orDefault(str("assigneeName"), str("assignee")))
		if str("assigneeType") == "team" {
			who = "team " + who
		}
		return "assigned the issue to " + orDefault(who, "someone")
	case "unassigned":
		return "unassigned the issue"
	case "first_seen":
		return "first saw the issue"
	case "mark_reviewed":
		return "marked the issue reviewed"
	case "merge":
		return "merged other issues into this one"
	case "create_issue":
		return "linked an external issue " + str("title")
	}
	text := "did " + orDefault(a.Type, "something")
	if len(a.Data) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(a.Data)) {
			if v := str(k); v != "" {
				parts = append(parts, k+"="+v)
			}
		}
		if len(parts) > 0 {
			text += " (" + shorten(strings.Join(parts, ", "), 200) + ")"
		}
	}
	return text
}
