package tools

import (
	"context"
	"fmt"
	"strings"
)

type getIssueTagValuesInput struct {
	issueParams
	TagKey string `json:"tagKey" jsonschema:"Tag key: url, browser, os, environment, release, device, user, transaction..."`
}

const getIssueTagValuesName = "get_issue_tag_values"

func getIssueTagValuesTool() Tool {
	return newTool(spec{
		Name:  getIssueTagValuesName,
		Title: "Get an issue's tag values",
		Description: `Break an issue's events down by a tag's top values, with counts and share: which browsers, releases, environments or URLs are hit.
Example: get_issue_tag_values(organizationSlug='acme', issueId='WEB-1A', tagKey='browser')`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			s.Properties["tagKey"].Pattern = `^[a-zA-Z0-9][a-zA-Z0-9._-]*$`
		},
	}, getIssueTagValues)
}

func getIssueTagValues(ctx context.Context, env *Env, in getIssueTagValuesInput) (string, error) {
	ref, err := in.resolve(getIssueTagValuesName, env)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, getIssueTagValuesName, ref, nil); err != nil {
		return "", err
	}
	tv, err := env.Sentry.GetIssueTagValues(ctx, ref.Org, ref.Issue, in.TagKey)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Tag `%s` of issue %s in **%s**\n\n", orDefault(tv.Key, in.TagKey), ref.Issue, ref.Org)
	if tv.Name != "" && tv.Name != tv.Key {
		fmt.Fprintf(&b, "Name: %s\n\n", tv.Name)
	}
	fmt.Fprintf(&b, "Events with this tag: %d\n\n", tv.TotalValues)
	if len(tv.TopValues) == 0 {
		b.WriteString("No values recorded for this tag on this issue. Check the key (tag keys are case-sensitive); get_issue_details lists an event's tags.\n")
		return b.String(), nil
	}
	b.WriteString("| value | events | share | first seen | last seen |\n| --- | ---: | ---: | --- | --- |\n")
	var shown int64
	for _, v := range tv.TopValues {
		shown += int64(v.Count)
		share := "-"
		if tv.TotalValues > 0 {
			share = fmt.Sprintf("%.1f%%", 100*float64(v.Count)/float64(tv.TotalValues))
		}
		value := string(v.Value)
		if value == "" {
			value = "(empty)"
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", cell(shorten(value, 150)), v.Count, share, stampUTC(v.FirstSeen), stampUTC(v.LastSeen))
	}
	if rest := int64(tv.TotalValues) - shown; rest > 0 {
		fmt.Fprintf(&b, "\n_Top %d values shown; %d events have other values._\n", len(tv.TopValues), rest)
	}
	return b.String(), nil
}
