package sentrytest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Error events of issues (list, latest/oldest/recommended, by id) and any
// event of a project, including transactions from the spans.

func frameJSON(fr frame, platform string) obj {
	ctx := [][2]any{}
	for _, c := range fr.Context {
		ctx = append(ctx, c)
	}
	var col any
	if fr.ColNo > 0 {
		col = fr.ColNo
	}
	var line any
	if fr.LineNo > 0 {
		line = fr.LineNo
	}
	var pkg any
	if platform == "cocoa" {
		pkg = fr.Module
	}
	return obj{
		"filename": fr.Filename, "absPath": fr.AbsPath, "module": fr.Module, "package": pkg, "platform": nil,
		"instructionAddr": nil, "symbolAddr": nil, "function": fr.Function, "rawFunction": nil, "symbol": nil,
		"context": ctx, "lineNo": line, "colNo": col, "inApp": fr.InApp, "trust": nil, "errors": nil,
		"lock": nil, "sourceLink": nil, "vars": nil,
	}
}

func splitNameVersion(v string) (name, version string) {
	if i := strings.LastIndex(v, " "); i > 0 {
		return v[:i], v[i+1:]
	}
	return v, ""
}

func (f *Fake) eventContexts(ev *event) obj {
	prof := profiles[ev.project.Slug]
	status := "internal_error"
	if ev.Handled {
		status = "unknown"
	}
	ctx := obj{"trace": obj{
		"trace_id": ev.TraceID, "span_id": ev.SpanID, "op": prof.traceOp, "status": status,
		"client_sample_rate": 1, "sampled": true, "type": "trace",
	}}
	if v := ev.tag("browser"); v != "" {
		n, ver := splitNameVersion(v)
		ctx["browser"] = obj{"name": n, "version": ver, "type": "browser"}
	}
	if v := ev.tag("runtime"); v != "" {
		n, ver := splitNameVersion(v)
		ctx["runtime"] = obj{"name": n, "version": ver, "type": "runtime"}
		ctx["os"] = obj{"name": "Linux", "kernel_version": "6.1.0-27-cloud-amd64", "type": "os"}
	}
	if v := ev.tag("os"); v != "" {
		n, ver := splitNameVersion(v)
		ctx["os"] = obj{"name": n, "version": ver, "type": "os"}
	} else if v := ev.tag("os.name"); v != "" && ctx["os"] == nil {
		ctx["os"] = obj{"name": v, "type": "os"}
	}
	if v := ev.tag("device"); v != "" {
		ctx["device"] = obj{"family": "iOS", "model": v, "arch": "arm64e", "simulator": false, "type": "device"}
		build := ""
		if ev.Release != nil {
			build = ev.Release.Version
		}
		ctx["app"] = obj{"app_identifier": "com.globex.shop", "app_version": strings.TrimPrefix(strings.SplitN(build, "+", 2)[0], "mobile@"),
			"app_build": func() string { _, b, _ := strings.Cut(build, "+"); return b }(), "type": "app"}
	}
	return ctx
}

func (f *Fake) eventUserJSON(u eventUser) any {
	if u.ID == "" {
		return nil
	}
	return obj{"id": u.ID, "email": u.Email, "username": u.Username, "ip_address": u.IPAddress, "name": nil,
		"geo": obj{"country_code": u.Country}, "data": nil}
}

func eventTagsJSON(ev *event) []obj {
	out := make([]obj, len(ev.tags))
	for i, t := range ev.tags {
		out[i] = obj{"key": t[0], "value": t[1]}
	}
	return out
}

func fingerprintOf(is *issue) string {
	sum := sha256.Sum256([]byte("group:" + is.ID))
	return hex.EncodeToString(sum[:16])
}

// neighbours returns the ids of the issue's events before and after ev.
func neighbours(ev *event) (prev, next any) {
	evs := ev.issue.events
	i := slices.Index(evs, ev)
	if i > 0 {
		prev = evs[i-1].ID
	}
	if i >= 0 && i+1 < len(evs) {
		next = evs[i+1].ID
	}
	return prev, next
}

