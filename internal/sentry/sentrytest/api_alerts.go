package sentrytest

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Alert rules: issue alert rules as workflows (filtered by project, name
// search and id, newest first), and metric alert rules (/alert-rules/, and
// /combined-rules/ for a name search).

func (f *Fake) workflowJSON(o *org, wf *workflow) obj {
	detectors := wf.detectorIDs
	if detectors == nil {
		detectors = []string{}
	}
	af := wf.actionFilters
	if af == nil {
		af = []obj{}
	}
	return obj{
		"id": wf.ID, "name": wf.Name, "organizationId": o.ID, "createdBy": AliceID, "enabled": wf.enabled,
		"config": obj{"frequency": wf.frequency}, "environment": nilIfEmpty(wf.env), "detectorIds": detectors,
		"owner": nilIfEmpty(wf.owner), "dateCreated": isoTime(wf.created), "dateUpdated": isoTime(wf.created.Add(time.Hour)),
		"lastTriggered": isoOrNil(wf.lastTriggered), "triggers": wf.triggers, "actionFilters": af,
	}
}

// nameSearch reads a workflow or rule name filter: name:"*text*", or plain
// text; it returns the lower-cased text to look for.
func nameSearch(q string) string {
	q = strings.TrimSpace(q)
	if v, ok := strings.CutPrefix(q, "name:"); ok {
		q = v
	}
	return strings.ToLower(strings.Trim(q, `"*`))
}

func (f *Fake) listWorkflows(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	var projects []*project
	for _, ref := range queryValues(r, "projectSlug") {
		p := c.org.projectByRef(ref)
		if p == nil {
			writeDetail(w, http.StatusBadRequest, "Invalid project slug: "+ref)
			return
		}
		projects = append(projects, p)
	}
	ids := queryValues(r, "id")
	name := nameSearch(q.Get("query"))
	var wfs []*workflow
	for _, wf := range f.w.inspectOf(c.org).workflows {
		switch {
		case projects != nil && !slices.Contains(projects, wf.project):
		case ids != nil && !slices.Contains(ids, wf.ID):
		case name != "" && !strings.Contains(strings.ToLower(wf.Name), name):
		default:
			wfs = append(wfs, wf)
		}
	}
	// sortBy=-id, the only order the tools ask for, is also the default.
	sort.SliceStable(wfs, func(i, j int) bool { return idLess(wfs[j].ID, wfs[i].ID) })
	list := []obj{}
	for _, wf := range wfs {
		list = append(list, f.workflowJSON(c.org, wf))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func idLess(a, b string) bool {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return x < y
}

func (f *Fake) metricRuleJSON(m *metricRule) obj {
	slugs := []string{}
	for _, p := range m.projects {
		slugs = append(slugs, p.Slug)
	}
	return obj{
		"id": m.ID, "name": m.Name, "status": 0, "dataset": m.dataset, "aggregate": m.aggregate, "query": m.query,
		"timeWindow": m.timeWindow, "projects": slugs, "environment": nilIfEmpty(m.env), "owner": nilIfEmpty(m.owner),
		"dateCreated": isoTime(m.created), "dateModified": isoTime(m.created), "thresholdType": 0, "resolveThreshold": nil,
		"triggers": m.triggers, "type": "alert_rule",
	}
}

// listMetricRules serves /alert-rules/ and /combined-rules/ (whose name=
// searches; alertType=alert_rule keeps metric rules, which are all this
// fake has).
func (f *Fake) listMetricRules(w http.ResponseWriter, r *http.Request, c *call) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	name := strings.ToLower(r.URL.Query().Get("name"))
	list := []obj{}
	for _, m := range f.w.inspectOf(c.org).metricRules {
		inProject := projects == nil || slices.ContainsFunc(m.projects, func(p *project) bool { return slices.Contains(projects, p) })
		if inProject && (name == "" || strings.Contains(strings.ToLower(m.Name), name)) {
			list = append(list, f.metricRuleJSON(m))
		}
	}
	f.writePage(w, r, c, list, "per_page", 25, 100)
}

func (f *Fake) getMetricRule(w http.ResponseWriter, r *http.Request, c *call) {
	for _, m := range f.w.inspectOf(c.org).metricRules {
		if m.ID == r.PathValue("rule") {
			writeJSON(w, http.StatusOK, f.metricRuleJSON(m))
			return
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
}
