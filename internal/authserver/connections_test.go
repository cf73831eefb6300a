package authserver

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// hiddenFields reads every hidden input of a page: the CSRF token and, per
// form, the principal a revoke button is for.
func hiddenFields(body string) map[string][]string {
	out := map[string][]string{}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		k := html.UnescapeString(m[1])
		out[k] = append(out[k], html.UnescapeString(m[2]))
	}
	return out
}

// signInToConnections signs b in to the connections page through the
// fake Sentry, checking each hop, and returns the page.
func (e *env) signInToConnections(t *testing.T, b *browser) response {
	t.Helper()
	page := b.get(t, e.base+ConnectionsPath)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Sign in with Sentry") {
		t.Fatalf("connections page before sign-in: %d\n%s", page.status, page.body)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+e.fake.URL) {
		t.Errorf("sign-in page CSP %q: the form's redirect to Sentry must be allowed", csp)
	}
	toSentry := b.post(t, e.base+"/connections/signin", url.Values{"csrf_token": hiddenFields(page.body)["csrf_token"]})
	if toSentry.status != http.StatusSeeOther || !strings.HasPrefix(toSentry.location, e.fake.URL+"/oauth/authorize/") {
		t.Fatalf("sign-in: %d %q %s", toSentry.status, toSentry.location, toSentry.body)
	}
	if got := toSentry.locationURL(t).Query().Get("scope"); got != "org:read" {
		t.Errorf("the sign-in asks Sentry for %q, want only org:read", got)
	}
	back := b.get(t, toSentry.location)
	if back.status != http.StatusFound || !strings.HasPrefix(back.location, e.base+config.SentryCallbackPath) {
		t.Fatalf("Sentry: %d %q", back.status, back.location)
	}
	cb := b.get(t, back.location)
	if cb.status != http.StatusSeeOther || cb.location != ConnectionsPath {
		t.Fatalf("callback: %d %q %s", cb.status, cb.location, cb.body)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: cb.header}).Cookies() {
		if c.Name == cookieSession {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.MaxAge <= 0 || session.MaxAge > 3600 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, at most an hour", session)
	}
	page = b.get(t, e.base+ConnectionsPath)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Signed in with Sentry as") {
		t.Fatalf("connections page after sign-in: %d\n%s", page.status, page.body)
	}
	return page
}