// eventJSON is the full event, as /events/{id}/, latest and friends send it.
func (f *Fake) eventJSON(ev *event) obj {
	is := ev.issue
	prof := profiles[ev.project.Slug]
	var entries []obj
	typ, message := "error", ""
	var location any
	if is.ExcType != "" {
		frames := make([]obj, len(ev.frames))
		for i, fr := range ev.frames {
			frames[i] = frameJSON(fr, prof.platform)
		}
		location = ev.frames[len(ev.frames)-1].Filename
		entries = append(entries, obj{"type": "exception", "data": obj{
			"values": []obj{{
				"type": is.ExcType, "value": is.ExcValue,
				"mechanism": obj{"type": ev.Mechanism, "handled": ev.Handled},
				"threadId":  nil, "module": nil,
				"stacktrace":    obj{"frames": frames, "framesOmitted": nil, "registers": nil, "hasSystemFrames": true},
				"rawStacktrace": nil,
			}},
			"hasSystemFrames": true, "excOmitted": nil,
		}})
	} else {
		typ, message = "default", is.Message
		entries = append(entries, obj{"type": "message", "data": obj{"formatted": is.Message, "message": is.Message}})
	}
	if rq := ev.request; rq != nil {
		headers := make([][2]string, len(rq.Headers))
		copy(headers, rq.Headers)
		entries = append(entries, obj{"type": "request", "data": obj{
			"apiTarget": nil, "method": rq.Method, "url": rq.URL, "query": []any{}, "fragment": nil, "data": nil,
			"headers": headers, "cookies": []any{}, "env": nil, "inferredContentType": nil,
		}})
	}
	crumbs := make([]obj, len(ev.breadcrumbs))
	for i, b := range ev.breadcrumbs {
		var data any
		if b.Data != nil {
			data = b.Data
		}
		crumbs[i] = obj{"timestamp": isoTime(b.Timestamp), "type": b.Type, "category": b.Category, "level": b.Level,
			"message": nilIfEmpty(b.Message), "data": data, "event_id": nil}
	}
	entries = append(entries, obj{"type": "breadcrumbs", "data": obj{"values": crumbs}})

	var rel any
	if ev.Release != nil {
		rel = f.releaseRef(ev.Release)
	}
	prev, next := neighbours(ev)
	return obj{
		"id": ev.ID, "groupID": is.ID, "eventID": ev.ID, "projectID": ev.project.ID, "projectSlug": ev.project.Slug,
		"size": ev.Size, "entries": entries, "dist": nil, "message": message, "title": is.Title,
		"location": location, "user": f.eventUserJSON(ev.User), "contexts": f.eventContexts(ev),
		"sdk": obj{"name": ev.SDKName, "version": ev.SDKVersion}, "context": obj{}, "packages": obj{},
		"type": typ, "metadata": f.issueMetadata(is), "tags": eventTagsJSON(ev), "platform": is.Platform,
		"dateReceived": isoTime(ev.DateReceived), "dateCreated": isoTime(ev.DateCreated), "errors": []any{},
		"occurrence": nil, "crashFile": nil, "culprit": is.Culprit,
		"_meta": obj{"entries": obj{}, "message": nil, "user": nil, "contexts": nil, "sdk": nil, "context": nil,
			"packages": nil, "tags": obj{}},
		"fingerprints":   []string{fingerprintOf(is)},
		"groupingConfig": obj{"enhancements": "KLUv_SAYwQAAkwKRs25ld3N0eWxlOjIwMjMtMDEtMTGQ", "id": "newstyle:2023-01-11"},
		"release":        rel, "userReport": nil, "sdkUpdates": []any{}, "resolvedWith": []any{},
		"nextEventID": next, "previousEventID": prev,
	}
}

