package authserver

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The approval page asks the user, in lookout's own name and before any
// Sentry consent, whether this MCP client may act for them (MCP security
// best practices, "Confused Deputy Problem": per-client consent in a proxy
// with a static upstream client id).

var approvalPage = pageTemplate(`<h1>Allow {{.ClientName}} to use Sentry as you?</h1>
{{if .DocumentHost}}<p>This client is described by a document on <strong class="mono">{{.DocumentHost}}</strong>.</p>
<p class="muted">The name is what that document says; lookout checked only that {{.DocumentHost}} serves it, not who runs {{.DocumentHost}}. Approve only if you trust {{.DocumentHost}}.</p>
{{else}}<p class="muted">The name is what the client calls itself; lookout cannot verify it.</p>{{end}}
{{if .OtherHost}}<p class="warn">After you approve, you will be sent to {{.RedirectTarget}}, not to {{.DocumentHost}} where this client's document is. Approve only if you expected that.</p>{{end}}
<div class="box"><dl>
<dt>Client</dt><dd>{{.ClientName}}<br><span class="mono muted">{{.ClientID}}</span></dd>
<dt>After you approve, you will be sent back to</dt><dd><span class="mono">{{.RedirectTarget}}</span></dd>
<dt>It will be able to</dt><dd><ul>{{range .Permissions}}<li>{{.}}</li>{{end}}</ul></dd>
<dt>In</dt><dd>{{.Access}}</dd>
</dl></div>
{{if .LocalRedirect}}<p class="warn">The sign-in goes to {{.RedirectTarget}}, not to a website. Any program there could be asking: approve only if you started connecting an MCP client on this computer just now.</p>{{end}}
<p>If you approve, Sentry ({{.SentryHost}}) asks you next to confirm access for lookout. The client never sees your Sentry credentials: it gets a lookout token that you can revoke.</p>
<form method="post" action="/oauth/authorize">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button class="primary" type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="muted">Only approve clients you recognise. You can revoke access later by signing out in the client.</p>`)

type approvalView struct {
	Title      string
	ClientName string
	ClientID   string
	// DocumentHost is the host of a client metadata document's URL (the
	// client id), shown prominently: the name is only what that host says.
	DocumentHost string
	// OtherHost: the redirect URI is an https URL on another host than
	// DocumentHost.
	OtherHost      bool
	RedirectTarget string
	LocalRedirect  bool
	Permissions    []string
	Access         string
	SentryHost     string
	Fields         []formField
	CSRF           string
}

type formField struct{ Name, Value string }

// renderApproval shows the approval page for req.
func (s *Server) renderApproval(w http.ResponseWriter, r *http.Request, req authRequest, c *client) {
	csrf, err := s.csrfToken(w, r, req.hash())
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: csrf token", "err", err)
		s.errorPage(w, http.StatusInternalServerError, errorView{Title: "Something went wrong",
			What: "lookout could not show the approval page.", Todo: "Try again in a moment."})
		return
	}
	target, local, redirectSource := describeRedirect(req.RedirectURI)
	var docHost string
	otherHost := false
	if c.document {
		id, _ := url.Parse(c.ID) // checked when the document was fetched
		docHost = id.Hostname()
		if ru, err := url.Parse(req.RedirectURI); err == nil && ru.Scheme == "https" {
			otherHost = !strings.EqualFold(ru.Hostname(), docHost)
		}
	}
	v := approvalView{
		Title:          "Approve " + c.displayName(),
		ClientName:     c.displayName(),
		ClientID:       c.ID,
		DocumentHost:   docHost,
		OtherHost:      otherHost,
		RedirectTarget: target,
		LocalRedirect:  local,
		Permissions:    permissionWords(req.Scope),
		Access:         s.describeResource(req.Resource),
		SentryHost:     s.sentryHost(),
		CSRF:           csrf,
		Fields: []formField{
			{"response_type", "code"}, {"client_id", req.ClientID}, {"redirect_uri", req.RedirectURI},
			{"state", req.State}, {"code_challenge", req.CodeChallenge}, {"code_challenge_method", "S256"},
			{"scope", req.Scope}, {"resource", req.Resource},
		},
	}
	// Chrome applies form-action to the redirects after a submission too:
	// approve goes to Sentry, back here, then to the client; deny goes
	// straight to the client.
	s.renderPage(w, http.StatusOK, approvalPage, v, "'self'", s.sentryOrigin, redirectSource)
}

// describeRedirect says where a redirect URI leads, whether that is this
// computer, and the CSP source expression that allows it.
func describeRedirect(raw string) (target string, local bool, source string) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, false, "'none'"
	}
	switch u.Scheme {
	case "https":
		return u.Host, false, "https://" + u.Host
	case "http":
		target = "this computer (" + u.Hostname()
		if p := u.Port(); p != "" {
			target += ", port " + p
		}
		target += ")"
		source = "http://" + u.Host
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.To4() == nil {
			source = "http:" // CSP host sources cannot name IPv6 literals
		}
		return target, true, source
	default:
		return "the app that opens " + u.Scheme + ": links on this computer", true, u.Scheme + ":"
	}
}

// permissionWords says in plain words what a scope allows.
func permissionWords(scope string) []string {
	words := []string{"Read your Sentry organizations, teams, projects, releases, issues, events and traces"}
	if strings.Contains(scope, ScopeTriage) {
		words = append(words, "Update issues: resolve, assign, change status and add comments")
	}
	return words
}

// describeResource says which part of Sentry a resource gives access to.
func (s *Server) describeResource(resource string) string {
	pin := strings.TrimPrefix(strings.TrimPrefix(resource, s.defaultResource()), "/")
	if org, project, ok := strings.Cut(pin, "/"); ok {
		return "Only the project " + project + " of the organization " + org
	}
	if pin != "" {
		return "Only the organization " + pin
	}
	return "Every organization your Sentry account can see"
}
