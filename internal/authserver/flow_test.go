package authserver

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

var backends = map[string]func(t *testing.T) store.Store{
	"sqlite":   storetest.SQLite,
	"postgres": storetest.Postgres, // skips without LOOKOUT_TEST_POSTGRES_URL
}

// TestFullFlow walks every hop of an MCP client's sign-in, then refresh
// and revocation, on each backend.
func TestFullFlow(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{store: newStore})
			c := e.client(t, "http://127.0.0.1:33418/callback")
			b := e.browser()
			verifier, challenge := pkce()

			// 1. First time: lookout's approval page.
			page := b.get(t, c.authorizeURL(challenge, nil))
			form := approvalForm(t, page)
			for _, want := range []string{"Test Client", c.id, "this computer (127.0.0.1, port 33418)", "Every organization"} {
				if !strings.Contains(page.body, want) {
					t.Errorf("approval page lacks %q", want)
				}
			}
			// 2. Approve: on to Sentry, with lookout's own state and PKCE.
			form.Set("decision", "approve")
			toSentry := b.post(t, e.base+"/oauth/authorize", form)
			if toSentry.status != http.StatusSeeOther {
				t.Fatalf("approve: %d %s", toSentry.status, toSentry.body)
			}
			su := toSentry.locationURL(t)
			sq := su.Query()
			if got := sq.Get("scope"); got != "org:read project:read team:read event:read" {
				t.Errorf("Sentry scopes %q", got)
			}
			if sq.Get("code_challenge_method") != "S256" || sq.Get("code_challenge") == "" || sq.Get("code_challenge") == challenge {
				t.Errorf("Sentry PKCE: %v", sq)
			}
			if sq.Get("redirect_uri") != e.base+config.SentryCallbackPath || sq.Get("state") == "" || sq.Get("state") == "client-state-123" {
				t.Errorf("Sentry redirect/state: %v", sq)
			}
			if b.cookie(cookieApprovals) == "" || b.cookie(cookieFlow) == "" {
				t.Fatal("approval or flow cookie not set")
			}
			// 3. Sentry consents and sends the browser back.
			back := b.get(t, toSentry.location)
			if back.status != http.StatusFound || !strings.HasPrefix(back.location, e.base+config.SentryCallbackPath) {
				t.Fatalf("Sentry: %d %q", back.status, back.location)
			}
			// 4. The callback sends the client lookout's own code.
			final := b.get(t, back.location)
			fu := final.locationURL(t)
			fq := fu.Query()
			fu.RawQuery = ""
			if fu.String() != c.redirectURI || fq.Get("state") != "client-state-123" || fq.Get("iss") != e.base ||
				!strings.HasPrefix(fq.Get("code"), prefixCode) {
				t.Fatalf("client redirect %s", final.location)
			}
			// 5. Tokens.
			tok := c.redeem(t, fq.Get("code"), verifier)
			if tok.status != http.StatusOK || tok.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("token: %d %v %s", tok.status, tok.header, tok.body)
			}
			tm := tok.json(t)
			access, refresh := tm["access_token"].(string), tm["refresh_token"].(string)
			if !strings.HasPrefix(access, prefixAccessToken) || !strings.HasPrefix(refresh, prefixRefreshToken) ||
				tm["token_type"] != "Bearer" || tm["expires_in"] != float64(3600) || tm["scope"] != "read" {
				t.Fatalf("token response %v", tm)
			}
			info, err := e.as.VerifyAccessToken(t.Context(), access, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(info.UserID, principalPrefix) || !slices.Equal(info.Scopes, []string{"read"}) ||
				info.Extra["resource"] != e.base+"/mcp" || info.Extra["client_id"] != c.id ||
				!info.Expiration.Equal(e.clock.Now().Add(DefaultAccessTokenTTL)) {
				t.Fatalf("token info %+v", info)
			}
			g, err := e.vault.Status(t.Context(), info.UserID)
			if err != nil || g.User.ID != sentrytest.AliceID || !g.HasScope("event:read") {
				t.Fatalf("grant %v, %v", g, err)
			}
			// Only hashes are stored.
			if _, err := e.store.GetToken(t.Context(), access, e.clock.Now()); err == nil {
				t.Fatal("the access token itself is a store key")
			}

			// 6. A second sign-in of the same client skips the approval page.
			resp := b.get(t, c.authorizeURL(challenge, map[string]string{"state": "second"}))
			if resp.status != http.StatusFound || !strings.HasPrefix(resp.location, e.fake.URL) {
				t.Fatalf("remembered approval: %d %q", resp.status, resp.location)
			}

			// 7. Refresh rotates.
			r2 := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
			if r2.status != http.StatusOK {
				t.Fatalf("refresh: %d %s", r2.status, r2.body)
			}
			m2 := r2.json(t)
			if m2["refresh_token"] == refresh || m2["access_token"] == access {
				t.Fatal("refresh did not rotate")
			}
			if err := e.verify(t, m2["access_token"].(string)); err != nil {
				t.Fatal(err)
			}

			// 8. Revoking the refresh token signs the client out.
			rv := c.postForm(t, "/oauth/revoke", url.Values{"token": {m2["refresh_token"].(string)}})
			if rv.status != http.StatusOK {
				t.Fatalf("revoke: %d %s", rv.status, rv.body)
			}
			for _, tk := range []string{access, m2["access_token"].(string)} {
				if err := e.verify(t, tk); err == nil {
					t.Error("a token of the revoked family still works")
				}
			}
			if _, err := e.vault.Status(t.Context(), info.UserID); err == nil {
				t.Error("the Sentry grant outlived the revocation")
			}

			wantAudit(t, e, ActionClientRegistered, ActionClientApproved, "grant.connected", ActionTokenRevoked, "grant.revoked")
		})
	}
}

