package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type updateIssueInput struct {
	issueParams
	Status                  string `json:"status,omitempty" jsonschema:"resolved, resolvedInNextRelease, unresolved (reopen) or ignored."`
	AssignedTo              string `json:"assignedTo,omitempty" jsonschema:"user:<id> (whoami gives yours), team:<id or slug>, a username or email, or me."`
	IgnoreMode              string `json:"ignoreMode,omitempty" jsonschema:"With ignored: untilEscalating (default), forever, forDuration, untilOccurrenceCount, untilUserCount."`
	IgnoreDurationMinutes   int    `json:"ignoreDurationMinutes,omitempty" jsonschema:"forDuration: minutes to ignore."`
	IgnoreCount             int    `json:"ignoreCount,omitempty" jsonschema:"untilOccurrenceCount: events before it returns."`
	IgnoreWindowMinutes     int    `json:"ignoreWindowMinutes,omitempty" jsonschema:"Window of ignoreCount, minutes."`
	IgnoreUserCount         int    `json:"ignoreUserCount,omitempty" jsonschema:"untilUserCount: users before it returns."`
	IgnoreUserWindowMinutes int    `json:"ignoreUserWindowMinutes,omitempty" jsonschema:"Window of ignoreUserCount, minutes."`
	Reason                  string `json:"reason,omitempty" jsonschema:"Why; posted as a note on the issue."`
}

func updateIssueTool() Tool {
	return newTool(spec{
		Name:  "update_issue",
		Title: "Update an issue",
		Description: `Resolve, reopen, ignore (until escalating, forever, for a while, or until N events or users) or assign an issue, with an optional reason posted as a note. Only when the user asks.
Example: update_issue(organizationSlug='acme', issueId='WEB-1A', status='ignored', ignoreMode='forDuration', ignoreDurationMinutes=60, reason='Deploy in progress')`,
		Permission:  Triage,
		Listed:      true,
		Writes:      true,
		Destructive: true,
		Scopes:      []string{"event:write"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			setEnum(s, "status", "resolved", "resolvedInNextRelease", "unresolved", "ignored")
			setEnum(s, "ignoreMode", "untilEscalating", "forever", "forDuration", "untilOccurrenceCount", "untilUserCount")
			zero, week := 0.0, 7*24*60.0
			for _, n := range []string{"ignoreDurationMinutes", "ignoreCount", "ignoreWindowMinutes", "ignoreUserCount", "ignoreUserWindowMinutes"} {
				s.Properties[n].ExclusiveMinimum = &zero
			}
			s.Properties["ignoreWindowMinutes"].Maximum = &week
			s.Properties["ignoreUserWindowMinutes"].Maximum = &week
			one := 1
			s.Properties["reason"].MinLength = &one
		},
	}, updateIssue)
}

const updateIssueName = "update_issue"

func updateIssue(ctx context.Context, env *Env, in updateIssueInput) (string, error) {
	in.AssignedTo = strings.TrimSpace(in.AssignedTo)
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Status == "" && in.AssignedTo == "" {
		return "", &InputError{Tool: updateIssueName, Problem: "give status, assignedTo or both: there is nothing to change"}
	}
	ignore, err := in.ignoreUpdate()
	if err != nil {
		return "", err
	}
	ref, err := in.resolve(updateIssueName, env)
	if err != nil {
		return "", err
	}
	c := env.Sentry
	before, err := c.GetIssue(ctx, ref.Org, ref.Issue)
	if err != nil {
		return "", err
	}
	u := ignore
	u.Status = in.Status
	if in.AssignedTo != "" {
		assignee := in.AssignedTo
		if strings.EqualFold(assignee, "me") {
			me, err := c.WhoAmI(ctx)
			if err != nil {
				return "", err
			}
			assignee = "user:" + string(me.ID)
		}
		u.AssignedTo = &assignee
	}
	after, err := c.UpdateIssue(ctx, ref.Org, ref.Issue, u)
	if err != nil {
		return "", err
	}

	id := orDefault(after.ShortID, orDefault(before.ShortID, ref.Issue))
	var b strings.Builder
	fmt.Fprintf(&b, "# Updated %s in **%s**\n\n", id, ref.Org)
	fmt.Fprintf(&b, "- **Issue**: %s\n", oneLine(orDefault(after.Title, before.Title)))
	if link := orDefault(after.Permalink, before.Permalink); link != "" {
		fmt.Fprintf(&b, "- **Link**: %s\n", link)
	}
	b.WriteString("\n## Changes\n\n")
	if in.Status != "" {
		b.WriteString(changeLine("Status", issueStatusText(before), issueStatusText(after)))
	}
	if in.AssignedTo != "" {
		b.WriteString(changeLine("Assignee", assigneeText(before.AssignedTo), assigneeText(after.AssignedTo)))
	}
	if in.Reason != "" {
		// The update stands even if the note fails: say so rather than
		// report the whole call as failed.
		if _, err := c.AddIssueNote(ctx, ref.Org, ref.Issue, in.Reason); err != nil {
			fmt.Fprintf(&b, "- **Reason not posted** (%v): add it with add_issue_note\n", err)
		} else {
			fmt.Fprintf(&b, "- **Reason posted as a note**: %q\n", shorten(in.Reason, 300))
		}
	}
	fmt.Fprintf(&b, "\nNow: status %s, assigned to %s. get_issue_activity(organizationSlug='%s', issueId='%s') shows the history.\n",
		issueStatusText(after), assigneeText(after.AssignedTo), ref.Org, id)
	return b.String(), nil
}

