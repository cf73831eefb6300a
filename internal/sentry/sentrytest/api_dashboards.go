package sentrytest

import (
	"net/http"
	"sort"
	"strings"
)

// Dashboards: the listing (title search, sort, pages) and one dashboard
// with its widgets' saved queries.

func (f *Fake) dashboardJSON(d *dashboard, detail bool) obj {
	projects := []any{}
	for _, p := range d.projects {
		projects = append(projects, jsonInt(p.ID))
	}
	var createdBy any
	if d.createdBy != nil {
		createdBy = obj{"id": d.createdBy.ID, "name": d.createdBy.Name, "email": d.createdBy.Email}
	}
	env := d.env
	if env == nil {
		env = []string{}
	}
	filters := d.filters
	if filters == nil {
		filters = obj{}
	}
	out := obj{
		"id": d.ID, "title": d.Title, "dateCreated": isoTime(d.DateCreated), "createdBy": createdBy, "environment": env,
		"filters": filters, "projects": projects, "isFavorited": d.favorited, "prebuiltId": nil,
		"permissions": obj{"isEditableByEveryone": true, "teamsWithEditAccess": []string{}},
	}
	if detail {
		out["widgets"] = d.widgets
		out["period"], out["utc"], out["expired"] = d.period, true, false
		return out
	}
	display, preview := []string{}, []obj{}
	for _, w := range d.widgets {
		display = append(display, w["displayType"].(string))
		preview = append(preview, obj{"displayType": w["displayType"], "layout": w["layout"]})
	}
	out["widgetDisplay"], out["widgetPreview"], out["lastVisited"] = display, preview, isoOrNil(d.LastVisited)
	return out
}

func (f *Fake) listDashboards(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	title := strings.ToLower(q.Get("query"))
	var ds []*dashboard
	for _, d := range f.w.inspectOf(c.org).dashboards {
		if title == "" || strings.Contains(strings.ToLower(d.Title), title) {
			ds = append(ds, d)
		}
	}
	sortBy := q.Get("sort")
	switch strings.TrimPrefix(sortBy, "-") {
	case "", "title":
		sort.SliceStable(ds, func(i, j int) bool { return strings.ToLower(ds[i].Title) < strings.ToLower(ds[j].Title) })
	case "dateCreated":
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].DateCreated.Before(ds[j].DateCreated) })
	default:
		writeDetail(w, http.StatusBadRequest, "Invalid sort parameter.")
		return
	}
	if strings.HasPrefix(sortBy, "-") {
		for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
			ds[i], ds[j] = ds[j], ds[i]
		}
	}
	list := []obj{}
	for _, d := range ds {
		list = append(list, f.dashboardJSON(d, false))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) getDashboard(w http.ResponseWriter, r *http.Request, c *call) {
	for _, d := range f.w.inspectOf(c.org).dashboards {
		if d.ID == r.PathValue("dashboard") {
			writeJSON(w, http.StatusOK, f.dashboardJSON(d, true))
			return
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
}
