package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findMonitorsInput struct {
	orgParam
	regionParam
	ProjectSlug *string `json:"projectSlug,omitempty" jsonschema:"Only this project's monitors (slug or id); all means every project."`
	Environment *string `json:"environment,omitempty" jsonschema:"Only this environment's state, e.g. production."`
	Owner       *string `json:"owner,omitempty" jsonschema:"user:<id>, team:<id or slug>, me, myteams or unassigned."`
	Query       *string `json:"query,omitempty" jsonschema:"Only monitors whose name or slug contains this."`
	Limit       int     `json:"limit,omitempty" jsonschema:"Monitors to show, 1 to 99."`
}

// monitorEnvsShown bounds the environments listed per monitor.
const monitorEnvsShown = 5

func findMonitorsTool() Tool {
	return newTool(spec{
		Name:  "find_monitors",
		Title: "Find cron monitors",
		Description: `List cron monitors: status, schedule, last and next check-in, state per environment. Did a job run, which crons fail or missed a check-in.
Example: find_monitors(organizationSlug='acme', environment='production')`,
		Scopes: []string{"org:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "projectSlug", "environment", "owner", "query")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			s.Properties["owner"].Pattern = `^(me|myteams|unassigned|(user|team):[A-Za-z0-9_.@+-]+)$`
			setDefault(s, "limit", "10")
			lim := s.Properties["limit"]
			zero, most := 0.0, 99.0
			lim.ExclusiveMinimum, lim.Maximum = &zero, &most
		},
	}, findMonitors)
}

