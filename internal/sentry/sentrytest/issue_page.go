package sentrytest

import (
	"net/http"
)

// Issue permalinks point at /organizations/{org}/issues/{id}/ on the main
// server; this page is what a browser finds there in the demo.

var issuePage = lazyTemplate("issue", `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.ShortID}} - lookout demo Sentry</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto;">
<p><strong>This is lookout's demo Sentry, not the real sentry.io.</strong></p>
<h1>{{.ShortID}}: {{.Title}}</h1>
<p>{{.Culprit}}</p>
<p>Status {{.Status}}, level {{.Level}}, {{.Count}} events, {{.UserCount}} users, in {{.Org}}/{{.Project}}.</p>
</body>
</html>
`)

func (f *Fake) handleIssuePage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.w.org(r.PathValue("org"))
	if o == nil {
		writeOAuthErrorPage(w, http.StatusNotFound, "Not found", "No such organization in the demo Sentry.")
		return
	}
	is := f.w.issueInOrg(o, r.PathValue("issue"))
	if is == nil {
		writeOAuthErrorPage(w, http.StatusNotFound, "Not found", "No such issue in the demo Sentry.")
		return
	}
	renderHTML(w, http.StatusOK, issuePage, struct {
		ShortID, Title, Culprit, Status, Level, Org, Project string
		Count, UserCount                                     int
	}{is.ShortID, is.Title, is.Culprit, is.Status, is.Level, o.Slug, is.project.Slug, is.Count, is.UserCount})
}