// ignoreUpdate checks the ignore options and returns how an ignored issue
// stays ignored: a substatus, and for the conditional modes the condition
// Sentry watches (archived_until_condition_met with ignoreDuration,
// ignoreCount/ignoreWindow or ignoreUserCount/ignoreUserWindow).
func (in updateIssueInput) ignoreUpdate() (sentry.IssueUpdate, error) {
	bad := func(p string) (sentry.IssueUpdate, error) {
		return sentry.IssueUpdate{}, &InputError{Tool: updateIssueName, Problem: p}
	}
	duration := in.IgnoreDurationMinutes > 0
	count := in.IgnoreCount > 0 || in.IgnoreWindowMinutes > 0
	users := in.IgnoreUserCount > 0 || in.IgnoreUserWindowMinutes > 0
	conditions := 0
	for _, used := range []bool{duration, count, users} {
		if used {
			conditions++
		}
	}
	if in.Status != "ignored" {
		if in.IgnoreMode != "" || conditions > 0 {
			return bad("ignoreMode and the ignore* options go with status='ignored'")
		}
		return sentry.IssueUpdate{}, nil
	}
	switch {
	case in.IgnoreWindowMinutes > 0 && in.IgnoreCount == 0:
		return bad("ignoreWindowMinutes needs ignoreCount")
	case in.IgnoreUserWindowMinutes > 0 && in.IgnoreUserCount == 0:
		return bad("ignoreUserWindowMinutes needs ignoreUserCount")
	case conditions > 1:
		return bad("choose one ignore condition: a duration, an occurrence count or a user count")
	}
	mode := in.IgnoreMode
	if mode == "" {
		switch {
		case duration:
			mode = "forDuration"
		case count:
			mode = "untilOccurrenceCount"
		case users:
			mode = "untilUserCount"
		default:
			mode = "untilEscalating"
		}
	}
	const met = "archived_until_condition_met"
	switch mode {
	case "untilEscalating", "forever":
		if conditions > 0 {
			return bad(fmt.Sprintf("ignoreMode='%s' takes no duration, occurrence or user-count option", mode))
		}
		if mode == "forever" {
			return sentry.IssueUpdate{Substatus: "archived_forever"}, nil
		}
		return sentry.IssueUpdate{Substatus: "archived_until_escalating"}, nil
	case "forDuration":
		if !duration || conditions > 1 {
			return bad("ignoreMode='forDuration' needs ignoreDurationMinutes (e.g. 60 for an hour) and no other condition")
		}
		return sentry.IssueUpdate{Substatus: met, IgnoreDuration: in.IgnoreDurationMinutes}, nil
	case "untilOccurrenceCount":
		if in.IgnoreCount == 0 || duration || users {
			return bad("ignoreMode='untilOccurrenceCount' needs ignoreCount (and optionally ignoreWindowMinutes) and no other condition")
		}
		return sentry.IssueUpdate{Substatus: met, IgnoreCount: in.IgnoreCount, IgnoreWindow: in.IgnoreWindowMinutes}, nil
	default: // untilUserCount
		if in.IgnoreUserCount == 0 || duration || count {
			return bad("ignoreMode='untilUserCount' needs ignoreUserCount (and optionally ignoreUserWindowMinutes) and no other condition")
		}
		return sentry.IssueUpdate{Substatus: met, IgnoreUserCount: in.IgnoreUserCount, IgnoreUserWindow: in.IgnoreUserWindowMinutes}, nil
	}
}

// issueStatusText is the status as Sentry's UI words it, with the substatus
// or release when there is one.
func issueStatusText(is *sentry.Issue) string {
	s := orDefault(is.Status, "unknown")
	if in, _ := is.StatusDetails["inNextRelease"].(bool); in && s == "resolved" {
		return "resolved in next release"
	}
	if c := ignoreCondition(is.StatusDetails); s == "ignored" && c != "" {
		return "ignored " + c
	}
	if is.Substatus != "" && is.Substatus != "ongoing" {
		s += " (" + strings.ReplaceAll(is.Substatus, "_", " ") + ")"
	}
	return s
}

// ignoreCondition words the condition of a conditional ignore from the
// issue's statusDetails: "for 60 minutes (until ...)", "until 100 more
// events in 60 minutes", "until 20 more users".
func ignoreCondition(d map[string]any) string {
	n := func(k string) int {
		switch v := d[k].(type) {
		case json.Number:
			i, _ := v.Int64()
			return int(i)
		case float64:
			return int(v)
		}
		return 0
	}
	within := func(k string) string {
		if w := n(k); w > 0 {
			return fmt.Sprintf(" within %d minutes", w)
		}
		return ""
	}
	switch {
	case n("ignoreDuration") > 0:
		out := fmt.Sprintf("for %d minutes", n("ignoreDuration"))
		if until, _ := d["ignoreUntil"].(string); until != "" {
			out += " (until " + until + ")"
		}
		return out
	case n("ignoreCount") > 0:
		return fmt.Sprintf("until %d more events%s", n("ignoreCount"), within("ignoreWindow"))
	case n("ignoreUserCount") > 0:
		return fmt.Sprintf("until %d more users%s", n("ignoreUserCount"), within("ignoreUserWindow"))
	}
	return ""
}

func changeLine(what, from, to string) string {
	if from == to {
		return fmt.Sprintf("- **%s**: %s (unchanged)\n", what, to)
	}
	return fmt.Sprintf("- **%s**: %s → **%s**\n", what, from, to)
}
