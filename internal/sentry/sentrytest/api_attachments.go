package sentrytest

import (
	"bytes"
	"net/http"
	"strconv"
)

// Event attachments: the listing of an event's files, and one file's
// metadata or (?download=1) its bytes.

// eventAttachments finds {event} in {project} and its attachments; an
// unknown event is a 404.
func (f *Fake) eventAttachments(w http.ResponseWriter, r *http.Request, c *call) ([]*attachment, bool) {
	id := r.PathValue("event")
	for _, is := range f.w.orgIssues(c.org) {
		for _, ev := range is.events {
			if ev.ID == id && ev.project == c.project {
				return f.w.inspectOf(c.org).attachments[id], true
			}
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
	return nil, false
}

func attachmentJSON(a *attachment) obj {
	size := len(a.data)
	if a.data == nil {
		size = a.size
	}
	return obj{"id": a.ID, "name": a.Name, "type": a.Type, "size": size, "mimetype": a.MIME, "dateCreated": isoTime(a.created),
		"sha1": Fingerprint(a.Name) + "0123456789abcdef0123456789abcdef", "headers": obj{"Content-Type": a.MIME}}
}

func (f *Fake) listAttachments(w http.ResponseWriter, r *http.Request, c *call) {
	as, ok := f.eventAttachments(w, r, c)
	if !ok {
		return
	}
	list := []obj{}
	for _, a := range as {
		list = append(list, attachmentJSON(a))
	}
	writeJSON(w, http.StatusOK, list)
}

func (f *Fake) getAttachment(w http.ResponseWriter, r *http.Request, c *call) {
	as, ok := f.eventAttachments(w, r, c)
	if !ok {
		return
	}
	for _, a := range as {
		if a.ID != r.PathValue("attachment") {
			continue
		}
		if r.URL.Query().Get("download") == "" {
			writeJSON(w, http.StatusOK, attachmentJSON(a))
			return
		}
		data := a.data
		if data == nil {
			data = bytes.Repeat([]byte{0xab}, a.size)
		}
		w.Header().Set("Content-Type", a.MIME)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("Content-Disposition", `attachment; filename="`+a.Name+`"`)
		_, _ = w.Write(data)
		return
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
}
