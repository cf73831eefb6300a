package sentrytest

import (
	"net/http"
	"sort"
)

// Traces: /trace-meta/{id}/ counts, /trace/{id}/ the span tree with errors
// hung on the span they happened in (or at the top level when their span
// is not part of the tree). An unknown trace is an empty answer, as in
// Sentry; a malformed id is a 400.

func validTraceID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, ch := range id {
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
			return false
		}
	}
	return true
}

// traceParts returns the organization's spans and error events in a trace.
func (f *Fake) traceParts(o *org, traceID string) ([]*span, []*event) {
	var spans []*span
	for _, sp := range f.w.spans {
		if sp.TraceID == traceID && sp.project.org == o {
			spans = append(spans, sp)
		}
	}
	var events []*event
	for _, is := range f.w.orgIssues(o) {
		for _, ev := range is.events {
			if ev.TraceID == traceID {
				events = append(events, ev)
			}
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].DateCreated.Before(events[j].DateCreated) })
	return spans, events
}

func (f *Fake) getTraceMeta(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("trace")
	if !validTraceID(id) {
		writeDetail(w, http.StatusBadRequest, "Invalid trace id")
		return
	}
	spans, events := f.traceParts(c.org, id)
	logs := 0
	for _, l := range f.w.logs {
		if l.TraceID == id && l.project.org == c.org {
			logs++
		}
	}
	perTxn := map[string]float64{}
	perOp := map[string]float64{}
	for _, sp := range spans {
		perTxn[sp.SegmentID]++
		perOp[sp.Op]++
	}
	txnIDs := sortedKeys(perTxn)
	childMap := []obj{}
	for _, tid := range txnIDs {
		childMap = append(childMap, obj{"transaction.event_id": tid, "count()": perTxn[tid]})
	}
	writeJSON(w, http.StatusOK, obj{
		"logs": logs, "errors": len(events), "performance_issues": 0, "span_count": float64(len(spans)),
		"transaction_child_count_map": childMap, "span_count_map": perOp,
	})
}

func (f *Fake) traceErrorJSON(ev *event, standalone bool) obj {
	is := ev.issue
	out := obj{
		"event_id": ev.ID, "issue_id": jsonInt(is.ID), "issue_short_id": is.ShortID, "span": ev.SpanID,
		"project_id": jsonInt(ev.project.ID), "project_slug": ev.project.Slug, "title": is.Title,
		"culprit": is.Culprit, "level": is.Level, "message": is.Message, "timestamp": unixSeconds(ev.DateCreated),
		"event_type": "error", "type": "error",
	}
	if standalone {
		out["id"] = jsonInt(is.ID)
	}
	return out
}

func (f *Fake) getTrace(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("trace")
	if !validTraceID(id) {
		writeDetail(w, http.StatusBadRequest, "Invalid trace id")
		return
	}
	spans, events := f.traceParts(c.org, id)
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	nodes := map[string]obj{}
	for _, sp := range spans {
		eventID := sp.SpanID
		if sp.IsSegment {
			eventID = sp.SegmentID
		}
		durMs := float64(sp.End.Sub(sp.Start).Microseconds()) / 1000
		nodes[sp.SpanID] = obj{
			"children": []obj{}, "errors": []obj{}, "occurrences": []obj{},
			"event_id": eventID, "transaction_id": sp.SegmentID, "transaction": sp.Transaction,
			"project_id": jsonInt(sp.project.ID), "project_slug": sp.project.Slug,
			"profile_id": "", "profiler_id": "", "parent_span_id": nilIfEmpty(sp.ParentSpanID),
			"start_timestamp": unixSeconds(sp.Start), "end_timestamp": unixSeconds(sp.End), "timestamp": unixSeconds(sp.End),
			"measurements": obj{}, "description": sp.Description, "duration": durMs, "exclusive_time": durMs,
			"trace": sp.TraceID, "span_id": sp.SpanID, "organization": nil, "op": sp.Op,
			"hash": Fingerprint(sp.Op + sp.Description), "status": sp.Status, "is_segment": sp.IsSegment,
			"sdk_name": sp.SDKName, "same_process_as_parent": !sp.IsSegment, "tags": sp.Tags, "data": obj{},
		}
	}
	var roots []obj
	for _, sp := range spans {
		n := nodes[sp.SpanID]
		if parent, ok := nodes[sp.ParentSpanID]; ok {
			parent["children"] = append(parent["children"].([]obj), n)
		} else {
			roots = append(roots, n)
		}
	}
	for _, ev := range events {
		if n, ok := nodes[ev.SpanID]; ok {
			n["errors"] = append(n["errors"].([]obj), f.traceErrorJSON(ev, false))
		} else {
			roots = append(roots, f.traceErrorJSON(ev, true))
		}
	}
	if roots == nil {
		roots = []obj{}
	}
	// Standalone errors sort in with the roots by time.
	sort.SliceStable(roots, func(i, j int) bool { return rootTime(roots[i]) < rootTime(roots[j]) })
	writeJSON(w, http.StatusOK, roots)
}

func rootTime(n obj) float64 {
	if v, ok := n["start_timestamp"].(float64); ok {
		return v
	}
	v, _ := n["timestamp"].(float64)
	return v
}
