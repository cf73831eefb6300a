package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// What find_alert_rules and get_alert_rule share: listing each rule
// family, and rendering a rule's conditions and actions, whose shapes vary
// with their type, as "Type (key: value, ...)".

// alertRuleKinds are the rule families.
var alertRuleKinds = []string{"all", "issue", "metric"}

// issueAlertRules lists a project's issue alert rules (workflows attached
// to a detector; drafts are skipped), reading pages until limit are found.
func issueAlertRules(ctx context.Context, env *Env, org, project, name, cursor string, limit int) ([]sentry.Workflow, string, error) {
	query := ""
	if name != "" {
		query = `name:"*` + strings.ReplaceAll(name, `"`, "") + `*"`
	}
	var out []sentry.Workflow
	for range 5 {
		ws, page, err := env.Sentry.ListWorkflows(ctx, org, sentry.WorkflowQuery{Project: project, Query: query, Limit: min(limit-len(out), 100), Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		for _, w := range ws {
			if len(w.DetectorIDs) > 0 && len(out) < limit {
				out = append(out, w)
			}
		}
		cursor = page.NextCursor
		if !page.HasNext() || len(out) >= limit {
			break
		}
	}
	return out, cursor, nil
}

// metricAlertRules lists metric alert rules, of one project when project
// is set.
func metricAlertRules(ctx context.Context, env *Env, org, project, name, cursor string, limit int) ([]sentry.MetricAlertRule, string, error) {
	mq := sentry.MetricRuleQuery{Name: name, Limit: limit, Cursor: cursor}
	if project != "" {
		id, err := projectIDOf(ctx, env, org, project)
		if err != nil {
			return nil, "", err
		}
		mq.ProjectID = id
	}
	rules, page, err := env.Sentry.ListMetricAlertRules(ctx, org, mq)
	if err != nil {
		return nil, "", err
	}
	return rules, page.NextCursor, nil
}

// alertProject reads the projectSlug argument: "all" (any case) and empty
// mean every project.
func alertProject(p *string) string {
	v := optString(p)
	if strings.EqualFold(v, "all") {
		return ""
	}
	return v
}

func issueRuleURL(env *Env, org string, id sentry.FlexString) string {
	return orgWebURL(env, org, "monitors", "alerts", string(id))
}

func metricRuleURL(env *Env, org string, id sentry.FlexString) string {
	return orgWebURL(env, org, "alerts", "rules", "details", string(id))
}

func frequencyText(w sentry.Workflow) string {
	if f := w.FrequencyMinutes(); f >= 0 {
		return fmt.Sprintf("%d min", f)
	}
	return "-"
}

// issueRuleMarkdown renders an issue alert rule with its components.
func issueRuleMarkdown(env *Env, org, project string, w sentry.Workflow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", orDefault(oneLine(w.Name), "(unnamed)"))
	fmt.Fprintf(&b, "- Kind: issue alert · Id: %s · Project: %s · Status: %s\n", w.ID, project, orDefault(w.StatusText(), "unknown"))
	fmt.Fprintf(&b, "- Fires at most every %s · Environment: %s · Owner: %s\n", frequencyText(w), orDefault(w.Environment, "all"), orDefault(string(w.Owner), "none"))
	if w.ActionMatch != "" || w.FilterMatch != "" {
		fmt.Fprintf(&b, "- Action match: %s · Filter match: %s\n", orDefault(w.ActionMatch, "-"), orDefault(w.FilterMatch, "-"))
	}
	fmt.Fprintf(&b, "- Created: %s · Updated: %s · Last triggered: %s\n", stampUTC(w.DateCreated), stampUTC(w.DateUpdated), orDefault(timeText(w.LastTriggered), "never"))
	fmt.Fprintf(&b, "- Link: %s\n", issueRuleURL(env, org, w.ID))
	b.WriteString(componentSection("Conditions", w.Conditions))
	b.WriteString(componentSection("Filters", w.Filters))
	b.WriteString(componentSection("Actions", w.Actions))
	if len(w.Triggers) > 0 {
		b.WriteString(componentSection("Triggers", []sentry.AlertComponent{w.Triggers}))
	}
	b.WriteString(componentSection("Action filters", w.ActionFilters))
	return b.String()
}

// metricRuleMarkdown renders a metric alert rule with its triggers.
func metricRuleMarkdown(env *Env, org string, r sentry.MetricAlertRule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", orDefault(oneLine(r.Name), "(unnamed)"))
	fmt.Fprintf(&b, "- Kind: metric alert · Id: %s · Status: %s\n", r.ID, metricStatus(r.Status))
	fmt.Fprintf(&b, "- Measures `%s` on %s over %d min", r.Aggregate, orDefault(r.Dataset, "events"), r.TimeWindow)
	if r.Query != "" {
		fmt.Fprintf(&b, " where `%s`", r.Query)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- Projects: %s · Environment: %s · Owner: %s\n", orDefault(strings.Join(r.Projects, ", "), "all"), orDefault(r.Environment, "all"), orDefault(string(r.Owner), "none"))
	fmt.Fprintf(&b, "- Created: %s · Link: %s\n", stampUTC(r.DateCreated), metricRuleURL(env, org, r.ID))
	b.WriteString(componentSection("Triggers", r.Triggers))
	return b.String()
}

func metricStatus(s sentry.FlexString) string {
	switch s {
	case "0":
		return "active"
	case "1":
		return "disabled"
	case "":
		return "unknown"
	}
	return string(s)
}

// Bounds of one component section.
const componentsShown = 5

// componentSection lists a rule's components: for groups (triggers and
// action filters) their logic, threshold, conditions and actions.
func componentSection(title string, cs []sentry.AlertComponent) string {
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %s\n\n", title)
	for i, c := range cs {
		if i == componentsShown {
			fmt.Fprintf(&b, "- …and %d more\n", len(cs)-i)
			break
		}
		_, group := c["conditions"]
		_, hasActions := c["actions"]
		if !group && !hasActions {
			fmt.Fprintf(&b, "- %s\n", componentText(c))
			continue
		}
		var head []string
		if l, ok := c["logicType"].(string); ok && l != "" {
			head = append(head, "match "+l)
		}
		if t := thresholdText(c); t != "" {
			head = append(head, t)
		}
		fmt.Fprintf(&b, "- %s\n", orDefault(strings.Join(head, " · "), "group"))
		for _, key := range []string{"conditions", "actions"} {
			list := componentList(c[key])
			if len(list) == 0 {
				continue
			}
			var parts []string
			for j, x := range list {
				if j == componentsShown {
					parts = append(parts, fmt.Sprintf("…and %d more", len(list)-j))
					break
				}
				parts = append(parts, componentText(x))
			}
			fmt.Fprintf(&b, "  - %s: %s\n", strings.ToUpper(key[:1])+key[1:], strings.Join(parts, "; "))
		}
	}
	return b.String()
}

func componentList(v any) []sentry.AlertComponent {
	raw, _ := v.([]any)
	var out []sentry.AlertComponent
	for _, x := range raw {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func thresholdText(c sentry.AlertComponent) string {
	th := scalarText(c["alertThreshold"])
	if th == "" {
		return ""
	}
	label := "threshold"
	if l := scalarText(c["label"]); l != "" {
		label = l + " threshold"
	}
	out := label + " " + th
	if r := scalarText(c["resolveThreshold"]); r != "" {
		out += ", resolves at " + r
	}
	return out
}

var camelRe = lazyRegexp(`([a-z0-9])([A-Z])`)

// humanize turns event_frequency_count or targetIdentifier into words.
func humanize(s string) string {
	switch s {
	case "conditionResult":
		return "result"
	case "targetIdentifier":
		return "target"
	case "alertThreshold":
		return "threshold"
	}
	s = camelRe().ReplaceAllString(s, "$1 $2")
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == ' ' }), " "))
}

// componentText renders one condition or action: "Slack (target type:
// specific, target: #alerts)". Ids and nested lists are left out.
func componentText(c sentry.AlertComponent) string {
	label := "component"
	if t, ok := c["type"].(string); ok && t != "" {
		label = humanize(t)
	} else if l := scalarText(c["label"]); l != "" {
		label = l
	}
	label = strings.ToUpper(label[:1]) + label[1:]
	var details []string
	add := func(k string, v any) {
		switch k {
		case "id", "type", "conditions", "actions", "logicType", "label", "organizationId", "integrationId":
			return
		}
		if k == "targetDisplay" {
			if s, _ := v.(string); strings.EqualFold(s, "unknown") {
				return
			}
		}
		if t := detailText(v); t != "" {
			details = append(details, humanize(k)+": "+t)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c)) {
		if k == "config" || k == "data" {
			if m, ok := c[k].(map[string]any); ok {
				for _, ck := range slices.Sorted(maps.Keys(m)) {
					add(ck, m[ck])
				}
				continue
			}
		}
		add(k, c[k])
	}
	if len(details) == 0 {
		return label
	}
	return shorten(label+" ("+strings.Join(details, ", ")+")", 300)
}

// detailText renders a component value: scalars as text, lists joined,
// objects as key: value pairs.
func detailText(v any) string {
	switch x := v.(type) {
	case []any:
		var parts []string
		for _, e := range x {
			if t := detailText(e); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if k == "id" {
				continue
			}
			if t := detailText(x[k]); t != "" {
				parts = append(parts, humanize(k)+": "+t)
			}
		}
		return strings.Join(parts, ", ")
	}
	return scalarText(v)
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case float64, bool, int:
		return fmt.Sprint(x)
	}
	return ""
}
