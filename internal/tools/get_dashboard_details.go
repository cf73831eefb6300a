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

type getDashboardDetailsInput struct {
	orgParam
	regionParam
	DashboardIDOrTitle string `json:"dashboardIdOrTitle" jsonschema:"The dashboard's numeric id, or its exact title (case-insensitive)."`
}

const getDashboardDetailsName = "get_dashboard_details"

// Bounds of one dashboard's answer.
const (
	dashboardWidgetsShown = 30
	dashboardQueriesShown = 3
)

func getDashboardDetailsTool() Tool {
	return newTool(spec{
		Name:  getDashboardDetailsName,
		Title: "Get dashboard details",
		Description: `Show one dashboard's widgets and their saved queries (fields, aggregates, group-by, conditions, sort), its filters, projects, environments and period. It shows query definitions, not the charts' data.

Use it to explain what a dashboard measures, or to rerun a widget's query with search_events.
Examples: get_dashboard_details(organizationSlug='acme', dashboardIdOrTitle='101') or get_dashboard_details(organizationSlug='acme', dashboardIdOrTitle='Errors Overview').`,
		Scopes: []string{"org:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug")
			minLength(s, "dashboardIdOrTitle")
		},
	}, getDashboardDetails)
}

func getDashboardDetails(ctx context.Context, env *Env, in getDashboardDetailsInput) (string, error) {
	org, ref := in.OrganizationSlug, strings.TrimSpace(in.DashboardIDOrTitle)
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	if ref == "" {
		return "", &InputError{Tool: getDashboardDetailsName, Problem: "dashboardIdOrTitle is empty"}
	}
	projectID := ""
	if env.Project != "" {
		var err error
		if projectID, err = projectIDOf(ctx, env, org, env.Project); err != nil {
			return "", err
		}
	}
	id := ref
	if !digitsRe().MatchString(ref) {
		var err error
		if id, err = dashboardByTitle(ctx, env, org, ref, projectID); err != nil {
			return "", err
		}
	}
	d, err := env.Sentry.GetDashboard(ctx, org, id)
	if err != nil {
		return "", err
	}
	if projectID != "" && !dashboardVisible(d.Projects, projectID) {
		return "", &InputError{Tool: getDashboardDetailsName, Problem: fmt.Sprintf("this connection is pinned to project %q; dashboard %s shows other projects", env.Project, id)}
	}
	return dashboardMarkdown(env, org, d), nil
}

// dashboardByTitle finds the one dashboard titled title (case-insensitive).
func dashboardByTitle(ctx context.Context, env *Env, org, title, projectID string) (string, error) {
	ds, _, err := collectPages(100, 3, func(cursor string) ([]sentry.DashboardSummary, sentry.Page, error) {
		return env.Sentry.ListDashboards(ctx, org, sentry.DashboardListQuery{Query: title, Sort: "title", Limit: 100, Cursor: cursor})
	}, func(d sentry.DashboardSummary) bool {
		return strings.EqualFold(strings.TrimSpace(d.Title), title) && (projectID == "" || dashboardVisible(d.Projects, projectID))
	})
	if err != nil {
		return "", err
	}
	switch len(ds) {
	case 0:
		return "", &InputError{Tool: getDashboardDetailsName, Problem: fmt.Sprintf(
			"no dashboard of %s is titled %q; find_dashboards(organizationSlug='%s', titleQuery='...') lists them with their ids", org, shorten(title, 80), org)}
	case 1:
		return string(ds[0].ID), nil
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, string(d.ID))
	}
	return "", &InputError{Tool: getDashboardDetailsName, Problem: fmt.Sprintf("%d dashboards are titled %q (ids %s): pass the id", len(ds), shorten(title, 80), strings.Join(ids, ", "))}
}

