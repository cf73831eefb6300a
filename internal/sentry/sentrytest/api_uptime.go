package sentrytest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Uptime monitors: listed per organization, read, created, changed and
// deleted per project, with their recent checks.

func (f *Fake) uptimeRoutes(api func(string, apiHandler, ...string)) {
	api("GET /organizations/{org}/uptime/{$}", f.listUptime, "org:read")
	api("POST /projects/{org}/{project}/uptime/{$}", f.createUptime, "project:write", "alerts:write")
	api("GET /projects/{org}/{project}/uptime/{uptime}/{$}", f.getUptime, "project:read", "alerts:read")
	api("PUT /projects/{org}/{project}/uptime/{uptime}/{$}", f.updateUptime, "project:write", "alerts:write")
	api("DELETE /projects/{org}/{project}/uptime/{uptime}/{$}", f.deleteUptime, "project:write", "alerts:write")
	api("GET /projects/{org}/{project}/uptime/{uptime}/checks/{$}", f.listUptimeChecks, "project:read", "alerts:read")
}

var (
	uptimeIntervals = []int{60, 300, 600, 1200, 1800, 3600}
	uptimeMethods   = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"}
)

func (f *Fake) uptimeJSON(u *uptimeMonitor) obj {
	headers := [][]string{}
	for _, h := range u.headers {
		headers = append(headers, []string{h[0], h[1]})
	}
	var body any
	if u.body != nil {
		body = *u.body
	}
	return obj{
		"id": u.ID, "projectSlug": u.project.Slug, "environment": nilIfEmpty(u.Environment), "name": u.Name,
		"status": u.Status, "uptimeStatus": u.UptimeStatus, "mode": 1, "owner": f.actorJSON(u.owner),
		"recoveryThreshold": u.RecoveryThreshold, "downtimeThreshold": u.DowntimeThreshold,
		"url": u.URL, "method": u.Method, "body": body, "headers": headers,
		"intervalSeconds": u.IntervalSeconds, "timeoutMs": u.TimeoutMs,
		"traceSampling": u.TraceSampling, "responseCaptureEnabled": u.ResponseCaptureEnabled,
		"assertion": nil, "dateCreated": isoTime(u.DateCreated),
	}
}

