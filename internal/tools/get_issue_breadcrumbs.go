package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getIssueBreadcrumbsInput struct {
	issueParams
	EventID string `json:"eventId,omitempty" jsonschema:"Event id (32 hex) or latest (default); an event URL as issueUrl selects its event."`
}

const getIssueBreadcrumbsName = "get_issue_breadcrumbs"

// maxBreadcrumbs bounds the trail shown: the newest ones, nearest the error.
const maxBreadcrumbs = 100

// eventIDOrLatest is the pattern of eventId parameters that default to
// the latest event.
const eventIDOrLatest = `^(latest|[0-9a-fA-F]{32})$`

func getIssueBreadcrumbsTool() Tool {
	return newTool(spec{
		Name:  getIssueBreadcrumbsName,
		Title: "Get an event's breadcrumbs",
		Description: `Show what happened before an event's error, oldest first: navigation, clicks, HTTP calls, console and log lines, queries.
Example: get_issue_breadcrumbs(organizationSlug='acme', issueId='WEB-1A')`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			setDefault(s, "eventId", `"latest"`)
			s.Properties["eventId"].Pattern = eventIDOrLatest
		},
	}, getIssueBreadcrumbs)
}

func getIssueBreadcrumbs(ctx context.Context, env *Env, in getIssueBreadcrumbsInput) (string, error) {
	ref, err := in.resolve(getIssueBreadcrumbsName, env)
	if err != nil {
		return "", err
	}
	event, err := chooseIssueEvent(getIssueBreadcrumbsName, ref, in.EventID)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, getIssueBreadcrumbsName, ref, nil); err != nil {
		return "", err
	}
	ev, err := env.Sentry.GetIssueEvent(ctx, ref.Org, ref.Issue, event)
	if err != nil {
		return "", err
	}
	crumbs, err := ev.Breadcrumbs()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Breadcrumbs of issue %s in **%s**\n\n", ref.Issue, ref.Org)
	fmt.Fprintf(&b, "Event %s, occurred %s.\n\n", ev.EventID, stampUTC(ev.DateCreated))
	if len(crumbs) == 0 {
		b.WriteString("This event has no breadcrumbs (the SDK recorded none, or they were not sent).\n")
		return b.String(), nil
	}
	if skipped := len(crumbs) - maxBreadcrumbs; skipped > 0 {
		fmt.Fprintf(&b, "_%d older breadcrumbs not shown; these are the newest %d._\n\n", skipped, maxBreadcrumbs)
		crumbs = crumbs[skipped:]
	} else {
		fmt.Fprintf(&b, "%d breadcrumbs, oldest first; the last one is nearest the error.\n\n", len(crumbs))
	}
	b.WriteString("| time (UTC) | level | category | message | data |\n| --- | --- | --- | --- | --- |\n")
	for _, c := range crumbs {
		at := "-"
		if !c.Timestamp.IsZero() {
			at = c.Timestamp.UTC().Format("2006-01-02 15:04:05.000")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", at, cell(orDefault(c.Level, "info")),
			cell(orDefault(c.Category, orDefault(c.Type, "-"))), cell(shorten(oneLine(c.Message), 200)), cell(breadcrumbData(c)))
	}
	return b.String(), nil
}

// chooseIssueEvent picks the event a tool reads: eventId, else the event an
// event URL named, else the latest.
func chooseIssueEvent(tool string, ref issueRef, eventID string) (string, error) {
	if eventID == "" || eventID == sentry.EventLatest {
		return orDefault(ref.Event, sentry.EventLatest), nil
	}
	if ref.Event != "" && !strings.EqualFold(ref.Event, eventID) {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf("issueUrl names event %s but eventId says %s; give only one", ref.Event, eventID)}
	}
	return strings.ToLower(eventID), nil
}

// breadcrumbData is a breadcrumb's data as compact JSON.
func breadcrumbData(c sentry.Breadcrumb) string {
	if len(c.Data) == 0 {
		return ""
	}
	j, err := json.Marshal(c.Data)
	if err != nil {
		return ""
	}
	return shorten(string(j), 200)
}
