package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getMonitorDetailsInput struct {
	orgParam
	regionParam
	ProjectSlugOrID *string `json:"projectSlugOrId,omitempty" jsonschema:"The monitor's project (slug or numeric id). Monitor slugs are unique per project: give it when two projects have a monitor of that slug."`
	MonitorSlug     string  `json:"monitorSlug" jsonschema:"The monitor's slug (find_monitors lists them) or its id."`
	Environment     *string `json:"environment,omitempty" jsonschema:"Only this environment's state, check-ins and stats, e.g. production."`
	Period          *string `json:"period,omitempty" jsonschema:"How far back to look for check-ins and stats: 24h (the default), 7d, 2w..."`
	Start           *string `json:"start,omitempty" jsonschema:"Start of an absolute window (ISO 8601, e.g. 2026-11-24T00:00:00Z); needs end, excludes period."`
	End             *string `json:"end,omitempty" jsonschema:"End of the absolute window; needs start."`
	CheckInLimit    int     `json:"checkInLimit,omitempty" jsonschema:"How many recent check-ins to list, 1 to 50."`
	IncludeStats    bool    `json:"includeStats,omitempty" jsonschema:"Add check-in counts by status over the window. Default true."`
	RollupSeconds   *int    `json:"rollupSeconds,omitempty" jsonschema:"Bucket size of the stats in seconds, e.g. 3600; omit to let Sentry choose."`
}

const getMonitorDetailsName = "get_monitor_details"

// monitorStatsShown bounds the stats buckets listed (the newest).
const monitorStatsShown = 12

func getMonitorDetailsTool() Tool {
	return newTool(spec{
		Name:  getMonitorDetailsName,
		Title: "Get cron monitor details",
		Description: `Show one cron monitor: schedule, status per environment, owner, its recent check-ins (ok, error, missed, timeout, with durations) and check-in counts over a window.

Use it when asked whether a scheduled job ran, why a cron is failing or missed, or how reliable it has been.
Examples: get_monitor_details(organizationSlug='acme', monitorSlug='nightly-import') or
get_monitor_details(organizationSlug='acme', monitorSlug='nightly-import', projectSlugOrId='checkout', environment='production', period='7d').`,
		Scopes: []string{"project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "projectSlugOrId", "environment", "period", "start", "end", "rollupSeconds")
			withSlugPattern(s, "organizationSlug", "projectSlugOrId")
			minLength(s, "monitorSlug")
			s.Properties["monitorSlug"].Pattern = slugPattern
			s.Properties["period"].Pattern = periodPattern
			s.Properties["start"].Format, s.Properties["end"].Format = "date-time", "date-time"
			setDefault(s, "checkInLimit", "10")
			intRange(s, "checkInLimit", 0, 50, true)
			setDefault(s, "includeStats", "true")
			intRange(s, "rollupSeconds", 0, 90*24*3600, true)
		},
	}, getMonitorDetails)
}

// monitorView is what a monitor answer covers.
type monitorView struct {
	Project, Environment string
	Period               string
	Start, End           time.Time
	CheckIns             int
	Stats                bool
	Rollup               time.Duration
}

func getMonitorDetails(ctx context.Context, env *Env, in getMonitorDetailsInput) (string, error) {
	org := in.OrganizationSlug
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	from, to, err := timeWindow(getMonitorDetailsName, optString(in.Period), optString(in.Start), optString(in.End))
	if err != nil {
		return "", err
	}
	v := monitorView{Project: optString(in.ProjectSlugOrID), Environment: optString(in.Environment), Period: optString(in.Period),
		Start: from, End: to, CheckIns: in.CheckInLimit, Stats: in.IncludeStats}
	if in.RollupSeconds != nil {
		v.Rollup = time.Duration(*in.RollupSeconds) * time.Second
	}
	return monitorDetails(ctx, env, org, strings.TrimSpace(in.MonitorSlug), v)
}