func dashboardMarkdown(env *Env, org string, d *sentry.Dashboard) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Dashboard %q (id %s) in **%s**\n\n", d.Title, d.ID, org)
	fmt.Fprintf(&b, "- Link: %s\n", orgWebURL(env, org, "dashboard", string(d.ID)))
	created := stampUTC(d.DateCreated)
	if d.CreatedBy != nil {
		created += " by " + orDefault(d.CreatedBy.Name, d.CreatedBy.Email)
	}
	fmt.Fprintf(&b, "- Created: %s\n", created)
	projects := "all (the viewer's projects)"
	if len(d.Projects) > 0 {
		ids := make([]string, len(d.Projects))
		for i, p := range d.Projects {
			ids[i] = string(p)
		}
		projects = "ids " + strings.Join(ids, ", ")
	}
	fmt.Fprintf(&b, "- Projects: %s · Environments: %s\n", projects, orDefault(strings.Join(d.Environment, ", "), "all"))
	switch {
	case d.Period != "":
		fmt.Fprintf(&b, "- Period: %s\n", d.Period)
	case !d.Start.IsZero():
		fmt.Fprintf(&b, "- Period: %s to %s\n", stampUTC(d.Start), stampUTC(d.End))
	}
	for _, k := range slices.Sorted(maps.Keys(d.Filters)) {
		if v := filterText(d.Filters[k]); v != "" {
			fmt.Fprintf(&b, "- Filter %s: %s\n", k, v)
		}
	}
	fmt.Fprintf(&b, "\n## Widgets (%d)\n", len(d.Widgets))
	for i, w := range d.Widgets {
		if i == dashboardWidgetsShown {
			fmt.Fprintf(&b, "\n_…and %d more widgets._\n", len(d.Widgets)-i)
			break
		}
		fmt.Fprintf(&b, "\n### %s\n\n- Id %s · %s", orDefault(oneLine(w.Title), "(untitled)"), w.ID, orDefault(w.DisplayType, "chart"))
		if w.WidgetType != "" {
			fmt.Fprintf(&b, " of %s", w.WidgetType)
		}
		if w.Limit > 0 {
			fmt.Fprintf(&b, " · top %d", w.Limit)
		}
		if w.Interval != "" {
			fmt.Fprintf(&b, " · interval %s", w.Interval)
		}
		b.WriteString("\n")
		if w.Description != "" {
			fmt.Fprintf(&b, "- %s\n", shorten(oneLine(w.Description), 200))
		}
		for j, q := range w.Queries {
			if j == dashboardQueriesShown {
				fmt.Fprintf(&b, "- …and %d more queries\n", len(w.Queries)-j)
				break
			}
			label := "Query"
			if q.Name != "" {
				label = "Query " + q.Name
			}
			var parts []string
			for _, p := range [][2]string{
				{"fields", strings.Join(q.Fields, ", ")}, {"aggregates", strings.Join(q.Aggregates, ", ")},
				{"group by", strings.Join(q.Columns, ", ")}, {"conditions", q.Conditions}, {"sort", q.OrderBy},
			} {
				if p[1] != "" {
					parts = append(parts, p[0]+" `"+shorten(oneLine(p[1]), 200)+"`")
				}
			}
			fmt.Fprintf(&b, "- %s: %s\n", label, orDefault(strings.Join(parts, " · "), "(empty)"))
		}
	}
	b.WriteString("\nThis shows query definitions; to see a widget's numbers run its query with search_events.\n")
	return b.String()
}

// filterText renders a dashboard filter value: a list of strings, or
// key/value pairs, or compact JSON.
func filterText(raw json.RawMessage) string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, ", ")
	}
	var pairs []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	if json.Unmarshal(raw, &pairs) == nil && len(pairs) > 0 && pairs[0].Key != "" {
		var out []string
		for _, p := range pairs {
			out = append(out, p.Key+"="+p.Value)
		}
		return strings.Join(out, ", ")
	}
	s := strings.TrimSpace(string(raw))
	if s == "{}" || s == "[]" || s == "null" {
		return ""
	}
	return shorten(s, 200)
}
