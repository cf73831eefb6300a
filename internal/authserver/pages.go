package authserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
	"sync"

	"github.com/lookout-hq/lookout/internal/requestid"
)

// Pages are html/template (every value escaped), self-contained (one
// inline stylesheet allowed by its hash, no script, no image) and served
// with headers that keep them out of frames, caches and Referer headers.

const pageCSS = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}` +
	`h1{font-size:1.4rem;margin-bottom:.5rem}code,.mono{font-family:ui-monospace,Menlo,monospace;font-size:.9em;word-break:break-all}` +
	`.box{border:1px solid #d0d0d7;border-radius:8px;padding:.75rem 1.25rem;margin:1rem 0}` +
	`.warn{background:#fff6e5;border-left:4px solid #d97706;padding:.5rem 1rem;margin:1rem 0}` +
	`.muted{color:#5f5f6b;font-size:.9rem}dt{font-weight:600;margin-top:.5rem}dd{margin-left:0}` +
	`button{font-size:1rem;padding:.5rem 1.25rem;margin:.5rem .5rem 0 0;border-radius:6px;border:1px solid #8a8a96;background:#fff;cursor:pointer}` +
	`button.primary{background:#362d59;border-color:#362d59;color:#fff}`

var pageStyleHash = func() string {
	h := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

// The pages are parsed on first use, not at start-up: every lookout
// subcommand links this package, `lookout mcp` included.
var layout = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("layout").Parse(layoutHTML))
})

const layoutHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>{{.Title}} · lookout</title><style>` + pageCSS + `</style></head>
<body>{{template "body" .}}</body></html>
`

// pageTemplate is the page of body in the layout, parsed when first
// rendered.
func pageTemplate(body string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.Must(layout().Clone()).Parse(`{{define "body"}}` + body + `{{end}}`))
	})
}

var errorPage = pageTemplate(`<h1>{{.Title}}</h1>
<p>{{.What}}</p>
{{if .URL}}<p>{{.URLLabel}}</p><p class="box"><code>{{.URL}}</code></p>{{end}}
<p><strong>What to do:</strong> {{.Todo}}</p>
{{if .Link}}<p><a href="{{.Link}}" rel="noreferrer">{{.LinkText}}</a></p>{{end}}
{{if .RequestID}}<p class="muted">Request id <code>{{.RequestID}}</code>: quote it to whoever runs lookout if this keeps happening.</p>{{end}}
<p class="muted">lookout connects your MCP client to Sentry with your own Sentry access.</p>`)

// errorView is a page that says what happened and what to do.
type errorView struct {
	Title    string
	What     string
	Todo     string
	URLLabel string // introduces URL
	URL      string // shown verbatim, e.g. the redirect URL Sentry must have
	// Link is trusted as a URL (html/template would otherwise replace a
	// registered private-use scheme with "#ZgotmplZ"): only lookout's own
	// values and registered redirect URIs go here.
	Link     template.URL
	LinkText string
	// RequestID is set by errorPage: the id on this request's log lines.
	RequestID string
}

// startAgain is the usual advice after a failed MCP sign-in.
const startAgain = "Start again from your MCP client (reconnect the server, or run its sign-in command)."

// securityHeaders are sent with every page. formAction lists where forms
// (and the redirects that follow a submission, which Chrome also checks)
// may go; empty means nowhere.
func securityHeaders(w http.ResponseWriter, formAction ...string) {
	fa := "'none'"
	if len(formAction) > 0 {
		fa = strings.Join(formAction, " ")
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+pageStyleHash+
		"; form-action "+fa+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// renderPage writes t with v. It renders into a buffer first so that a
// template error never leaves half a page.
func (s *Server) renderPage(w http.ResponseWriter, status int, page func() *template.Template, v any, formAction ...string) {
	var buf bytes.Buffer
	if err := page().Execute(&buf, v); err != nil {
		ctx := responseCtx(w)
		s.log.ErrorContext(ctx, "authserver: rendering page", "err", err)
		securityHeaders(w)
		http.Error(w, "lookout could not render this page"+requestid.Suffix(ctx), http.StatusInternalServerError)
		return
	}
	securityHeaders(w, formAction...)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, status int, v errorView) {
	v.RequestID = w.Header().Get(requestid.Header)
	s.renderPage(w, status, errorPage, v)
}

// responseCtx is a context carrying the request id that serve's middleware
// (internal/requestid) put on w, for helpers handed only the response: their
// log lines and messages then name the request like every other.
func responseCtx(w http.ResponseWriter) context.Context {
	return requestid.With(context.Background(), w.Header().Get(requestid.Header))
}
