package sentrytest

import (
	"net/http"
	"strconv"
)

// Preprod snapshots: a snapshot run, one image's comparison, the latest
// base snapshot of an app, and the image files themselves.

func (f *Fake) findSnapshot(w http.ResponseWriter, r *http.Request, c *call) *snapshot {
	for _, s := range f.w.inspectOf(c.org).snapshots {
		if s.ID == r.PathValue("snapshot") {
			return s
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
	return nil
}

func (f *Fake) getSnapshot(w http.ResponseWriter, r *http.Request, c *call) {
	if s := f.findSnapshot(w, r, c); s != nil {
		writeJSON(w, http.StatusOK, s.payload)
	}
}

func (f *Fake) getSnapshotImage(w http.ResponseWriter, r *http.Request, c *call) {
	s := f.findSnapshot(w, r, c)
	if s == nil {
		return
	}
	if d, ok := s.images[r.PathValue("image")]; ok {
		writeJSON(w, http.StatusOK, d)
		return
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
}

// latestBaseSnapshot answers the newest base-branch snapshot of app_id
// (or the newest on branch=), optionally within project= or projectSlug=.
func (f *Fake) latestBaseSnapshot(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	if q.Get("app_id") == "" {
		writeDetail(w, http.StatusBadRequest, "app_id is required")
		return
	}
	var p *project
	if ref := q.Get("project") + q.Get("projectSlug"); ref != "" {
		if p = c.org.projectByRef(ref); p == nil {
			writeDetail(w, http.StatusNotFound, DetailNotFound)
			return
		}
	}
	var best *snapshot
	for _, s := range f.w.inspectOf(c.org).snapshots {
		branchOK := s.base
		if b := q.Get("branch"); b != "" {
			branchOK = s.branch == b
		}
		if s.appID == q.Get("app_id") && branchOK && (p == nil || s.project == p) && (best == nil || s.created.After(best.created)) {
			best = s
		}
	}
	if best == nil {
		writeDetail(w, http.StatusNotFound, "No base snapshot found for this app.")
		return
	}
	writeJSON(w, http.StatusOK, best.payload)
}

func (f *Fake) snapshotFile(w http.ResponseWriter, r *http.Request, c *call) {
	fl := f.w.inspectOf(c.org).files[r.PathValue("file")]
	if fl == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	if fl.data == nil {
		fl.data = fl.draw()
	}
	w.Header().Set("Content-Type", fl.mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(fl.data)))
	_, _ = w.Write(fl.data)
}
