package tools

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getUptimeMonitorDetailsInput struct {
	projectParams
	UptimeMonitorID string `json:"uptimeMonitorId" jsonschema:"The monitor's id (find_uptime_monitors lists them)."`
	Period          string `json:"period,omitempty" jsonschema:"How far back to show checks, e.g. 24h, 7d, 2w. Default 24h. Not with start and end."`
	Start           string `json:"start,omitempty" jsonschema:"Start of the check window (ISO 8601 UTC, e.g. 2025-01-31T00:00:00Z), with end."`
	End             string `json:"end,omitempty" jsonschema:"End of the check window (ISO 8601 UTC), with start."`
	CheckLimit      int    `json:"checkLimit,omitempty" jsonschema:"How many recent checks to show, 1 to 50."`
}

// isoUTC is an ISO 8601 UTC timestamp, as the reference server accepts.
const isoUTC = `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`

func getUptimeMonitorDetailsTool() Tool {
	return newTool(spec{
		Name:  "get_uptime_monitor_details",
		Title: "Get an uptime monitor's details",
		Description: `Show one uptime monitor: what it checks and how, and its recent checks with status, HTTP code and duration.

Use it to see why a URL is reported down or slow. Header values that look like credentials, and the request body, are never shown.
Example: get_uptime_monitor_details(organizationSlug='acme', projectSlug='api', uptimeMonitorId='4506000000003002', period='7d')`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			one := 1
			s.Properties["uptimeMonitorId"].MinLength = &one
			s.Properties["uptimeMonitorId"].Pattern = `^[A-Za-z0-9_-]+$`
			s.Properties["period"].Pattern = `^\d+[hdw]$`
			for _, n := range []string{"start", "end"} {
				s.Properties[n].Format, s.Properties[n].Pattern = "date-time", isoUTC
			}
			setDefault(s, "checkLimit", "10")
			zero, most := 0.0, 50.0
			s.Properties["checkLimit"].ExclusiveMinimum, s.Properties["checkLimit"].Maximum = &zero, &most
		},
	}, func(ctx context.Context, env *Env, in getUptimeMonitorDetailsInput) (string, error) {
		const tool = "get_uptime_monitor_details"
		if (in.Start == "") != (in.End == "") {
			return "", &InputError{Tool: tool, Problem: "give start and end together"}
		}
		if in.Start != "" && in.Period != "" {
			return "", &InputError{Tool: tool, Problem: "give period, or start and end, not both"}
		}
		if in.Start != "" && in.Start >= in.End {
			return "", &InputError{Tool: tool, Problem: "start must be before end"}
		}
		window := in.Period
		if in.Start == "" && window == "" {
			window = "24h"
		}
		org, project := in.OrganizationSlug, in.ProjectSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		m, err := env.Sentry.GetUptimeMonitor(ctx, org, project, in.UptimeMonitorID)
		if err != nil {
			return "", err
		}
		checks, page, err := env.Sentry.ListUptimeChecks(ctx, org, project, in.UptimeMonitorID,
			sentry.UptimeChecksQuery{StatsPeriod: window, Start: in.Start, End: in.End, Limit: in.CheckLimit})
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Uptime monitor **%s** in **%s**\n\n", oneLine(m.Name), org)
		writeUptimeMonitor(&b, env, org, m)
		span := "the last " + window
		if in.Start != "" {
			span = in.Start + " to " + in.End
		}
		if len(checks) == 0 {
			fmt.Fprintf(&b, "\nNo checks in %s.\n", span)
			return b.String(), nil
		}
		fmt.Fprintf(&b, "\n## Latest %d checks (%s)\n\n", len(checks), span)
		b.WriteString("| time | result | HTTP | duration | region |\n| --- | --- | --- | --- | --- |\n")
		failed, reasons := 0, map[string]int{}
		for _, c := range checks {
			result := orDefault(c.CheckStatus, "unknown")
			if c.CheckStatus != "success" {
				failed++
				result = "**" + result + "**"
				if c.CheckStatusReason != "" {
					reasons[c.CheckStatusReason]++
					result += " (" + c.CheckStatusReason + ")"
				}
			}
			code := "–"
			if c.HTTPStatusCode != 0 {
				code = fmt.Sprint(c.HTTPStatusCode)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %d ms | %s |\n", stampUTC(c.Timestamp), cell(result), code, c.DurationMs, cell(orDefault(c.RegionName, c.Region)))
		}
		if failed > 0 {
			var rs []string
			for _, r := range slices.Sorted(maps.Keys(reasons)) {
				rs = append(rs, fmt.Sprintf("%s ×%d", r, reasons[r]))
			}
			fmt.Fprintf(&b, "\n%d of these %d checks failed", failed, len(checks))
			if len(rs) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(rs, ", "))
			}
			b.WriteString(".\n")
		}
		if page.HasNext() {
			b.WriteString("\n_Older checks exist: raise `checkLimit` (up to 50) or narrow the window._\n")
		}
		return b.String(), nil
	})
}
