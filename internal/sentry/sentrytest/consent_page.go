package sentrytest

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"sync"
)

// The demo's OAuth pages. html/template escapes every value; nothing here
// is marked safe.

var consentPage = lazyTemplate("consent", `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Authorize {{.AppName}} - lookout demo Sentry</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #2b1d38; }
.banner { background: #fff3cd; border: 2px solid #e0a800; padding: .75rem 1rem; border-radius: 6px; font-weight: 600; }
fieldset { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; }
li { margin: .25rem 0; }
code { background: #f4f1f7; padding: 0 .25rem; }
button { font-size: 1rem; padding: .5rem 1.25rem; margin-right: .5rem; }
</style>
</head>
<body>
<p class="banner" role="alert">This is lookout's demo Sentry, not the real sentry.io. Nothing you approve here reaches a real Sentry account.</p>
<h1>Authorize {{.AppName}}</h1>
<p><strong>{{.AppName}}</strong> (client <code>{{.ClientID}}</code>) wants to act as the user you pick below and will be sent back to <code>{{.RedirectHost}}</code>.</p>
<form method="post" action="/oauth/authorize/">
<input type="hidden" name="form_token" value="{{.FormToken}}">
<fieldset>
<legend>Requested permissions</legend>
<ul>
{{range .Scopes}}<li><code>{{.Name}}</code>: {{.Description}}</li>
{{else}}<li>No scopes: only your identity.</li>
{{end}}</ul>
</fieldset>
<fieldset>
<legend>Sign in as a demo user</legend>
{{range .Users}}<label><input type="radio" name="user" value="{{.ID}}"{{if .Checked}} checked{{end}}> {{.Name}} &lt;{{.Email}}&gt; ({{.Orgs}})</label><br>
{{end}}</fieldset>
<button type="submit" name="op" value="approve">Approve</button>
<button type="submit" name="op" value="deny">Deny</button>
</form>
</body>
</html>
`)

var errorPage = lazyTemplate("error", `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}} - lookout demo Sentry</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto;">
<p><strong>This is lookout's demo Sentry, not the real sentry.io.</strong></p>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body>
</html>
`)

type consentScope struct{ Name, Description string }

type consentUser struct {
	ID, Name, Email, Orgs string
	Checked               bool
}

func (f *Fake) renderConsentPage(w http.ResponseWriter, ar authRequest, formToken string) {
	data := struct {
		AppName, ClientID, RedirectHost, FormToken string
		Scopes                                     []consentScope
		Users                                      []consentUser
	}{AppName: f.opts.AppName, ClientID: ar.clientID, FormToken: formToken}
	if u, err := url.Parse(ar.redirectURI); err == nil {
		data.RedirectHost = u.Host
	}
	for _, s := range ar.scopes {
		data.Scopes = append(data.Scopes, consentScope{s, scopeDescriptions[s]})
	}
	for _, u := range f.w.users {
		cu := consentUser{ID: u.ID, Name: u.Name, Email: u.Email, Checked: u.ID == f.consentUser, Orgs: "no organizations"}
		var orgs []byte
		for _, o := range f.w.orgs {
			if o.role(u.ID) != "" {
				if len(orgs) > 0 {
					orgs = append(orgs, ", "...)
				}
				orgs = append(orgs, o.Slug...)
			}
		}
		if len(orgs) > 0 {
			cu.Orgs = string(orgs)
		}
		data.Users = append(data.Users, cu)
	}
	renderHTML(w, http.StatusOK, consentPage, data)
}

// writeOAuthErrorPage is Sentry's oauth-error page: shown, not redirected,
// when the client or redirect URI cannot be trusted.
func writeOAuthErrorPage(w http.ResponseWriter, status int, title, message string) {
	renderHTML(w, status, errorPage, struct{ Title, Message string }{title, message})
}

func renderHTML(w http.ResponseWriter, status int, page func() *template.Template, data any) {
	var buf bytes.Buffer
	if err := page().Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// lazyTemplate parses text when the page is first rendered: the demo
// links this package into lookout, and every subcommand would otherwise
// parse the fake's pages at start-up.
func lazyTemplate(name, text string) func() *template.Template {
	return sync.OnceValue(func() *template.Template { return template.Must(template.New(name).Parse(text)) })
}
