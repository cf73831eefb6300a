package sentrytest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Replays: one replay's summary ({"data": ...}) and its recording segments
// (?download=true: a JSON array of segments, each an array of rrweb events).

// findReplay resolves {replay}: 32 hex characters, dashes allowed (UUID
// form). A malformed id is a 400, as in Sentry.
func (f *Fake) findReplay(w http.ResponseWriter, r *http.Request, c *call) *replay {
	id := strings.ToLower(strings.ReplaceAll(r.PathValue("replay"), "-", ""))
	if !validTraceID(id) {
		writeDetail(w, http.StatusBadRequest, "Invalid replay id.")
		return nil
	}
	for _, rp := range f.w.inspectOf(c.org).replays {
		if rp.ID == id && (c.project == nil || rp.project == c.project) {
			return rp
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
	return nil
}

func (f *Fake) getReplay(w http.ResponseWriter, r *http.Request, c *call) {
	if rp := f.findReplay(w, r, c); rp != nil {
		writeJSON(w, http.StatusOK, obj{"data": rp.payload})
	}
}

func (f *Fake) replaySegments(w http.ResponseWriter, r *http.Request, c *call) {
	rp := f.findReplay(w, r, c)
	if rp == nil {
		return
	}
	if rp.segments == nil || rp.payload["is_archived"] == true {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	b, _ := json.Marshal(rp.segments)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rp.ID+`.json"`)
	_, _ = w.Write(b)
}
