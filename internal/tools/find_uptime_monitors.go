package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findUptimeMonitorsInput struct {
	orgParam
	regionParam
	ProjectSlug string `json:"projectSlug,omitempty" jsonschema:"Only monitors of this project. Omit, or pass exactly 'all', for every project."`
	Environment string `json:"environment,omitempty" jsonschema:"Only monitors of this environment, e.g. production."`
	Owner       string `json:"owner,omitempty" jsonschema:"Only monitors owned by user:<id> or team:<id>."`
	Query       string `json:"query,omitempty" jsonschema:"Only monitors whose name or URL contains this text."`
	Limit       int    `json:"limit,omitempty" jsonschema:"How many monitors to show, 1 to 99."`
}

func findUptimeMonitorsTool() Tool {
	return newTool(spec{
		Name:  "find_uptime_monitors",
		Title: "Find uptime monitors",
		Description: `List an organization's uptime monitors: the URLs Sentry checks, how often, and whether they are up or failing.

Use it when asked whether a site or endpoint is down, which uptime checks fail, or to find a monitor's id.
Examples: find_uptime_monitors(organizationSlug='acme') or find_uptime_monitors(organizationSlug='acme', projectSlug='api', query='status').`,
		Scopes: []string{"org:read", "project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			one := 1
			for _, n := range []string{"environment", "owner", "query"} {
				s.Properties[n].MinLength = &one
			}
			s.Properties["owner"].Pattern = ownerPattern
			setDefault(s, "limit", "10")
			zero, most := 0.0, 99.0
			s.Properties["limit"].ExclusiveMinimum, s.Properties["limit"].Maximum = &zero, &most
		},
	}, func(ctx context.Context, env *Env, in findUptimeMonitorsInput) (string, error) {
		org := in.OrganizationSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		project := strings.TrimSpace(in.ProjectSlug)
		if project == "all" {
			project = ""
		}
		uq := sentry.UptimeQuery{Environment: strings.TrimSpace(in.Environment), Owner: strings.TrimSpace(in.Owner),
			Query: strings.TrimSpace(in.Query), Limit: in.Limit + 1}
		if project != "" {
			// By id, as Sentry's organization endpoints filter; an unknown
			// project is a clear 404 here rather than an empty list.
			p, err := env.Sentry.GetProject(ctx, org, project)
			if err != nil {
				return "", err
			}
			uq.Projects = []string{string(p.ID)}
		}
		monitors, _, err := env.Sentry.ListUptimeMonitors(ctx, org, uq)
		if err != nil {
			return "", err
		}
		more := len(monitors) > in.Limit
		monitors = monitors[:min(len(monitors), in.Limit)]

		var filters []string
		for _, f := range [][2]string{{"project", project}, {"environment", uq.Environment}, {"owner", uq.Owner}, {"query", uq.Query}} {
			if f[1] != "" {
				filters = append(filters, fmt.Sprintf("%s %q", f[0], f[1]))
			}
		}
		if len(monitors) == 0 {
			if len(filters) > 0 {
				return fmt.Sprintf("No uptime monitor in **%s** matches %s.", org, strings.Join(filters, ", ")), nil
			}
			return fmt.Sprintf("Organization **%s** has no uptime monitors. create_uptime_monitor adds one.", org), nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Uptime monitors in **%s**\n\n", org)
		if len(filters) > 0 {
			fmt.Fprintf(&b, "Filtered by %s.\n\n", strings.Join(filters, ", "))
		}
		b.WriteString("| name | id | project | now | status | checks | every | environment |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, m := range monitors {
			now := uptimeStatusText(m.UptimeStatus)
			if now == "failing" {
				now = "**failing**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s %s | %s | %s |\n", cell(m.Name), m.ID, cell(m.ProjectSlug), now,
				cell(m.Status), cell(orDefault(m.Method, "GET")), cell(m.URL), seconds(m.IntervalSeconds), cell(orDefault(m.Environment, "–")))
		}
		if more {
			fmt.Fprintf(&b, "\n_Showing %d monitors; more exist. Raise `limit` (up to 99) or filter by projectSlug, environment, owner or query._\n", len(monitors))
		}
		b.WriteString("\nget_uptime_monitor_details(organizationSlug, projectSlug, uptimeMonitorId) shows a monitor's recent checks.\n")
		return b.String(), nil
	})
}