// uptimeOf finds the monitor of the path in the path's project.
func (f *Fake) uptimeOf(w http.ResponseWriter, r *http.Request, c *call) *uptimeMonitor {
	for _, u := range f.w.mgmt.uptime {
		if u.ID == r.PathValue("uptime") && u.project == c.project {
			return u
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
	return nil
}

func (f *Fake) listUptime(w http.ResponseWriter, r *http.Request, c *call) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	q := r.URL.Query()
	var owner *actor
	if v := q.Get("owner"); v != "" {
		var problem string
		if owner, problem = f.parseActor(c.org, v); problem != "" {
			writeDetail(w, http.StatusBadRequest, problem)
			return
		}
	}
	query := strings.ToLower(q.Get("query"))
	envs := queryValues(r, "environment")
	var list []obj
	for _, u := range f.w.mgmt.uptime {
		switch {
		case u.project.org != c.org:
		case projects != nil && !slices.Contains(projects, u.project):
		case len(envs) > 0 && !slices.Contains(envs, u.Environment):
		case owner != nil && (u.owner == nil || *u.owner != *owner):
		case query != "" && !strings.Contains(strings.ToLower(u.Name+" "+u.URL), query):
		default:
			list = append(list, f.uptimeJSON(u))
		}
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) getUptime(w http.ResponseWriter, r *http.Request, c *call) {
	if u := f.uptimeOf(w, r, c); u != nil {
		writeJSON(w, http.StatusOK, f.uptimeJSON(u))
	}
}

// applyUptime validates body against u and, when valid, changes u. create
// requires the fields a new monitor needs. It returns the changed field
// names, or answers 400 and returns ok=false.
func (f *Fake) applyUptime(w http.ResponseWriter, c *call, u *uptimeMonitor, body map[string]any, create bool) (changed []string, ok bool) {
	errs := fieldErrors{}
	next := *u
	set := func(field string, present bool) bool {
		if present {
			changed = append(changed, field)
		}
		return present
	}
	if v, has := strField(body, "name", errs); set("name", has) {
		if v = strings.TrimSpace(v); v == "" || utf8.RuneCountInString(v) > 128 {
			errs.add("name", "Ensure this field has 1 to 128 characters.")
		}
		next.Name = strings.TrimSpace(v)
	} else if create {
		errs.add("name", "This field is required.")
	}
	if v, has := strField(body, "url", errs); set("url", has) {
		p, err := url.Parse(v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(v) > 255 {
			errs.add("url", "Enter a valid URL.")
		}
		next.URL = v
	} else if create {
		errs.add("url", "This field is required.")
	}
	if v, has := intField(body, "intervalSeconds", errs); set("intervalSeconds", has) {
		if !slices.Contains(uptimeIntervals, v) {
			errs.add("intervalSeconds", "Invalid interval: use 60, 300, 600, 1200, 1800 or 3600.")
		}
		next.IntervalSeconds = v
	} else if create {
		errs.add("intervalSeconds", "This field is required.")
	}
	if v, has := intField(body, "timeoutMs", errs); set("timeoutMs", has) {
		if v < 1000 || v > 60000 {
			errs.add("timeoutMs", "Ensure this value is between 1000 and 60000.")
		}
		next.TimeoutMs = v
	} else if create {
		errs.add("timeoutMs", "This field is required.")
	}
	if v, has := strField(body, "method", errs); set("method", has) {
		if !slices.Contains(uptimeMethods, v) {
			errs.add("method", "Invalid HTTP method.")
		}
		next.Method = v
	}
	if v, has := strField(body, "status", errs); set("status", has) {
		if v != "active" && v != "disabled" {
			errs.add("status", "Invalid status: use active or disabled.")
		}
		next.Status = v
	}
	if v, has := body["body"]; set("body", has) {
		switch s := v.(type) {
		case nil:
			next.body = nil
		case string:
			next.body = &s
		default:
			errs.add("body", "Not a valid string.")
		}
	}
	if v, has := body["headers"]; set("headers", has) {
		next.headers = nil
		list, isList := v.([]any)
		if !isList {
			errs.add("headers", "Expected a list of [name, value] pairs.")
		}
		for _, h := range list {
			pair, isPair := h.([]any)
			if !isPair || len(pair) != 2 {
				errs.add("headers", "Expected a list of [name, value] pairs.")
				break
			}
			name, ok1 := pair[0].(string)
			value, ok2 := pair[1].(string)
			if !ok1 || !ok2 || strings.TrimSpace(name) == "" {
				errs.add("headers", "Header names and values must be strings.")
				break
			}
			next.headers = append(next.headers, [2]string{name, value})
		}
	}
	if v, has := body["owner"]; set("owner", has) {
		var problem string
		if next.owner, problem = f.parseActor(c.org, v); problem != "" {
			errs.add("owner", problem)
		}
	}
	if v, has := body["environment"]; set("environment", has) {
		switch s := v.(type) {
		case nil:
			next.Environment = ""
		case string:
			if s = strings.TrimSpace(s); s == "" || utf8.RuneCountInString(s) > 64 {
				errs.add("environment", "Ensure this field has 1 to 64 characters.")
			}
			next.Environment = strings.TrimSpace(s)
		default:
			errs.add("environment", "Not a valid string.")
		}
	}
	for _, k := range []string{"recoveryThreshold", "downtimeThreshold"} {
		if v, has := intField(body, k, errs); set(k, has) {
			if v < 1 {
				errs.add(k, "Ensure this value is greater than or equal to 1.")
			}
			if k == "recoveryThreshold" {
				next.RecoveryThreshold = v
			} else {
				next.DowntimeThreshold = v
			}
		}
	}
	if v, has := boolField(body, "traceSampling", errs); set("traceSampling", has) {
		next.TraceSampling = v
	}
	if v, has := boolField(body, "responseCaptureEnabled", errs); set("responseCaptureEnabled", has) {
		next.ResponseCaptureEnabled = v
	}
	if errs.write(w) {
		return nil, false
	}
	*u = next
	return changed, true
}

func (f *Fake) createUptime(w http.ResponseWriter, r *http.Request, c *call) {
	if !f.mayChange(w, c, "alerts:write", "project:write") {
		return
	}
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	u := &uptimeMonitor{ID: f.w.newID(), project: c.project, Method: "GET", Status: "active", UptimeStatus: 1,
		RecoveryThreshold: 1, DowntimeThreshold: 3, DateCreated: f.dataClock()}
	if _, ok := f.applyUptime(w, c, u, body, true); !ok {
		return
	}
	f.w.mgmt.uptime = append(f.w.mgmt.uptime, u)
	f.audit(c, "uptime.create", u.ID, map[string]any{"project": c.project.Slug, "name": u.Name, "url": u.URL})
	writeJSON(w, http.StatusCreated, f.uptimeJSON(u))
}

func (f *Fake) updateUptime(w http.ResponseWriter, r *http.Request, c *call) {
	u := f.uptimeOf(w, r, c)
	if u == nil || !f.mayChange(w, c, "alerts:write", "project:write") {
		return
	}
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	changed, ok := f.applyUptime(w, c, u, body, false)
	if !ok {
		return
	}
	f.audit(c, "uptime.edit", u.ID, map[string]any{"project": c.project.Slug, "fields": changed})
	writeJSON(w, http.StatusOK, f.uptimeJSON(u))
}

func (f *Fake) deleteUptime(w http.ResponseWriter, r *http.Request, c *call) {
	u := f.uptimeOf(w, r, c)
	if u == nil || !f.mayChange(w, c, "alerts:write", "project:write") {
		return
	}
	f.w.mgmt.uptime = slices.DeleteFunc(f.w.mgmt.uptime, func(x *uptimeMonitor) bool { return x == u })
	f.audit(c, "uptime.delete", u.ID, map[string]any{"project": c.project.Slug, "name": u.Name})
	w.WriteHeader(http.StatusAccepted)
}

func (f *Fake) listUptimeChecks(w http.ResponseWriter, r *http.Request, c *call) {
	u := f.uptimeOf(w, r, c)
	if u == nil {
		return
	}
	from, to, err := parseStatsPeriod(r.URL.Query(), f.dataNow(), 24*time.Hour)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	var list []obj
	for _, ch := range u.checks {
		if ch.At.Before(from) || ch.At.After(to) {
			continue
		}
		var code any
		if ch.HTTPStatus != 0 {
			code = ch.HTTPStatus
		}
		list = append(list, obj{
			"uptimeCheckId": ch.ID, "timestamp": isoTime(ch.At), "scheduledCheckTime": isoTime(ch.At.Truncate(time.Minute)),
			"checkStatus": ch.Status, "checkStatusReason": nilIfEmpty(ch.Reason), "assertionFailureData": nil,
			"httpStatusCode": code, "durationMs": ch.DurationMs, "traceId": ch.TraceID, "traceItemId": "item-" + ch.ID,
			"incidentStatus": ch.Incident, "environment": nilIfEmpty(ch.Environment), "region": "us-east-1", "regionName": "US East",
		})
	}
	f.writePage(w, r, c, list, "per_page", 10, 100)
}
