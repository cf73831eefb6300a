package sentrytest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Agent conversations: the listing (free-text query over title and
// messages, project, environment and time window) and one conversation's
// spans, paged. An unknown conversation has no spans, as in Sentry.

// conversationsIn are the organization's conversations within the
// request's projects, environments and window.
func (f *Fake) conversationsIn(w http.ResponseWriter, r *http.Request, c *call) ([]*conversation, bool) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return nil, false
	}
	from, to, err := parseStatsPeriod(r.URL.Query(), f.dataNow(), 30*24*time.Hour)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	envs := queryValues(r, "environment")
	var out []*conversation
	for _, cv := range f.w.inspectOf(c.org).conversations {
		start := time.UnixMilli(cv.summary["startTimestamp"].(int64)).UTC()
		if (projects == nil || slices.Contains(projects, cv.project)) && (envs == nil || slices.Contains(envs, cv.env)) &&
			!start.Before(from) && start.Before(to) {
			out = append(out, cv)
		}
	}
	return out, true
}

func (f *Fake) listConversations(w http.ResponseWriter, r *http.Request, c *call) {
	cvs, ok := f.conversationsIn(w, r, c)
	if !ok {
		return
	}
	text := strings.ToLower(r.URL.Query().Get("query"))
	list := []obj{}
	for _, cv := range cvs {
		s := cv.summary
		if text == "" || containsText(text, cv.Title, toString(s["firstInput"]), toString(s["lastOutput"])) {
			list = append(list, s)
		}
	}
	f.writePage(w, r, c, list, "per_page", 10, 100)
}

func (f *Fake) getConversation(w http.ResponseWriter, r *http.Request, c *call) {
	cvs, ok := f.conversationsIn(w, r, c)
	if !ok {
		return
	}
	id := r.PathValue("conversation")
	var title any
	spans := []obj{}
	for _, cv := range cvs {
		if cv.ID == id {
			title, spans = cv.Title, cv.spans
		}
	}
	lo, hi, ok := f.paginate(w, r, c, len(spans), "per_page", 100, 1000)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, obj{"conversationId": id, "title": title, "spans": spans[lo:hi]})
}
