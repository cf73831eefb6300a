package sentrytest

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Profiling: a transaction's flamegraph (the last 7 days, or a longer
// baseline with other numbers, so comparisons find a change), one
// transaction profile, and continuous-profile chunks.

var transactionTerm = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`transaction:"((?:[^"\\]|\\.)*)"`) })

func (f *Fake) flamegraph(w http.ResponseWriter, r *http.Request, c *call) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	if len(projects) != 1 {
		writeDetail(w, http.StatusBadRequest, "You must specify exactly one project.")
		return
	}
	q := r.URL.Query()
	period := 7 * 24 * time.Hour
	if v := q.Get("statsPeriod"); v != "" {
		d, ok := parseRelative(v)
		if !ok {
			writeDetail(w, http.StatusBadRequest, "Invalid statsPeriod: "+v)
			return
		}
		period = d
	}
	txn := ""
	if m := transactionTerm().FindStringSubmatch(q.Get("query")); m != nil {
		txn = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[1])
	}
	for _, fg := range f.w.inspectOf(c.org).flamegraphs {
		if fg.project == projects[0] && fg.transaction == txn {
			if period > 7*24*time.Hour {
				writeJSON(w, http.StatusOK, fg.baseline)
			} else {
				writeJSON(w, http.StatusOK, fg.current)
			}
			return
		}
	}
	writeJSON(w, http.StatusOK, obj{
		"activeProfileIndex": 0, "platform": "", "projectID": jsonInt(projects[0].ID), "transactionName": txn, "profiles": []obj{},
		"shared": obj{"frames": []obj{}, "frame_infos": []obj{}, "profiles": []obj{}},
	})
}

func (f *Fake) getProfile(w http.ResponseWriter, r *http.Request, c *call) {
	for _, p := range f.w.inspectOf(c.org).profiles {
		if p.ID == r.PathValue("profile") && p.project == c.project {
			writeJSON(w, http.StatusOK, p.payload)
			return
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
}

func (f *Fake) profileChunks(w http.ResponseWriter, r *http.Request, c *call) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	q := r.URL.Query()
	from, to, err := parseStatsPeriod(map[string][]string{"start": {q.Get("start")}, "end": {q.Get("end")}}, f.dataNow(), time.Hour)
	if err != nil || len(projects) != 1 || q.Get("profiler_id") == "" || q.Get("start") == "" {
		writeDetail(w, http.StatusBadRequest, "profiler_id, one project, start and end are required")
		return
	}
	for _, ch := range f.w.inspectOf(c.org).chunks {
		if ch.profilerID == q.Get("profiler_id") && ch.project == projects[0] && ch.start.Before(to) && ch.end.After(from) {
			writeJSON(w, http.StatusOK, obj{"chunk": ch.payload})
			return
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
}
