package tools

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type findDashboardsInput struct {
	orgParam
	regionParam
	TitleQuery *string `json:"titleQuery,omitempty" jsonschema:"Only dashboards whose title contains this text (case-insensitive)."`
	Sort       string  `json:"sort,omitempty" jsonschema:"Order: title, -title, dateCreated or -dateCreated (newest first)."`
	Cursor     *string `json:"cursor,omitempty" jsonschema:"The cursor a previous find_dashboards answer gave, to get the next page. Reuse it only with the same titleQuery and sort."`
	Limit      int     `json:"limit,omitempty" jsonschema:"How many dashboards to show, 1 to 100."`
}

const findDashboardsName = "find_dashboards"

func findDashboardsTool() Tool {
	return newTool(spec{
		Name:  findDashboardsName,
		Title: "Find dashboards",
		Description: `List an organization's dashboards: id, title, widget count and kinds, projects, environments, creator, last visit.

Use it to find a dashboard's id before get_dashboard_details, or to search dashboards by title.
Examples: find_dashboards(organizationSlug='acme') or find_dashboards(organizationSlug='acme', titleQuery='errors').`,
		Scopes: []string{"org:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "titleQuery", "cursor")
			withSlugPattern(s, "organizationSlug")
			setEnum(s, "sort", "title", "-title", "dateCreated", "-dateCreated")
			setDefault(s, "sort", `"title"`)
			setDefault(s, "limit", "10")
			intRange(s, "limit", 0, 100, true)
		},
	}, findDashboards)
}

// pinnedCursorPrefix marks cursors lookout makes when a project pin
// filters dashboards: Sentry's cursor cannot say "the third dashboard of
// this page that the project sees".
const pinnedCursorPrefix = "lookout-dashboards:"

type pinnedCursor struct {
	API    string `json:"c"` // Sentry's cursor of the page
	Offset int    `json:"o"` // visible dashboards of that page already shown
	Size   int    `json:"n"` // page size, kept stable across the pages
}

func (c pinnedCursor) String() string {
	b, _ := json.Marshal(c)
	return pinnedCursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func parsePinnedCursor(s string) (pinnedCursor, error) {
	var c pinnedCursor
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, pinnedCursorPrefix))
	if err != nil || json.Unmarshal(b, &c) != nil || c.Offset < 0 || c.Size < 1 || c.Size > 100 {
		return c, &InputError{Tool: findDashboardsName, Problem: "the cursor is not one find_dashboards gave: pass it exactly as returned"}
	}
	return c, nil
}

// dashboardVisible: a dashboard without projects shows "my projects", so
// every project sees it.
func dashboardVisible(projects []sentry.FlexString, projectID string) bool {
	return len(projects) == 0 || slices.Contains(projects, sentry.FlexString(projectID))
}

func findDashboards(ctx context.Context, env *Env, in findDashboardsInput) (string, error) {
	org := in.OrganizationSlug
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	q := sentry.DashboardListQuery{Query: optString(in.TitleQuery), Sort: orDefault(in.Sort, "title"), Limit: in.Limit, Cursor: optString(in.Cursor)}
	var (
		dashboards []sentry.DashboardSummary
		next       string
	)
	if env.Project == "" {
		if strings.HasPrefix(q.Cursor, pinnedCursorPrefix) {
			return "", &InputError{Tool: findDashboardsName, Problem: "that cursor belongs to a project-pinned search; start again without a cursor"}
		}
		ds, page, err := env.Sentry.ListDashboards(ctx, org, q)
		if err != nil {
			return "", err
		}
		dashboards, next = ds, page.NextCursor
	} else {
		projectID, err := projectIDOf(ctx, env, org, env.Project)
		if err != nil {
			return "", err
		}
		if dashboards, next, err = pinnedDashboards(ctx, env, org, q, projectID); err != nil {
			return "", err
		}
	}
	filter := ""
	if q.Query != "" {
		filter = fmt.Sprintf(" matching %q", q.Query)
	}
	if len(dashboards) == 0 {
		return fmt.Sprintf("No dashboard in **%s**%s.", org, filter), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Dashboards in **%s**%s\n\n", org, filter)
	b.WriteString("| id | title | widgets | projects | environments | created by | last visited |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, d := range dashboards {
		kinds := slices.Compact(slices.Sorted(slices.Values(d.WidgetDisplay)))
		title := cell(d.Title)
		if d.IsFavorited {
			title += " ★"
		}
		projects := "all"
		if len(d.Projects) > 0 {
			ids := make([]string, len(d.Projects))
			for i, p := range d.Projects {
				ids[i] = string(p)
			}
			projects = strings.Join(ids, ", ")
		}
		createdBy := "-"
		if d.CreatedBy != nil {
			createdBy = orDefault(d.CreatedBy.Name, d.CreatedBy.Email)
		}
		fmt.Fprintf(&b, "| %s | %s | %d (%s) | %s | %s | %s | %s |\n", d.ID, title, len(d.WidgetPreview), cell(strings.Join(kinds, ", ")),
			projects, cell(orDefault(strings.Join(d.Environment, ", "), "all")), cell(createdBy), orDefault(timeText(d.LastVisited), "never"))
	}
	fmt.Fprintf(&b, "\nProjects are numeric ids. A dashboard's page: %s<id>/; its widgets and queries: get_dashboard_details(organizationSlug='%s', dashboardIdOrTitle='<id>').\n",
		orgWebURL(env, org, "dashboard"), org)
	if next != "" {
		fmt.Fprintf(&b, "\nMore dashboards exist: call again with cursor='%s'.\n", next)
	}
	return b.String(), nil
}

// pinnedDashboards pages through the dashboards a pinned project sees,
// keeping the page size stable so a cursor's offset stays meaningful.
func pinnedDashboards(ctx context.Context, env *Env, org string, q sentry.DashboardListQuery, projectID string) ([]sentry.DashboardSummary, string, error) {
	cur := pinnedCursor{API: q.Cursor, Size: q.Limit}
	if strings.HasPrefix(q.Cursor, pinnedCursorPrefix) {
		var err error
		if cur, err = parsePinnedCursor(q.Cursor); err != nil {
			return nil, "", err
		}
	}
	var out []sentry.DashboardSummary
	for range 10 {
		page, pg, err := env.Sentry.ListDashboards(ctx, org, sentry.DashboardListQuery{Query: q.Query, Sort: q.Sort, Limit: cur.Size, Cursor: cur.API})
		if err != nil {
			return nil, "", err
		}
		var visible []sentry.DashboardSummary
		for _, d := range page {
			if dashboardVisible(d.Projects, projectID) {
				visible = append(visible, d)
			}
		}
		visible = visible[min(cur.Offset, len(visible)):]
		if want := q.Limit - len(out); len(visible) > want {
			out = append(out, visible[:want]...)
			cur.Offset += want
			return out, cur.String(), nil
		}
		out = append(out, visible...)
		if !pg.HasNext() {
			return out, "", nil
		}
		cur = pinnedCursor{API: pg.NextCursor, Size: cur.Size}
		if len(out) == q.Limit {
			break
		}
	}
	return out, cur.String(), nil
}