func findMonitors(ctx context.Context, env *Env, in findMonitorsInput) (string, error) {
	org := in.OrganizationSlug
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	project, envName, q := optString(in.ProjectSlug), optString(in.Environment), optString(in.Query)
	if project == "all" {
		project = ""
	}
	ownerOK, err := monitorOwnerFilter(ctx, env, org, optString(in.Owner))
	if err != nil {
		return "", err
	}
	mq := sentry.MonitorQuery{Environment: envName, Query: q, Limit: 100}
	if project != "" {
		mq.Projects = []string{project}
	}
	// Sentry filters by project, environment and query itself; the same
	// filters are applied here too (Sentry versions differ in which they
	// honour), and owner only here: the client has no owner parameter.
	keep := func(m sentry.Monitor) bool {
		switch {
		case project != "" && m.Project != nil && m.Project.Slug != project && string(m.Project.ID) != project:
			return false
		case q != "" && !containsFold(q, m.Name, m.Slug) && string(m.ID) != q:
			return false
		case envName != "" && !slices.ContainsFunc(m.Environments, func(e sentry.MonitorEnvironment) bool { return e.Name == envName }):
			return false
		}
		return ownerOK(m.Owner)
	}
	monitors, more, err := collectPages(in.Limit, 5,
		func(cursor string) ([]sentry.Monitor, sentry.Page, error) {
			mq.Cursor = cursor
			return env.Sentry.ListMonitors(ctx, org, mq)
		}, keep)
	if err != nil {
		return "", err
	}

	var filters []string
	for _, f := range [][2]string{{"project", project}, {"environment", envName}, {"owner", optString(in.Owner)}, {"query", q}} {
		if f[1] != "" {
			filters = append(filters, fmt.Sprintf("%s %q", f[0], f[1]))
		}
	}
	if len(monitors) == 0 {
		if len(filters) > 0 {
			return fmt.Sprintf("No cron monitor in **%s** matches %s.", org, strings.Join(filters, ", ")), nil
		}
		return fmt.Sprintf("Organization **%s** has no cron monitors.", org), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Cron monitors in **%s**\n\n", org)
	if len(filters) > 0 {
		fmt.Fprintf(&b, "Filtered by %s.\n\n", strings.Join(filters, ", "))
	}
	for _, m := range monitors {
		writeMonitor(&b, env, org, m, envName)
	}
	if more {
		fmt.Fprintf(&b, "_Showing %d monitors; more exist. Raise `limit` (up to 99) or filter by projectSlug, environment, owner or query._\n", len(monitors))
	}
	return strings.TrimRight(b.String(), "\n") + "\n", nil
}

func writeMonitor(b *strings.Builder, env *Env, org string, m sentry.Monitor, envName string) {
	status := orDefault(m.Status, "unknown")
	if m.IsMuted {
		status += ", muted"
	}
	fmt.Fprintf(b, "## %s (%s)\n\n", orDefault(m.Name, m.Slug), status)
	projectSlug := ""
	if m.Project != nil {
		projectSlug = orDefault(m.Project.Slug, m.Project.Name)
	}
	fmt.Fprintf(b, "- Slug: `%s` · Project: %s · Owner: %s\n", m.Slug, orDefault(projectSlug, "unknown"), assigneeText(m.Owner))
	fmt.Fprintf(b, "- Schedule: %s\n", scheduleText(m.Config))
	fmt.Fprintf(b, "- Last check-in: %s · Next expected: %s\n",
		orDefault(timeText(m.LastCheckIn), "never"), orDefault(timeText(m.NextCheckIn), "unknown"))
	envs := m.Environments
	if envName != "" {
		envs = slices.DeleteFunc(slices.Clone(envs), func(e sentry.MonitorEnvironment) bool { return e.Name != envName })
	}
	if len(envs) > 0 {
		b.WriteString("- Environments:\n")
		for _, e := range envs[:min(len(envs), monitorEnvsShown)] {
			muted := ""
			if e.IsMuted {
				muted = ", muted"
			}
			fmt.Fprintf(b, "  - %s: %s%s, last check-in %s\n", orDefault(e.Name, "(none)"), orDefault(e.Status, "unknown"), muted,
				orDefault(timeText(e.LastCheckIn), "never"))
		}
		if n := len(envs) - monitorEnvsShown; n > 0 {
			fmt.Fprintf(b, "  - …and %d more environments (filter with `environment`)\n", n)
		}
	}
	segs := []string{"crons", m.Slug}
	if projectSlug != "" {
		segs = []string{"crons", projectSlug, m.Slug}
	}
	fmt.Fprintf(b, "- Link: %s\n\n", orgWebURL(env, org, segs...))
}

// scheduleText renders a monitor's schedule: "`0 2 * * *` (crontab, UTC)"
// or "every 15 minutes", with its check-in margin and maximum runtime.
func scheduleText(c sentry.MonitorConfig) string {
	text := c.ScheduleText()
	var s string
	switch f := strings.Fields(text); {
	case text == "":
		s = "unknown"
	case c.ScheduleType == "interval" && len(f) == 2:
		unit := f[1]
		if f[0] != "1" && !strings.HasSuffix(unit, "s") {
			unit += "s"
		}
		s = "every " + f[0] + " " + unit
	default:
		s = "`" + text + "` (" + orDefault(c.ScheduleType, "crontab")
		if c.Timezone != "" {
			s += ", " + c.Timezone
		}
		s += ")"
	}
	if c.CheckinMargin > 0 {
		s += fmt.Sprintf(" · check-in margin %d min", c.CheckinMargin)
	}
	if c.MaxRuntime > 0 {
		s += fmt.Sprintf(" · max runtime %d min", c.MaxRuntime)
	}
	return s
}

// monitorOwnerFilter turns the owner argument into a test on a monitor's
// owner. "me" and "myteams" need to know who is asking; they cost one
// request each (myteams reads the organization's teams: team:read).
func monitorOwnerFilter(ctx context.Context, env *Env, org, owner string) (func(*sentry.Actor) bool, error) {
	is := func(typ string, ids ...string) func(*sentry.Actor) bool {
		return func(a *sentry.Actor) bool {
			return a != nil && a.Type == typ && slices.ContainsFunc(ids, func(id string) bool {
				return id != "" && (string(a.ID) == id || strings.EqualFold(a.Name, id) || strings.EqualFold(a.Email, id))
			})
		}
	}
	switch kind, value, _ := strings.Cut(owner, ":"); kind {
	case "":
		return func(*sentry.Actor) bool { return true }, nil
	case "unassigned":
		return func(a *sentry.Actor) bool { return a == nil }, nil
	case "user", "team":
		return is(kind, value), nil
	case "me":
		u, err := env.Sentry.WhoAmI(ctx)
		if err != nil {
			return nil, err
		}
		return is("user", string(u.ID)), nil
	case "myteams":
		teams, _, err := collectPages(500, 5,
			func(cursor string) ([]sentry.Team, sentry.Page, error) {
				return env.Sentry.ListTeams(ctx, org, sentry.ListOptions{Limit: 100, Cursor: cursor})
			},
			func(t sentry.Team) bool { return t.IsMember })
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, t := range teams {
			ids = append(ids, string(t.ID))
		}
		return is("team", ids...), nil
	}
	return nil, &InputError{Tool: "find_monitors", Problem: fmt.Sprintf("owner %q: use user:<id>, team:<id>, me, myteams or unassigned", owner)}
}
