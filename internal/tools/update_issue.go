package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type updateIssueInput struct {
	issueParams
	Status                  string `json:"status,omitempty" jsonschema:"The new status: resolved, resolvedInNextRelease, unresolved (reopen) or ignored."`
	AssignedTo              string `json:"assignedTo,omitempty" jsonschema:"The new assignee: user:<id> (whoami gives yours), team:<id or slug>, a member's username or email, or me."`
	IgnoreMode              string `json:"ignoreMode,omitempty" jsonschema:"With status ignored: untilEscalating (the default, as in Sentry's UI) or forever. forDuration, untilOccurrenceCount and untilUserCount are not supported by lookout yet."`
	IgnoreDurationMinutes   int    `json:"ignoreDurationMinutes,omitempty" jsonschema:"For ignoreMode forDuration (not supported yet)."`
	IgnoreCount             int    `json:"ignoreCount,omitempty" jsonschema:"For ignoreMode untilOccurrenceCount (not supported yet)."`
	IgnoreWindowMinutes     int    `json:"ignoreWindowMinutes,omitempty" jsonschema:"Window for ignoreCount, in minutes (not supported yet)."`
	IgnoreUserCount         int    `json:"ignoreUserCount,omitempty" jsonschema:"For ignoreMode untilUserCount (not supported yet)."`
	IgnoreUserWindowMinutes int    `json:"ignoreUserWindowMinutes,omitempty" jsonschema:"Window for ignoreUserCount, in minutes (not supported yet)."`
	Reason                  string `json:"reason,omitempty" jsonschema:"Why: posted as a note on the issue after the update, for the team to read."`
}

func updateIssueTool() Tool {
	return newTool(spec{
		Name:  "update_issue",
		Title: "Update an issue",
		Description: `Change an issue's status (resolve, reopen, ignore) or assignee, optionally leaving a note saying why.

Use it only when the user asks to change the issue. Name the issue with issueUrl, or organizationSlug and
issueId; give status, assignedTo or both.

Examples:
- update_issue(organizationSlug='acme', issueId='WEB-1A', status='resolved', reason='Fixed in web@1.2.4')
- update_issue(issueUrl='https://acme.sentry.io/issues/WEB-1A/', assignedTo='team:frontend')
- update_issue(organizationSlug='acme', issueId='API-1A', status='ignored', ignoreMode='forever')`,
		Permission:  Triage,
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
	substatus, err := in.ignoreSubstatus()
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
	u := sentry.IssueUpdate{Status: in.Status, Substatus: substatus}
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

// ignoreSubstatus checks the ignore options and returns the substatus that
// says how an ignored issue stays ignored. Sentry's condition-based modes
// (for a duration, until N events or users) need fields the client cannot
// send yet; they are refused before anything changes rather than silently
// turned into a different ignore.
func (in updateIssueInput) ignoreSubstatus() (string, error) {
	bad := func(p string) (string, error) { return "", &InputError{Tool: updateIssueName, Problem: p} }
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
		return "", nil
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
	switch mode {
	case "untilEscalating", "forever":
		if conditions > 0 {
			return bad(fmt.Sprintf("ignoreMode='%s' takes no duration, occurrence or user-count option", mode))
		}
		if mode == "forever" {
			return "archived_forever", nil
		}
		return "archived_until_escalating", nil
	}
	return bad(fmt.Sprintf("ignoreMode='%s' (ignore for a while, or until N events or users) is not supported by lookout yet: "+
		"use ignoreMode='untilEscalating' or 'forever', or set the condition in Sentry's issue page", mode))
}

// issueStatusText is the status as Sentry's UI words it, with the substatus
// or release when there is one.
func issueStatusText(is *sentry.Issue) string {
	s := orDefault(is.Status, "unknown")
	if in, _ := is.StatusDetails["inNextRelease"].(bool); in && s == "resolved" {
		return "resolved in next release"
	}
	if is.Substatus != "" && is.Substatus != "ongoing" {
		s += " (" + strings.ReplaceAll(is.Substatus, "_", " ") + ")"
	}
	return s
}

func changeLine(what, from, to string) string {
	if from == to {
		return fmt.Sprintf("- **%s**: %s (unchanged)\n", what, to)
	}
	return fmt.Sprintf("- **%s**: %s → **%s**\n", what, from, to)
}
