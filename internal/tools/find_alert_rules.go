package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findAlertRulesInput struct {
	orgParam
	regionParam
	Kind        string  `json:"kind,omitempty" jsonschema:"Which rules: issue (alerts on new or frequent issues; need projectSlug), metric (alerts on a metric crossing a threshold), or all (the default)."`
	ProjectSlug *string `json:"projectSlug,omitempty" jsonschema:"Only rules of this project. Issue alert rules are listed only with a project. Omit, or pass 'all', for every project."`
	Query       *string `json:"query,omitempty" jsonschema:"Only rules whose name contains this text."`
	Cursor      *string `json:"cursor,omitempty" jsonschema:"The cursor a previous answer gave for one family; use it with kind='issue' or kind='metric'."`
	Limit       int     `json:"limit,omitempty" jsonschema:"How many rules of each family to show, 1 to 100."`
}

const findAlertRulesName = "find_alert_rules"

func findAlertRulesTool() Tool {
	return newTool(spec{
		Name:  findAlertRulesName,
		Title: "Find alert rules",
		Description: `List alert rules: issue alert rules of a project (what fires on new or frequent issues, and who is notified) and metric alert rules (thresholds on error counts, latency, crash rate...).

Use it to find a rule's id before get_alert_rule, or to answer "what alerts do we have on checkout?".
Examples: find_alert_rules(organizationSlug='acme'); find_alert_rules(organizationSlug='acme', projectSlug='checkout');
find_alert_rules(organizationSlug='acme', kind='issue', projectSlug='web', query='new').`,
		Scopes: []string{"org:read", "project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "projectSlug", "query", "cursor")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			setEnum(s, "kind", alertRuleKinds...)
			setDefault(s, "kind", `"all"`)
			setDefault(s, "limit", "10")
			intRange(s, "limit", 0, 100, true)
		},
	}, findAlertRules)
}

func findAlertRules(ctx context.Context, env *Env, in findAlertRulesInput) (string, error) {
	org, kind, project := in.OrganizationSlug, orDefault(in.Kind, "all"), alertProject(in.ProjectSlug)
	q, cursor := optString(in.Query), optString(in.Cursor)
	if kind == "issue" && project == "" {
		return "", &InputError{Tool: findAlertRulesName, Problem: "issue alert rules belong to a project: give projectSlug (find_projects lists them)"}
	}
	withIssue, withMetric := kind != "metric" && project != "", kind != "issue"
	if cursor != "" && withIssue && withMetric {
		return "", &InputError{Tool: findAlertRulesName, Problem: "a cursor pages one family: call again with kind='issue' or kind='metric' and the cursor that family gave"}
	}
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	var (
		issue        []sentry.Workflow
		metric       []sentry.MetricAlertRule
		nextI, nextM string
		err          error
	)
	if withIssue {
		if issue, nextI, err = issueAlertRules(ctx, env, org, project, q, cursor, in.Limit); err != nil {
			return "", err
		}
	}
	if withMetric {
		if metric, nextM, err = metricAlertRules(ctx, env, org, project, q, cursor, in.Limit); err != nil {
			return "", err
		}
	}

	scope := "**" + org + "**"
	if project != "" {
		scope = fmt.Sprintf("**%s/%s**", org, project)
	}
	if q != "" {
		scope += fmt.Sprintf(" named like %q", q)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Alert rules in %s\n", scope)
	if withIssue {
		fmt.Fprintf(&b, "\n## Issue alert rules (%d)\n\n", len(issue))
		if len(issue) == 0 {
			b.WriteString("None.\n")
		} else {
			b.WriteString("| id | name | status | fires at most every | environment | owner | last triggered |\n| --- | --- | --- | --- | --- | --- | --- |\n")
			for _, w := range issue {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", w.ID, cell(w.Name), orDefault(w.StatusText(), "-"), frequencyText(w),
					cell(orDefault(w.Environment, "all")), cell(orDefault(string(w.Owner), "-")), orDefault(timeText(w.LastTriggered), "never"))
			}
		}
		if nextI != "" {
			fmt.Fprintf(&b, "\nMore issue alert rules: call again with kind='issue', cursor='%s'.\n", nextI)
		}
	} else if kind == "all" {
		b.WriteString("\nIssue alert rules are listed per project: add projectSlug to see them.\n")
	}
	if withMetric {
		fmt.Fprintf(&b, "\n## Metric alert rules (%d)\n\n", len(metric))
		if len(metric) == 0 {
			b.WriteString("None.\n")
		} else {
			b.WriteString("| id | name | status | measures | window | projects | environment | owner |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
			for _, r := range metric {
				measure := "`" + r.Aggregate + "`"
				if r.Query != "" {
					measure += " where `" + r.Query + "`"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %d min | %s | %s | %s |\n", r.ID, cell(r.Name), metricStatus(r.Status), cell(measure), r.TimeWindow,
					cell(orDefault(strings.Join(r.Projects, ", "), "all")), cell(orDefault(r.Environment, "all")), cell(orDefault(string(r.Owner), "-")))
			}
		}
		if nextM != "" {
			fmt.Fprintf(&b, "\nMore metric alert rules: call again with kind='metric', cursor='%s'.\n", nextM)
		}
	}
	fmt.Fprintf(&b, "\nA rule's conditions and actions: get_alert_rule(organizationSlug='%s', kind='issue' or 'metric', ruleIdOrName='<id>'", org)
	if project != "" {
		fmt.Fprintf(&b, ", projectSlug='%s'", project)
	}
	b.WriteString(").\n")
	return b.String(), nil
}
