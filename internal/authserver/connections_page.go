package authserver

// The connections page: sign in with Sentry, then see and revoke what
// lookout holds for you. Same layout, headers and escaping as every page
// here (pages.go); the forms post to lookout itself only.

var signinPage = pageTemplate(`<h1>Your lookout connections</h1>
{{if .Notice}}<p class="box">{{.Notice}}</p>{{end}}
<p>See which MCP clients and Slack accounts use your Sentry access through lookout, and revoke any of them.</p>
<p>First, sign in with Sentry ({{.SentryHost}}) so lookout knows which connections are yours. lookout only reads who you are; it keeps nothing from this sign-in.</p>
<form method="post" action="/connections/signin">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button class="primary" type="submit">Sign in with Sentry</button>
</form>`)

type signinView struct {
	Title, Notice, SentryHost, CSRF string
}

var connectionsPage = pageTemplate(`<h1>Your lookout connections</h1>
<p>Signed in with Sentry as <strong>{{.Account}}</strong> <span class="muted">(Sentry user {{.UserID}} on {{.SentryHost}})</span>.</p>
{{if .Notice}}<p class="box">{{.Notice}}</p>{{end}}
<p>Each connection below uses your Sentry access. Revoking one stops it at once; you can connect again later.</p>

<h2>MCP clients</h2>
{{range .MCP}}<div class="box connection" data-principal="{{.Principal}}"><dl>
{{range .Clients}}<dt>Client</dt><dd class="client-name">{{.Name}}<br><span class="mono muted">{{.ID}}</span>{{if .Host}}<br><span class="muted">Signs in through {{.Host}}</span>{{end}}</dd>
<dt>Can reach</dt><dd>{{.Access}}<br><span class="mono muted">{{.Resource}}</span></dd>
{{else}}<dt>Client</dt><dd>No client holds a lookout token for this connection now.</dd>
{{end}}<dt>Sentry permissions</dt><dd class="mono">{{.Scopes}}</dd>
{{if .Stale}}<dt>State</dt><dd>Sentry no longer accepts this connection.</dd>{{end}}
<dt>Connected</dt><dd>{{or .Connected "unknown"}}</dd>
<dt>Last used</dt><dd>{{or .LastUsed "not yet"}}</dd>
</dl>
<form method="post" action="/connections/revoke">
<input type="hidden" name="principal" value="{{.Principal}}">
<input type="hidden" name="csrf_token" value="{{$.CSRF}}">
<button type="submit">Revoke</button>
</form></div>
{{else}}<p class="muted">No MCP client uses your Sentry access through lookout.</p>
{{end}}
<h2>Slack</h2>
{{range .Slack}}<div class="box connection" data-principal="{{.Principal}}"><dl>
<dt>Slack account</dt><dd>{{.Who}}</dd>
<dt>Sentry permissions</dt><dd class="mono">{{.Scopes}}</dd>
{{if .Stale}}<dt>State</dt><dd>Sentry no longer accepts this connection.</dd>{{end}}
<dt>Connected</dt><dd>{{or .Connected "unknown"}}</dd>
<dt>Last used</dt><dd>{{or .LastUsed "not yet"}}</dd>
</dl>
<form method="post" action="/connections/revoke">
<input type="hidden" name="principal" value="{{.Principal}}">
<input type="hidden" name="csrf_token" value="{{$.CSRF}}">
<button type="submit">Revoke</button>
</form></div>
{{else}}<p class="muted">No Slack account uses your Sentry access through lookout.</p>
{{end}}
{{if .Other}}<h2>Other</h2>
{{range .Other}}<div class="box connection" data-principal="{{.Principal}}"><dl>
<dt>Used by</dt><dd>{{.Who}}</dd>
<dt>Sentry permissions</dt><dd class="mono">{{.Scopes}}</dd>
<dt>Connected</dt><dd>{{or .Connected "unknown"}}</dd>
</dl>
<form method="post" action="/connections/revoke">
<input type="hidden" name="principal" value="{{.Principal}}">
<input type="hidden" name="csrf_token" value="{{$.CSRF}}">
<button type="submit">Revoke</button>
</form></div>
{{end}}{{end}}
<form method="post" action="/connections/signout">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button type="submit">Sign out</button>
</form>
<p class="muted">This page lists what lookout holds. To withdraw lookout's access to Sentry entirely, also remove it in Sentry: Settings, Account, Authorized Applications.</p>`)

type connectionsViewData struct {
	Title, Account, UserID, SentryHost, Notice, CSRF string
	MCP, Slack, Other                                []connectionView
}

// connectionView is one grant on the page.
type connectionView struct {
	Principal string
	Who       string // Slack and other front doors: whom the principal stands for
	Scopes    string
	Stale     bool
	Connected string
	LastUsed  string
	Clients   []clientView // MCP: the clients holding tokens on it
}

type clientView struct {
	Name, ID, Host string
	Access         string // in words
	Resource       string // the MCP URL its tokens are for
}
