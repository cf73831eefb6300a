package sentrytest

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// /organizations/{org}/events/: Discover over the seeded data. Datasets:
// errors (also discover, the default), issuePlatform, spans, transactions
// and logs. Fields are columns or aggregates (count(), count_unique(col),
// last_seen(), first_seen(), min/max/avg/sum/p50/p75/p90/p95/p99(col),
// epm()); with aggregates the other fields group. Answers
// {"data": [...], "meta": {"fields": {...}, "units": {...}, ...}}.

var datasets = []string{"discover", "errors", "issuePlatform", "logs", "spans", "transactions"}

// row is one record of a dataset; values are string, int64, float64,
// bool or time.Time (nil when absent).
type row map[string]any

// columnTypes are the Discover types of known columns; anything else is a
// string (tags).
var columnTypes = map[string]string{
	"project.id": "integer", "issue.id": "integer", "timestamp": "date", "span.duration": "duration",
	"span.self_time": "duration", "transaction.duration": "duration", "is_transaction": "boolean",
	"severity_number": "integer", "precise.start_ts": "number", "precise.finish_ts": "number",
	"error.handled": "boolean", "error.unhandled": "boolean",
}

var funcRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([a-z_0-9]+)\(([^()]*)\)$`) })

func (f *Fake) errorRows(o *org, withCategory bool) []row {
	var rows []row
	for _, is := range f.w.orgIssues(o) {
		for _, ev := range is.events {
			r := row{}
			for _, t := range ev.tags {
				r[t[0]] = t[1]
			}
			for k, v := range map[string]any{
				"id": ev.ID, "title": is.Title, "message": firstNonEmpty(is.Message, is.Title), "project": is.project.Slug,
				"project.name": is.project.Slug, "project.id": jsonInt(is.project.ID), "issue": is.ShortID,
				"issue.id": jsonInt(is.ID), "timestamp": ev.DateCreated, "level": is.Level, "culprit": is.Culprit,
				"transaction": ev.Transaction, "environment": ev.Environment, "trace": ev.TraceID, "trace.span": ev.SpanID,
				"user.id": ev.User.ID, "user.email": ev.User.Email, "user.username": ev.User.Username,
				"user.display": ev.User.Email, "error.type": is.ExcType, "error.value": is.ExcValue,
				"error.handled": ev.Handled, "error.unhandled": !ev.Handled, "platform": is.Platform,
				"event.type": map[bool]string{true: "error", false: "default"}[is.ExcType != ""],
				"sdk.name":   ev.SDKName, "location": is.Filename,
			} {
				r[k] = v
			}
			if ev.Release != nil {
				r["release"] = ev.Release.Version
			}
			if withCategory {
				r["issue.category"], r["issue.type"] = "error", "error"
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func (f *Fake) spanRows(o *org, onlySegments bool) []row {
	roots := map[string]*span{}
	for _, sp := range f.w.spans {
		if sp.IsSegment {
			roots[sp.SegmentID] = sp
		}
	}
	var rows []row
	for _, sp := range f.w.spans {
		if sp.project.org != o || (onlySegments && !sp.IsSegment) {
			continue
		}
		dur := float64(sp.End.Sub(sp.Start).Microseconds()) / 1000
		txnSpan := sp.SpanID
		if root := roots[sp.SegmentID]; root != nil {
			txnSpan = root.SpanID
		}
		r := row{
			"id": sp.SpanID, "span_id": sp.SpanID, "span.op": sp.Op, "span.description": sp.Description,
			"span.duration": dur, "span.self_time": dur, "span.status": sp.Status, "transaction": sp.Transaction,
			"transaction.span_id": txnSpan, "transaction.id": sp.SegmentID, "transaction.event_id": sp.SegmentID,
			"timestamp": sp.End, "is_transaction": sp.IsSegment, "project": sp.project.Slug,
			"project.name": sp.project.Slug, "project.id": jsonInt(sp.project.ID), "trace": sp.TraceID,
			"parent_span": sp.ParentSpanID, "precise.start_ts": unixSeconds(sp.Start), "precise.finish_ts": unixSeconds(sp.End),
			"sdk.name": sp.SDKName, "environment": sp.Environment, "release": sp.Release, "title": sp.Description,
			"message": sp.Description,
		}
		if onlySegments {
			r["id"] = sp.SegmentID
			r["transaction.duration"] = dur
			r["event.type"] = "transaction"
			r["title"] = sp.Transaction
		}
		for k, v := range sp.Tags {
			r[k] = v
		}
		rows = append(rows, r)
	}
	return rows
}

var severityNumbers = map[string]int64{"trace": 1, "debug": 5, "info": 9, "warn": 13, "error": 17, "fatal": 21}

func (f *Fake) logRows(o *org) []row {
	var rows []row
	for _, l := range f.w.logs {
		if l.project.org != o {
			continue
		}
		rows = append(rows, row{
			"id": l.ID, "sentry.item_id": l.ID, "timestamp": l.Timestamp, "message": l.Message, "severity": l.Severity,
			"level": l.Severity, "severity_number": severityNumbers[l.Severity], "project": l.project.Slug,
			"project.name": l.project.Slug, "project.id": jsonInt(l.project.ID), "trace": l.TraceID, "logger": l.Logger,
			"environment": l.Environment, "release": l.Release,
		})
	}
	return rows
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return discoverTime(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// durationValue turns "100ms", "1.5s" or "100" into milliseconds.
func durationValue(v string) string {
	switch {
	case strings.HasSuffix(v, "ms"):
		return strings.TrimSuffix(v, "ms")
	case strings.HasSuffix(v, "s"):
		if n, err := strconv.ParseFloat(strings.TrimSuffix(v, "s"), 64); err == nil {
			return strconv.FormatFloat(n*1000, 'f', -1, 64)
		}
	}
	return v
}

func (f *Fake) rowMatches(r row, t term) (bool, error) {
	ok := false
	switch {
	case t.key == "":
		ok = containsText(t.values[0], toString(r["message"]), toString(r["title"]))
	case t.key == "has":
		for _, k := range t.values {
			ok = ok || toString(r[k]) != ""
		}
	case t.key == "timestamp":
		at, _ := r["timestamp"].(time.Time)
		m, err := matchTime(t, at, f.dataNow())
		if err != nil {
			return false, err
		}
		ok = m
	case columnTypes[t.key] == "duration":
		vals := slices.Clone(t.values)
		for i := range vals {
			vals[i] = durationValue(vals[i])
		}
		ok = matchValues(term{op: t.op, values: vals}, []string{toString(r[t.key])})
	default:
		ok = matchValues(t, []string{toString(r[t.key])})
	}
	return ok != t.negate, nil
}

// aggregate computes one aggregate field over a group of rows.
func aggregate(fn, arg string, rows []row, window time.Duration) (value any, typ, unit string, err error) {
	nums := func() []float64 {
		var out []float64
		for _, r := range rows {
			if v, ok := toFloat(r[arg]); ok {
				out = append(out, v)
			}
		}
		sort.Float64s(out)
		return out
	}
	numType := func() (string, string) {
		if columnTypes[arg] == "duration" {
			return "duration", "millisecond"
		}
		return "number", ""
	}
	switch fn {
	case "count":
		return int64(len(rows)), "integer", "", nil
	case "count_unique":
		seen := map[string]bool{}
		for _, r := range rows {
			if s := toString(r[arg]); s != "" {
				seen[s] = true
			}
		}
		return int64(len(seen)), "integer", "", nil
	case "last_seen", "first_seen":
		var best time.Time
		for _, r := range rows {
			at, _ := r["timestamp"].(time.Time)
			if best.IsZero() || (fn == "last_seen") == at.After(best) {
				best = at
			}
		}
		return discoverTime(best), "date", "", nil
	case "epm", "eps":
		per := window.Minutes()
		unit := "1/minute"
		if fn == "eps" {
			per, unit = window.Seconds(), "1/second"
		}
		return float64(len(rows)) / math.Max(per, 1), "rate", unit, nil
	case "min", "max", "avg", "sum", "p50", "p75", "p90", "p95", "p99", "p100":
		if arg == "" {
			return nil, "", "", fmt.Errorf("%s() needs a column", fn)
		}
		v := nums()
		typ, unit := numType()
		if len(v) == 0 {
			return nil, typ, unit, nil
		}
		switch fn {
		case "min":
			return v[0], typ, unit, nil
		case "max":
			return v[len(v)-1], typ, unit, nil
		case "sum":
			s := 0.0
			for _, x := range v {
				s += x
			}
			return s, typ, unit, nil
		case "avg":
			s := 0.0
			for _, x := range v {
				s += x
			}
			return s / float64(len(v)), typ, unit, nil
		}
		q, _ := strconv.ParseFloat(fn[1:], 64)
		idx := int(math.Ceil(q/100*float64(len(v)))) - 1
		return v[max(0, min(idx, len(v)-1))], typ, unit, nil
	}
	return nil, "", "", fmt.Errorf("%s is not a valid function", fn+"("+arg+")")
}

func (f *Fake) discover(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	dataset := q.Get("dataset")
	if dataset == "" {
		dataset = "discover"
	}
	if !slices.Contains(datasets, dataset) {
		writeDetail(w, http.StatusBadRequest, "dataset must be one of: "+strings.Join(datasets, ", "))
		return
	}
	fields := queryValues(r, "field")
	if len(fields) == 0 {
		writeDetail(w, http.StatusBadRequest, "No columns selected")
		return
	}
	terms, err := parseQuery(q.Get("query"))
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	from, to, err := parseStatsPeriod(q, f.dataNow(), 14*24*time.Hour)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	var rows []row
	switch dataset {
	case "errors", "discover":
		rows = f.errorRows(c.org, false)
	case "issuePlatform":
		rows = f.errorRows(c.org, true)
	case "spans":
		rows = f.spanRows(c.org, false)
	case "transactions":
		rows = f.spanRows(c.org, true)
	case "logs":
		rows = f.logRows(c.org)
	}
	// Newest first unless sorted otherwise.
	sort.SliceStable(rows, func(i, j int) bool {
		a, _ := rows[i]["timestamp"].(time.Time)
		b, _ := rows[j]["timestamp"].(time.Time)
		return a.After(b)
	})

	var pre, post []term
	for _, t := range terms {
		if funcRe().MatchString(t.key) {
			post = append(post, t)
		} else {
			pre = append(pre, t)
		}
	}
	envs := queryValues(r, "environment")
	var kept []row
	for _, rw := range rows {
		at, _ := rw["timestamp"].(time.Time)
		if at.Before(from) || at.After(to) {
			continue
		}
		if projects != nil && !slices.ContainsFunc(projects, func(p *project) bool { return p.Slug == rw["project"] }) {
			continue
		}
		if len(envs) > 0 && !slices.Contains(envs, toString(rw["environment"])) {
			continue
		}
		keep := true
		for _, t := range pre {
			m, err := f.rowMatches(rw, t)
			if err != nil {
				writeDetail(w, http.StatusBadRequest, err.Error())
				return
			}
			keep = keep && m
		}
		if keep {
			kept = append(kept, rw)
		}
	}

	types, units := obj{}, obj{}
	var groupBy, aggs []string
	for _, fld := range fields {
		if funcRe().MatchString(fld) {
			aggs = append(aggs, fld)
		} else {
			groupBy = append(groupBy, fld)
		}
	}
	for _, a := range aggs {
		m := funcRe().FindStringSubmatch(a)
		_, typ, unit, err := aggregate(m[1], strings.TrimSpace(m[2]), nil, to.Sub(from))
		if err != nil {
			writeDetail(w, http.StatusBadRequest, err.Error())
			return
		}
		types[a], units[a] = typ, nilIfEmpty(unit)
	}
	var out []row
	if len(aggs) == 0 {
		for _, rw := range kept {
			o := row{}
			for _, fld := range fields {
				o[fld] = rw[fld]
			}
			out = append(out, o)
		}
	} else {
		groups := map[string][]row{}
		var order []string
		for _, rw := range kept {
			var key strings.Builder
			for _, g := range groupBy {
				key.WriteString(toString(rw[g]) + "\x00")
			}
			k := key.String()
			if _, seen := groups[k]; !seen {
				order = append(order, k)
			}
			groups[k] = append(groups[k], rw)
		}
		if len(groupBy) == 0 && len(order) == 0 {
			order, groups[""] = []string{""}, nil
		}
		for _, k := range order {
			members := groups[k]
			o := row{}
			if len(members) > 0 {
				for _, g := range groupBy {
					o[g] = members[0][g]
				}
			}
			for _, a := range aggs {
				m := funcRe().FindStringSubmatch(a)
				o[a], _, _, _ = aggregate(m[1], strings.TrimSpace(m[2]), members, to.Sub(from))
			}
			keep := true
			for _, t := range post {
				keep = keep && matchValues(t, []string{toString(o[t.key])}) != t.negate
			}
			if keep {
				out = append(out, o)
			}
		}
	}
	for _, fld := range groupBy {
		typ := columnTypes[fld]
		if typ == "" {
			typ = "string"
		}
		if dataset == "spans" && fld == "timestamp" {
			typ = "string" // as Sentry's spans dataset reports it
		}
		types[fld] = typ
		if typ == "duration" {
			units[fld] = "millisecond"
		} else {
			units[fld] = nil
		}
	}

	// One sort key, which must be a selected field ("-count" names count()).
	if sorts := queryValues(r, "sort"); len(sorts) > 0 {
		desc := strings.HasPrefix(sorts[0], "-")
		key := strings.TrimPrefix(sorts[0], "-")
		if !slices.Contains(fields, key) && slices.Contains(fields, key+"()") {
			key += "()"
		}
		if !slices.Contains(fields, key) {
			writeDetail(w, http.StatusBadRequest, "orderby must also be in the selected columns or groupby")
			return
		}
		sort.SliceStable(out, func(i, j int) bool {
			c := compareValues(out[i][key], out[j][key])
			if desc {
				return c > 0
			}
			return c < 0
		})
	}

	list := make([]obj, len(out))
	for i, o := range out {
		item := obj{}
		for _, fld := range fields {
			v := o[fld]
			if t, ok := v.(time.Time); ok {
				v = discoverTime(t)
			}
			item[fld] = v
		}
		list[i] = item
	}
	lo, hi, ok := f.paginate(w, r, c, len(list), "per_page", 50, 100)
	if !ok {
		return
	}
	meta := obj{
		"fields": types, "units": units, "isMetricsData": false, "isMetricsExtractedData": false,
		"tips": obj{"query": nil, "columns": nil}, "datasetReason": "unchanged", "dataset": dataset,
	}
	if dataset == "spans" || dataset == "logs" {
		meta["dataScanned"] = "full"
	}
	page := list[lo:hi]
	if page == nil {
		page = []obj{}
	}
	writeJSON(w, http.StatusOK, obj{"data": page, "meta": meta})
}

func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if x, ok := toFloat(a); ok {
		if y, ok := toFloat(b); ok {
			return cmpFloat(x, y)
		}
	}
	if x, ok := a.(time.Time); ok {
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	}
	return strings.Compare(toString(a), toString(b))
}
