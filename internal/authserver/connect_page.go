package authserver

// The connect pages: the confirmation a connect link opens, and the page
// after Sentry's consent. Same layout, headers and escaping as every page
// here (pages.go).

var connectPage = pageTemplate(`<h1>Connect your Sentry account?</h1>
<p>This link connects a Sentry account to <strong>{{.Who}}</strong>.
lookout will then answer that person's questions with the Sentry access you grant next.</p>
<p class="warn">Continue only if you are that person and asked lookout for this link yourself.
If someone sent it to you, close this page: whoever the link is for would get your Sentry access.</p>
<p>Next, Sentry ({{.SentryHost}}) asks you to confirm access for lookout.</p>
<form method="post" action="` + ConnectPath + `">
<input type="hidden" name="s" value="{{.Link}}">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button class="primary" type="submit">Continue to Sentry</button>
</form>
<p class="muted">lookout answers your Sentry questions with your own Sentry access. You can disconnect at any time.</p>`)

type connectView struct {
	Title      string
	Who        string // whom the link is for, as the connector describes them
	SentryHost string
	Link, CSRF string // the link's signed state and the form's CSRF token
}

var connectedPage = pageTemplate(`<h1>{{.Title}}</h1>
<p>{{.What}}</p>
{{if .Note}}<p class="warn">{{.Note}}</p>{{end}}
{{if .Todo}}<p>{{.Todo}}</p>{{end}}
<p class="muted">lookout answers your Sentry questions with your own Sentry access.</p>`)

type connectedView struct {
	Title, What, Note, Todo string
}