// eventSummaryJSON is the shorter form of issue event lists.
func (f *Fake) eventSummaryJSON(ev *event) obj {
	is := ev.issue
	var location any
	if len(ev.frames) > 0 && is.ExcType != "" {
		location = ev.frames[len(ev.frames)-1].Filename
	}
	return obj{
		"id": ev.ID, "event.type": map[bool]string{true: "error", false: "default"}[is.ExcType != ""],
		"groupID": is.ID, "eventID": ev.ID, "projectID": ev.project.ID, "message": is.Message, "title": is.Title,
		"location": location, "culprit": is.Culprit, "user": f.eventUserJSON(ev.User), "tags": eventTagsJSON(ev),
		"platform": is.Platform, "dateCreated": isoTime(ev.DateCreated), "crashFile": nil,
	}
}

// eventMatches applies a search term to an error event.
func (f *Fake) eventMatches(ev *event, t term) (bool, error) {
	ok := false
	switch t.key {
	case "":
		ok = containsText(t.values[0], ev.issue.Title, ev.issue.Message, ev.issue.Culprit)
	case "message", "title":
		ok = containsText(t.values[0], ev.issue.Title, ev.issue.Message)
	case "id", "event.id":
		ok = matchValues(t, []string{ev.ID})
	case "trace", "trace.id":
		ok = matchValues(t, []string{ev.TraceID})
	case "user.id", "user.email", "user.username":
		ok = matchValues(t, []string{map[string]string{"user.id": ev.User.ID, "user.email": ev.User.Email, "user.username": ev.User.Username}[t.key]})
	case "timestamp":
		m, err := matchTime(t, ev.DateCreated, f.dataNow())
		if err != nil {
			return false, err
		}
		ok = m
	case "has":
		for _, k := range t.values {
			ok = ok || ev.tag(k) != ""
		}
	case "error.type":
		ok = matchValues(t, []string{ev.issue.ExcType})
	default:
		ok = matchValues(t, []string{ev.tag(t.key)})
	}
	return ok != t.negate, nil
}

// filterEvents narrows an issue's events by query, environment and time;
// it answers 400 itself on a bad query.
func (f *Fake) filterEvents(w http.ResponseWriter, r *http.Request, evs []*event) ([]*event, bool) {
	q := r.URL.Query()
	terms, err := parseQuery(q.Get("query"))
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	envs := queryValues(r, "environment")
	timed := q.Get("statsPeriod") != "" || q.Get("start") != ""
	from, to, err := parseStatsPeriod(q, f.dataNow(), 0)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	var out []*event
	for _, ev := range evs {
		if len(envs) > 0 && !slices.Contains(envs, ev.Environment) {
			continue
		}
		if timed && (ev.DateCreated.Before(from) || ev.DateCreated.After(to)) {
			continue
		}
		keep := true
		for _, t := range terms {
			m, err := f.eventMatches(ev, t)
			if err != nil {
				writeDetail(w, http.StatusBadRequest, err.Error())
				return nil, false
			}
			keep = keep && m
		}
		if keep {
			out = append(out, ev)
		}
	}
	return out, true
}

