package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getAlertRuleInput struct {
	orgParam
	regionParam
	Kind         string  `json:"kind,omitempty" jsonschema:"issue or metric: needed to look a rule up by numeric id (the families number rules separately). all (the default) looks the value up as an exact name in both."`
	ProjectSlug  *string `json:"projectSlug,omitempty" jsonschema:"The rule's project; needed for issue alert rules. Omit, or pass 'all', for metric rules of any project."`
	RuleIDOrName string  `json:"ruleIdOrName" jsonschema:"The rule's numeric id (find_alert_rules lists them) or its exact name."`
}

const getAlertRuleName = "get_alert_rule"

func getAlertRuleTool() Tool {
	return newTool(spec{
		Name:  getAlertRuleName,
		Title: "Get an alert rule",
		Description: `Show one alert rule in full: what triggers it (conditions, thresholds), what filters it, and what it does (Slack, email, tickets...), with owner, environment and when it last fired.

Use it to explain why an alert fired or did not, or who gets notified.
Examples: get_alert_rule(organizationSlug='acme', kind='metric', ruleIdOrName='4101');
get_alert_rule(organizationSlug='acme', kind='issue', projectSlug='checkout', ruleIdOrName='Checkout errors to #payments').`,
		Scopes: []string{"org:read", "project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "projectSlug")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			setEnum(s, "kind", alertRuleKinds...)
			setDefault(s, "kind", `"all"`)
			minLength(s, "ruleIdOrName")
		},
	}, getAlertRule)
}

func getAlertRule(ctx context.Context, env *Env, in getAlertRuleInput) (string, error) {
	org, kind, project, ref := in.OrganizationSlug, orDefault(in.Kind, "all"), alertProject(in.ProjectSlug), strings.TrimSpace(in.RuleIDOrName)
	bad := func(format string, a ...any) (string, error) {
		return "", &InputError{Tool: getAlertRuleName, Problem: fmt.Sprintf(format, a...)}
	}
	if ref == "" {
		return bad("ruleIdOrName is empty")
	}
	if kind == "issue" && project == "" {
		return bad("issue alert rules belong to a project: give projectSlug")
	}
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	scope := org
	if project != "" {
		scope += "/" + project
	}
	head := fmt.Sprintf("# Alert rule in **%s**\n\n", scope)

	var issue []sentry.Workflow
	var metric []sentry.MetricAlertRule
	var byID error // what looking ref up as an id said, if it was one
	if kind != "metric" && project != "" {
		if kind == "issue" && digitsRe().MatchString(ref) {
			ws, _, err := env.Sentry.ListWorkflows(ctx, org, sentry.WorkflowQuery{Project: project, ID: ref, Limit: 1})
			if err != nil {
				return "", err
			}
			for _, w := range ws {
				if len(w.DetectorIDs) > 0 {
					return head + issueRuleMarkdown(env, org, project, w), nil
				}
			}
			byID = notFound("issue alert rule %s in project %s", ref, project)
		}
		ws, _, err := issueAlertRules(ctx, env, org, project, ref, "", 100)
		if err != nil {
			return "", err
		}
		for _, w := range ws {
			if strings.EqualFold(strings.TrimSpace(w.Name), ref) {
				issue = append(issue, w)
			}
		}
	}
	if kind != "issue" {
		if kind == "metric" && digitsRe().MatchString(ref) {
			r, err := env.Sentry.GetMetricAlertRule(ctx, org, ref)
			switch {
			case err == nil:
				if err := metricInProject(r, project); err != nil {
					return "", err
				}
				return head + metricRuleMarkdown(env, org, *r), nil
			case !errors.Is(err, sentry.ErrNotFound):
				return "", err
			}
			byID = err
		}
		rs, _, err := metricAlertRules(ctx, env, org, project, ref, "", 100)
		if err != nil {
			return "", err
		}
		for _, r := range rs {
			if strings.EqualFold(strings.TrimSpace(r.Name), ref) {
				metric = append(metric, r)
			}
		}
	}
	switch n := len(issue) + len(metric); {
	case n == 0 && byID != nil:
		return "", byID
	case n == 0:
		hint := ""
		if kind == "all" && digitsRe().MatchString(ref) {
			hint = " A numeric id needs kind='issue' or kind='metric'."
		}
		if kind != "metric" && project == "" {
			hint += " Issue alert rules are found only with projectSlug."
		}
		return bad("no alert rule %q in %s.%s find_alert_rules lists the rules", shorten(ref, 80), scope, hint)
	case n > 1:
		var found []string
		for _, w := range issue {
			found = append(found, fmt.Sprintf("issue rule %s", w.ID))
		}
		for _, r := range metric {
			found = append(found, fmt.Sprintf("metric rule %s", r.ID))
		}
		return bad("%d alert rules are named %q (%s): call again with kind and the numeric id", n, shorten(ref, 80), strings.Join(found, ", "))
	case len(issue) == 1:
		return head + issueRuleMarkdown(env, org, project, issue[0]), nil
	}
	r, err := env.Sentry.GetMetricAlertRule(ctx, org, string(metric[0].ID))
	if err != nil {
		return "", err
	}
	if err := metricInProject(r, project); err != nil {
		return "", err
	}
	return head + metricRuleMarkdown(env, org, *r), nil
}

// metricInProject refuses a metric rule outside the asked (or pinned)
// project.
func metricInProject(r *sentry.MetricAlertRule, project string) error {
	if project == "" {
		return nil
	}
	for _, p := range r.Projects {
		if strings.EqualFold(p, project) {
			return nil
		}
	}
	return &InputError{Tool: getAlertRuleName, Problem: fmt.Sprintf("metric alert rule %s (%s) is not a rule of project %q", r.ID, r.Name, project)}
}