// monitorDetails renders a monitor as get_monitor_details and
// get_sentry_resource show it.
func monitorDetails(ctx context.Context, env *Env, org, slug string, v monitorView) (string, error) {
	if v.Period == "" && v.Start.IsZero() {
		v.Period = "24h"
	}
	c := env.Sentry
	m, err := c.GetMonitor(ctx, org, v.Project, slug, v.Environment)
	if err != nil {
		return "", err
	}
	projectSlug := ""
	if m.Project != nil {
		projectSlug = m.Project.Slug
	}
	if env.Project != "" && !strings.EqualFold(projectSlug, env.Project) && (m.Project == nil || string(m.Project.ID) != env.Project) {
		return "", &InputError{Tool: getMonitorDetailsName, Problem: fmt.Sprintf("this connection is pinned to project %q; monitor %s is in %q", env.Project, slug, projectSlug)}
	}
	window := sentry.MonitorWindow{Environment: v.Environment, StatsPeriod: v.Period, Start: v.Start, End: v.End}
	checkIns, err := c.ListMonitorCheckIns(ctx, org, v.Project, m.Slug, window, max(v.CheckIns, 1))
	if err != nil {
		return "", err
	}
	var stats []sentry.MonitorStat
	if v.Stats {
		until, since := time.Now().UTC(), v.Start
		if !v.Start.IsZero() {
			until = v.End
		} else {
			d, _ := periodDuration(v.Period)
			since = until.Add(-d)
		}
		if stats, err = c.GetMonitorStats(ctx, org, v.Project, m.Slug, v.Environment, since, until, v.Rollup); err != nil {
			return "", err
		}
	}

	var b strings.Builder
	status := orDefault(m.Status, "unknown")
	if m.IsMuted {
		status += ", muted"
	}
	fmt.Fprintf(&b, "# Monitor %s (`%s`) in **%s**\n\n", orDefault(m.Name, m.Slug), m.Slug, org)
	fmt.Fprintf(&b, "- Status: %s · Project: %s · Owner: %s · Id: %s\n", status, orDefault(projectSlug, "unknown"), assigneeText(m.Owner), m.ID)
	fmt.Fprintf(&b, "- Schedule: %s\n", scheduleText(m.Config))
	fmt.Fprintf(&b, "- Last check-in: %s · Next expected: %s\n", orDefault(timeText(m.LastCheckIn), "never"), orDefault(timeText(m.NextCheckIn), "unknown"))
	segs := []string{"crons", m.Slug}
	if projectSlug != "" {
		segs = []string{"crons", projectSlug, m.Slug}
	}
	fmt.Fprintf(&b, "- Link: %s\n", orgWebURL(env, org, segs...))
	if len(m.Environments) > 0 {
		b.WriteString("\n## Environments\n\n")
		for _, e := range m.Environments {
			muted := ""
			if e.IsMuted {
				muted = ", muted"
			}
			fmt.Fprintf(&b, "- %s: %s%s · last check-in %s · next %s\n", orDefault(e.Name, "(none)"), orDefault(e.Status, "unknown"), muted,
				orDefault(timeText(e.LastCheckIn), "never"), orDefault(timeText(e.NextCheckIn), "unknown"))
		}
	}
	span := "the last " + v.Period
	if v.Period == "" {
		span = stampUTC(sentry.Time{Time: v.Start}) + " to " + stampUTC(sentry.Time{Time: v.End})
	}
	fmt.Fprintf(&b, "\n## Recent check-ins (%s)\n\n", span)
	if len(checkIns) == 0 {
		b.WriteString("No check-ins in this window.\n")
	}
	for _, ci := range checkIns {
		dur := ""
		if ci.Duration != nil {
			dur = fmt.Sprintf(", %s", durationText(time.Duration(*ci.Duration*float64(time.Second))))
		}
		at := orTime(ci.DateCreated, ci.ExpectedTime)
		fmt.Fprintf(&b, "- %s: **%s**%s, %s\n", stampUTC(at), orDefault(ci.Status, "unknown"), dur, orDefault(ci.Environment, "(no environment)"))
	}
	if v.Stats {
		fmt.Fprintf(&b, "\n## Check-ins by status (%s)\n\n", span)
		b.WriteString(monitorStatsText(stats))
	}
	fmt.Fprintf(&b, "\nIssues from this monitor: search_issues(organizationSlug='%s', query='monitor.slug:%s').\n", org, m.Slug)
	return b.String(), nil
}

// monitorStatsText totals the stats and lists the newest buckets that had
// check-ins.
func monitorStatsText(stats []sentry.MonitorStat) string {
	var tot sentry.MonitorStat
	var busy []sentry.MonitorStat
	for _, s := range stats {
		tot.OK += s.OK
		tot.Error += s.Error
		tot.Missed += s.Missed
		tot.Timeout += s.Timeout
		tot.Unknown += s.Unknown
		if s.OK+s.Error+s.Missed+s.Timeout+s.Unknown > 0 {
			busy = append(busy, s)
		}
	}
	if len(busy) == 0 {
		return "No check-ins in this window.\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Total: %d ok, %d error, %d missed, %d timeout", tot.OK, tot.Error, tot.Missed, tot.Timeout)
	if tot.Unknown > 0 {
		fmt.Fprintf(&b, ", %d unknown", tot.Unknown)
	}
	b.WriteString(".\n\n| bucket start | ok | error | missed | timeout | avg duration |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, s := range busy[max(0, len(busy)-monitorStatsShown):] {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s |\n", time.Unix(int64(s.TS), 0).UTC().Format("2006-01-02 15:04"), s.OK, s.Error, s.Missed, s.Timeout,
			durationText(time.Duration(s.Duration*float64(time.Second))))
	}
	if len(busy) > monitorStatsShown {
		fmt.Fprintf(&b, "\n_Newest %d of %d buckets with check-ins._\n", monitorStatsShown, len(busy))
	}
	return b.String()
}