// listIssueEvents is .../issues/{id}/events/: newest first (sort
// -timestamp) or oldest first (timestamp); full=true sends complete events.
func (f *Fake) listIssueEvents(w http.ResponseWriter, r *http.Request, c *call) {
	evs, ok := f.filterEvents(w, r, c.issue.events)
	if !ok {
		return
	}
	full := r.URL.Query().Get("full")
	switch r.URL.Query().Get("sort") {
	case "", "-timestamp":
		evs = slices.Clone(evs)
		slices.Reverse(evs)
	case "timestamp":
	default:
		writeDetail(w, http.StatusBadRequest, "Invalid sort: use timestamp or -timestamp.")
		return
	}
	list := make([]obj, 0, len(evs))
	for _, ev := range evs {
		if full == "true" || full == "1" {
			list = append(list, f.eventJSON(ev))
		} else {
			list = append(list, f.eventSummaryJSON(ev))
		}
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

// getIssueEvent is .../issues/{id}/events/{event_id|latest|oldest|recommended}/.
func (f *Fake) getIssueEvent(w http.ResponseWriter, r *http.Request, c *call) {
	evs, ok := f.filterEvents(w, r, c.issue.events)
	if !ok {
		return
	}
	var ev *event
	switch id := r.PathValue("event"); id {
	case "latest":
		if len(evs) > 0 {
			ev = evs[len(evs)-1]
		}
	case "oldest":
		if len(evs) > 0 {
			ev = evs[0]
		}
	case "recommended":
		// The newest event whose trace the fake knows, else the newest.
		for i := len(evs) - 1; i >= 0 && ev == nil; i-- {
			if f.w.hasTrace(evs[i].TraceID) {
				ev = evs[i]
			}
		}
		if ev == nil && len(evs) > 0 {
			ev = evs[len(evs)-1]
		}
	default:
		for _, e := range c.issue.events {
			if e.ID == id {
				ev = e
			}
		}
	}
	if ev == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	writeJSON(w, http.StatusOK, f.eventJSON(ev))
}

func (w *world) hasTrace(traceID string) bool {
	for _, sp := range w.spans {
		if sp.TraceID == traceID {
			return true
		}
	}
	return false
}

// getProjectEvent is /projects/{org}/{project}/events/{event_id}/: an error
// event, or a transaction built from the seeded spans.
func (f *Fake) getProjectEvent(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("event")
	for _, is := range f.w.issues {
		if is.project != c.project {
			continue
		}
		for _, ev := range is.events {
			if ev.ID == id {
				writeJSON(w, http.StatusOK, f.eventJSON(ev))
				return
			}
		}
	}
	var spans []*span
	for _, sp := range f.w.spans {
		if sp.SegmentID == id && sp.project == c.project {
			spans = append(spans, sp)
		}
	}
	if len(spans) == 0 {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	writeJSON(w, http.StatusOK, f.transactionJSON(id, spans))
}

// transactionJSON is a transaction event: its root span plus children.
func (f *Fake) transactionJSON(id string, spans []*span) obj {
	root := spans[0]
	for _, sp := range spans {
		if sp.IsSegment {
			root = sp
		}
	}
	children := []obj{}
	for _, sp := range spans {
		if sp == root {
			continue
		}
		children = append(children, obj{
			"span_id": sp.SpanID, "parent_span_id": sp.ParentSpanID, "trace_id": sp.TraceID, "op": sp.Op,
			"description": sp.Description, "status": sp.Status, "start_timestamp": unixSeconds(sp.Start),
			"timestamp": unixSeconds(sp.End), "tags": sp.Tags, "data": obj{}, "same_process_as_parent": true,
			"exclusive_time": float64(sp.End.Sub(sp.Start).Microseconds()) / 1000,
		})
	}
	p := root.project
	return obj{
		"id": id, "groupID": nil, "eventID": id, "projectID": p.ID, "projectSlug": p.Slug, "size": 3000 + 400*len(spans),
		"entries": []obj{{"type": "spans", "data": children}}, "dist": nil, "message": "", "title": root.Transaction,
		"location": root.Transaction, "user": nil,
		"contexts": obj{"trace": obj{"trace_id": root.TraceID, "span_id": root.SpanID, "parent_span_id": nilIfEmpty(root.ParentSpanID),
			"op": root.Op, "status": root.Status, "exclusive_time": float64(root.End.Sub(root.Start).Microseconds()) / 1000, "type": "trace"}},
		"sdk": obj{"name": root.SDKName, "version": profiles[p.Slug].sdkVersion}, "context": obj{}, "packages": obj{},
		"type": "transaction", "metadata": obj{"location": root.Transaction, "title": root.Transaction},
		"tags": []obj{{"key": "environment", "value": root.Environment}, {"key": "release", "value": root.Release},
			{"key": "transaction", "value": root.Transaction}},
		"platform": profiles[p.Slug].platform, "dateReceived": isoTime(root.End.Add(300 * time.Millisecond)),
		"dateCreated": isoTime(root.End), "errors": []any{}, "occurrence": nil, "_meta": obj{},
		"startTimestamp": unixSeconds(root.Start), "endTimestamp": unixSeconds(root.End),
		"measurements": nil, "breakdowns": nil, "release": nil,
	}
}
