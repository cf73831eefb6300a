package tools

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// projectManagementTools create and change teams, projects, project team
// access, DSNs and uptime monitors (the project-management permission),
// with the read-only uptime tools everyone has.
func projectManagementTools() []Tool {
	return []Tool{
		createTeamTool(),
		createProjectTool(),
		updateProjectTool(),
		addTeamToProjectTool(),
		removeTeamFromProjectTool(),
		createDSNTool(),
		updateDSNTool(),
		findUptimeMonitorsTool(),
		getUptimeMonitorDetailsTool(),
		createUptimeMonitorTool(),
		updateUptimeMonitorTool(),
		deleteUptimeMonitorTool(),
		onboardingStatusUpdateTool(),
	}
}

// What the project-management tools share.

// projectParams name one project of an organization.
type projectParams struct {
	orgParam
	regionParam
	ProjectSlug string `json:"projectSlug" jsonschema:"The project's slug (find_projects lists them)."`
}

// newSlugPattern is what Sentry accepts as a new team or project slug.
var newSlugPattern = lazyRegexp(`^[a-z0-9_-]{1,50}$`)

// checkNewSlug refuses a slug Sentry would refuse, before any request.
func checkNewSlug(tool, field, slug string) error {
	if !newSlugPattern().MatchString(slug) || strings.Trim(slug, "0123456789") == "" {
		return &InputError{Tool: tool, Problem: fmt.Sprintf(
			"%s %q is not a valid slug: use 1 to 50 lowercase letters, digits, '-' or '_', not only digits", field, slug)}
	}
	return nil
}

// platformPattern is the form of Sentry platform names (go, python-django,
// javascript-nextjs).
var platformPattern = lazyRegexp(`^[a-z][a-z0-9-]{0,63}$`)

// conflict turns Sentry's 409 ("already exists") into advice; other errors
// pass through.
func conflict(tool string, err error, advice string) error {
	var api *sentry.APIError
	if errors.As(err, &api) && api.Status == http.StatusConflict {
		return &InputError{Tool: tool, Problem: orDefault(api.Detail, "it already exists") + " " + advice}
	}
	return err
}

// teamList names teams by slug: "frontend, platform".
func teamList(teams []sentry.Team) string {
	if len(teams) == 0 {
		return "none (only organization owners and managers can reach it)"
	}
	names := make([]string, len(teams))
	for i, t := range teams {
		names[i] = t.Slug
	}
	return strings.Join(names, ", ")
}

func hasTeam(teams []sentry.Team, slug string) bool {
	for _, t := range teams {
		if strings.EqualFold(t.Slug, slug) || string(t.ID) == slug {
			return true
		}
	}
	return false
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// notNull makes properties of pointer or slice type take no null: Go's
// schema inference allows null for them, the reference server's optional
// parameters do not (absent is how they are left out).
func notNull(s *schemaT, names ...string) {
	for _, name := range names {
		p := s.Properties[name]
		if p == nil {
			panic("tools: notNull: no property " + name)
		}
		dropNull(p)
	}
}

func dropNull(p *schemaT) {
	if len(p.Types) > 0 {
		ts := slices.DeleteFunc(slices.Clone(p.Types), func(t string) bool { return t == "null" })
		if len(ts) == 1 {
			p.Type, p.Types = ts[0], nil
		} else {
			p.Types = ts
		}
	}
	if p.Items != nil {
		dropNull(p.Items)
	}
}
