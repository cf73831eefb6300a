package tools

import (
	"context"
	"errors"
	"fmt"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type deleteUptimeMonitorInput struct {
	projectParams
	UptimeMonitorID string `json:"uptimeMonitorId" jsonschema:"The monitor's id (find_uptime_monitors lists them)."`
}

func deleteUptimeMonitorTool() Tool {
	return newTool(spec{
		Name:  "delete_uptime_monitor",
		Title: "Delete an uptime monitor",
		Description: `Delete an uptime monitor: Sentry stops checking the URL. Its past checks and issues remain. To pause it instead, use update_uptime_monitor with status='disabled'.

Use it only when the user asks to delete it.
Example: delete_uptime_monitor(organizationSlug='acme', projectSlug='api', uptimeMonitorId='4506000000003002')`,
		Permission:  ProjectManagement,
		Writes:      true,
		Destructive: true,
		Idempotent:  true,
		Scopes:      []string{"project:write"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			one := 1
			s.Properties["uptimeMonitorId"].MinLength = &one
			s.Properties["uptimeMonitorId"].Pattern = `^[A-Za-z0-9_-]+$`
		},
	}, func(ctx context.Context, env *Env, in deleteUptimeMonitorInput) (string, error) {
		org, project, id := in.OrganizationSlug, in.ProjectSlug, in.UptimeMonitorID
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		c := env.Sentry
		// Read it first: to name what is deleted, and because deleting is
		// idempotent: a monitor already gone is not an error, a wrong
		// project is.
		m, err := c.GetUptimeMonitor(ctx, org, project, id)
		if errors.Is(err, sentry.ErrNotFound) {
			if _, perr := c.GetProject(ctx, org, project); perr != nil {
				return "", perr
			}
			return fmt.Sprintf("Uptime monitor %s does not exist in **%s/%s** (already deleted?): nothing was deleted. find_uptime_monitors lists the monitors.\n", id, org, project), nil
		}
		if err != nil {
			return "", err
		}
		if err := c.DeleteUptimeMonitor(ctx, org, project, id); err != nil && !errors.Is(err, sentry.ErrNotFound) {
			return "", err
		}
		return fmt.Sprintf("# Deleted uptime monitor **%s** from **%s/%s**\n\nIt checked %s %s (id %s). Its past checks and issues remain in Sentry.\n",
			oneLine(m.Name), org, project, orDefault(m.Method, "GET"), m.URL, id), nil
	})
}