// Issue #11: a user signs in with Sentry, sees the MCP clients and Slack
// identities using their Sentry access (and nobody else's), revokes an MCP
// client, and its token is refused from then on.
func TestConnectionsPage(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{store: newStore})
			ctx := t.Context()
			c := e.registerClient(t, map[string]any{
				"client_name": `Tricky <b>Client</b> & "co"`, "redirect_uris": []string{"http://127.0.0.1:33418/callback"},
				"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
			})
			tok := c.tokens(t, e.browser(), nil)
			access := tok["access_token"].(string)
			if err := e.verify(t, access); err != nil {
				t.Fatal(err)
			}
			ti, err := e.as.VerifyAccessToken(ctx, access, nil)
			if err != nil {
				t.Fatal(err)
			}
			mcpPrincipal := ti.UserID
			alice, err := e.vault.Status(ctx, mcpPrincipal)
			if err != nil {
				t.Fatal(err)
			}
			exp := e.clock.Now().Add(24 * time.Hour)
			slackGrant := vault.Grant{Principal: "slack:T1:UALICE", Scopes: []string{"org:read"}, User: alice.User,
				Token: vault.NewToken("sntryu_slack_access_value_xxxxxxxx", "slack_refresh_value_yyyyyyyy", exp)}
			otherGrant := vault.Grant{Principal: "slack:T1:UBOB", Scopes: []string{"org:read"}, User: vault.SentryUser{ID: "2", Email: "bob@example.com"},
				Token: vault.NewToken("sntryu_bob_access_value_xxxxxxxx", "bob_refresh_value_yyyyyyyy", exp)}
			for _, g := range []vault.Grant{slackGrant, otherGrant} {
				if _, err := e.vault.Put(ctx, g); err != nil {
					t.Fatal(err)
				}
			}
			before, err := e.store.ListGrants(ctx, "", 0)
			if err != nil {
				t.Fatal(err)
			}

			b := e.browser()
			page := e.signInToConnections(t, b)
			for _, want := range []string{"alice@example.com", "Tricky &lt;b&gt;Client&lt;/b&gt; &amp; &#34;co&#34;", c.id,
				"this computer (127.0.0.1, port 33418)", "Every organization", e.base + "/mcp", "slack:T1:UALICE"} {
				if !strings.Contains(page.body, want) {
					t.Errorf("connections page lacks %q:\n%s", want, page.body)
				}
			}
			if strings.Contains(page.body, "<b>Client</b>") {
				t.Error("the client name was rendered as markup")
			}
			if strings.Contains(page.body, "UBOB") || strings.Contains(page.body, "bob@") {
				t.Error("the page shows another Sentry user's connection")
			}
			for _, h := range []string{"X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "Cache-Control"} {
				if page.header.Get(h) == "" {
					t.Errorf("page without %s", h)
				}
			}
			if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") || strings.Contains(csp, "script-src") {
				t.Errorf("connections page CSP %q", csp)
			}
			fields := hiddenFields(page.body)
			if got := fields["principal"]; len(got) != 2 || !contains(got, mcpPrincipal) || !contains(got, "slack:T1:UALICE") {
				t.Errorf("revoke buttons for %q, want %s and slack:T1:UALICE", got, mcpPrincipal)
			}
			// The sign-in's own Sentry token was not kept.
			if after, err := e.store.ListGrants(ctx, "", 0); err != nil || len(after) != len(before) {
				t.Errorf("signing in to the page stored a grant: %d grants before, %d after (%v)", len(before), len(after), err)
			}
			csrf := fields["csrf_token"][0]

			// Another user's connection cannot be revoked from here.
			resp := b.post(t, e.base+"/connections/revoke", url.Values{"csrf_token": {csrf}, "principal": {"slack:T1:UBOB"}})
			wantErrorPage(t, resp, http.StatusForbidden, "does not belong to the Sentry account you signed in with")
			if _, err := e.vault.Status(ctx, "slack:T1:UBOB"); err != nil {
				t.Fatalf("bob's grant after a refused revoke: %v", err)
			}

			// Revoke the MCP client: its token is refused at once.
			resp = b.post(t, e.base+"/connections/revoke", url.Values{"csrf_token": {csrf}, "principal": {mcpPrincipal}})
			if resp.status != http.StatusSeeOther || resp.location != ConnectionsPath+"?done=revoked" {
				t.Fatalf("revoke: %d %q %s", resp.status, resp.location, resp.body)
			}
			if err := e.verify(t, access); err == nil {
				t.Fatal("the revoked client's access token still works")
			}
			refreshed := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
			if refreshed.status == http.StatusOK {
				t.Fatal("the revoked client's refresh token still works")
			}
			if _, err := e.vault.Status(ctx, mcpPrincipal); !errors.Is(err, vault.ErrNoGrant) {
				t.Fatalf("the revoked grant: %v, want gone", err)
			}
			page = b.get(t, e.base+ConnectionsPath+"?done=revoked")
			if !strings.Contains(page.body, "Revoked.") || strings.Contains(page.body, mcpPrincipal) || !strings.Contains(page.body, "slack:T1:UALICE") {
				t.Errorf("page after the revoke:\n%s", page.body)
			}
			events, err := e.store.SearchAudit(ctx, store.AuditQuery{Principal: mcpPrincipal})
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, ev := range events {
				actions = append(actions, ev.Action)
			}
			if !contains(actions, vault.ActionRevoked) || !contains(actions, ActionTokenRevoked) {
				t.Errorf("audit after the revoke: %q", actions)
			}
			// Revoking it again: already gone, nothing else happens.
			resp = b.post(t, e.base+"/connections/revoke", url.Values{"csrf_token": {csrf}, "principal": {mcpPrincipal}})
			if resp.status != http.StatusSeeOther || resp.location != ConnectionsPath+"?done=gone" {
				t.Errorf("revoking again: %d %q", resp.status, resp.location)
			}

			// Sign out: the page asks to sign in again, and the old form is refused.
			resp = b.post(t, e.base+"/connections/signout", url.Values{"csrf_token": {csrf}})
			if resp.status != http.StatusSeeOther {
				t.Fatalf("sign out: %d %s", resp.status, resp.body)
			}
			if page := b.get(t, e.base+ConnectionsPath); !strings.Contains(page.body, "Sign in with Sentry") {
				t.Errorf("after signing out:\n%s", page.body)
			}
			resp = b.post(t, e.base+"/connections/revoke", url.Values{"csrf_token": {csrf}, "principal": {"slack:T1:UALICE"}})
			wantErrorPage(t, resp, http.StatusForbidden, "Your session on this page has ended")
			if _, err := e.vault.Status(ctx, "slack:T1:UALICE"); err != nil {
				t.Fatalf("the Slack grant after a signed-out revoke: %v", err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// The page's forms refuse cross-site and forged posts, a session past its
// hour, and a sign-in finished in another browser.
func TestConnectionsPageRefusals(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := t.Context()
	g := vault.Grant{Principal: "slack:T1:UALICE", Scopes: []string{"org:read"}, User: vault.SentryUser{ID: "1"},
		Token: vault.NewToken("sntryu_access_value_for_alice_xxxx", "refresh_value_for_alice_yyyy", e.clock.Now().Add(time.Hour))}
	if _, err := e.vault.Put(ctx, g); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	page := e.signInToConnections(t, b)
	csrf := hiddenFields(page.body)["csrf_token"][0]
	revoke := func(b *browser, form url.Values, origin string) response {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/connections/revoke", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return do(t, b.c, req)
	}
	for name, resp := range map[string]response{
		"no CSRF token":      revoke(b, url.Values{"principal": {g.Principal}}, ""),
		"forged CSRF token":  revoke(b, url.Values{"principal": {g.Principal}, "csrf_token": {csrf[:len(csrf)-2] + "xx"}}, ""),
		"cross-site origin":  revoke(b, url.Values{"principal": {g.Principal}, "csrf_token": {csrf}}, "https://evil.example"),
		"another browser":    revoke(e.browser(), url.Values{"principal": {g.Principal}, "csrf_token": {csrf}}, ""),
		"sign-in CSRF token": revoke(b, url.Values{"principal": {g.Principal}, "csrf_token": {hiddenFields(e.browser().get(t, e.base+ConnectionsPath).body)["csrf_token"][0]}}, ""),
	} {
		if resp.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.status)
		}
	}
	if _, err := e.vault.Status(ctx, g.Principal); err != nil {
		t.Fatalf("the grant after refused revokes: %v", err)
	}

	// A sign-in completed in a browser that did not start it.
	other := e.browser()
	start := other.get(t, e.base+ConnectionsPath)
	toSentry := other.post(t, e.base+"/connections/signin", url.Values{"csrf_token": hiddenFields(start.body)["csrf_token"]})
	back := other.get(t, toSentry.location)
	wantErrorPage(t, e.browser().get(t, back.location), http.StatusForbidden, "not started in this browser")

	// Declining on Sentry signs nobody in.
	e.fake.Deny(true)
	denied := e.browser()
	start = denied.get(t, e.base+ConnectionsPath)
	toSentry = denied.post(t, e.base+"/connections/signin", url.Values{"csrf_token": hiddenFields(start.body)["csrf_token"]})
	back = denied.get(t, toSentry.location)
	wantErrorPage(t, denied.get(t, back.location), http.StatusOK, "You declined on Sentry")
	e.fake.Deny(false)

	// The session lasts an hour.
	e.clock.Advance(sessionTTL + time.Second)
	if page := b.get(t, e.base+ConnectionsPath); !strings.Contains(page.body, "Sign in with Sentry") {
		t.Errorf("after an hour the page still shows the session:\n%s", page.body)
	}
	// The session cookie says who, signed: a forged one is nobody.
	forged := e.browser()
	forged.setCookie(cookieSession, "00."+strings.Repeat("A", 40))
	if page := forged.get(t, e.base+ConnectionsPath); !strings.Contains(page.body, "Sign in with Sentry") {
		t.Errorf("a forged session cookie was accepted:\n%s", page.body)
	}
	if regexp.MustCompile(`sntryu_|refresh_value`).MatchString(e.logs.String()) {
		t.Error("the log shows a token")
	}
}
