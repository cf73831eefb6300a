package slack

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
)

// The connect pages: html/template (every value escaped), one inline
// stylesheet allowed by its hash, no script, no image, kept out of frames,
// caches and Referer headers. The same look and headers as the
// authorization server's pages.

const pageCSS = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}` +
	`h1{font-size:1.4rem;margin-bottom:.5rem}code{font-family:ui-monospace,Menlo,monospace;font-size:.9em}` +
	`.warn{background:#fff6e5;border-left:4px solid #d97706;padding:.5rem 1rem;margin:1rem 0}` +
	`.muted{color:#5f5f6b;font-size:.9rem}` +
	`button{font:inherit;padding:.5rem 1.2rem;border-radius:6px;border:0;background:#362d59;color:#fff;cursor:pointer}`

var pageStyleHash = func() string {
	h := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>{{.Title}} · lookout</title><style>` + pageCSS + `</style></head>
<body><h1>{{.Title}}</h1>
<p>{{.What}}</p>
{{if .Note}}<p class="warn">{{.Note}}</p>{{end}}
{{if .Todo}}<p>{{.Todo}}</p>{{end}}
<p class="muted">lookout answers your Sentry questions in Slack with your own Sentry access.</p>
</body></html>
`))

var confirmPage = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>Connect Sentry · lookout</title><style>` + pageCSS + `</style></head>
<body><h1>Connect your Sentry account?</h1>
<p>This link connects a Sentry account to the Slack user
<strong>{{if .Who}}{{.Who}} ({{.User}}){{else}}{{.User}}{{end}}</strong> in workspace <code>{{.Team}}</code>.
lookout will then answer that Slack user's questions with the Sentry access you grant next.</p>
<p class="warn">Continue only if you are that Slack user and asked lookout for this link yourself.
If someone sent it to you, close this page: whoever the link is for would get your Sentry access.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="s" value="{{.Link}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit">Continue to Sentry</button>
</form>
<p class="muted">lookout answers your Sentry questions in Slack with your own Sentry access.</p>
</body></html>
`))

// confirmView is the connect confirmation page.
type confirmView struct {
	Who, User, Team string // Slack display name ("" if unknown), user and team ids
	Action          string // where the form posts
	Link, CSRF      string // the link's state and the form's CSRF token
}

// renderConfirm writes the confirmation page. Its form may lead to lookout
// and, through the redirect after it, to Sentry: Chrome applies
// form-action to that redirect too.
func renderConfirm(w http.ResponseWriter, v confirmView, sentryURL string) {
	var buf bytes.Buffer
	if err := confirmPage.Execute(&buf, v); err != nil {
		securityHeaders(w)
		http.Error(w, "lookout could not render this page", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	formAction := "'self'"
	if u, err := url.Parse(sentryURL); err == nil && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+pageStyleHash+
		"; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// pageView is a page that says what happened and what to do.
type pageView struct {
	Title string
	What  string
	Note  string // a warning, when there is one
	Todo  string
}

// securityHeaders go with every page and redirect.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+pageStyleHash+
		"; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// renderPage writes a page, rendered into a buffer first so a template
// error never leaves half a page.
func renderPage(w http.ResponseWriter, status int, v pageView) {
	var buf bytes.Buffer
	securityHeaders(w)
	if err := page.Execute(&buf, v); err != nil {
		http.Error(w, "lookout could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