// wantAudit checks that the audit log holds actions.
func wantAudit(t *testing.T, e *env, actions ...string) {
	t.Helper()
	events, err := e.store.ListAudit(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		got = append(got, ev.Action)
	}
	for _, a := range actions {
		if !slices.Contains(got, a) {
			t.Errorf("audit log %v lacks %s", got, a)
		}
	}
}

func TestDenyOnApprovalPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	_, challenge := pkce()
	form := approvalForm(t, b.get(t, c.authorizeURL(challenge, nil)))
	form.Set("decision", "deny")
	wantRedirectError(t, b.post(t, e.base+"/oauth/authorize", form), c.redirectURI, "access_denied", "client-state-123", e.base)
	if b.cookie(cookieApprovals) != "" {
		t.Error("a denial set the approval cookie")
	}
}

func TestSentryAccessDenied(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.fake.Deny(true)
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	_, challenge := pkce()
	back := b.get(t, c.toSentry(t, b, challenge, nil))
	if !strings.Contains(back.location, "error=access_denied") {
		t.Fatalf("fake Sentry did not deny: %q", back.location)
	}
	wantRedirectError(t, b.get(t, back.location), c.redirectURI, "access_denied", "client-state-123", e.base)
}

func TestTriageScope(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	_, challenge := pkce()
	page := b.get(t, c.authorizeURL(challenge, map[string]string{"scope": "triage"}))
	if !strings.Contains(page.body, "Update issues") {
		t.Error("the approval page does not mention write access")
	}
	form := approvalForm(t, page)
	form.Set("decision", "approve")
	resp := b.post(t, e.base+"/oauth/authorize", form)
	if got := resp.locationURL(t).Query().Get("scope"); got != "org:read project:read team:read event:read event:write" {
		t.Fatalf("Sentry scopes %q", got)
	}
	tm := c.tokens(t, e.browser(), nil) // a fresh browser: approval for read only
	if tm["scope"] != "read" {
		t.Fatalf("scope %v", tm["scope"])
	}
	// An approval for "read triage" covers "read".
	tm = c.tokens(t, b, map[string]string{"scope": "read"})
	if tm["scope"] != "read" {
		t.Fatalf("scope %v", tm["scope"])
	}
	// But an approval for "read" does not cover "triage".
	b2 := e.browser()
	c.tokens(t, b2, nil)
	if resp := b2.get(t, c.authorizeURL(challenge, map[string]string{"scope": "read triage"})); resp.status != http.StatusOK {
		t.Fatalf("widened scope skipped the approval page: %d", resp.status)
	}
}
