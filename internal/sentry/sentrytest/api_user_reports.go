package sentrytest

import "net/http"

// listUserReports serves an issue's user reports, newest first.
func (f *Fake) listUserReports(w http.ResponseWriter, r *http.Request, c *call) {
	reports := f.w.inspectOf(c.org).userReports[c.issue]
	list := []obj{}
	for i := len(reports) - 1; i >= 0; i-- {
		list = append(list, reports[i])
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}
