package authserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// fakeConnector is a front door: it names its users, says which scopes
// they need and counts OnConnected calls.
type fakeConnector struct {
	mu        sync.Mutex
	scopes    []string
	connected []string
	fail      error
}

func (f *fakeConnector) Describe(_ context.Context, principal string) string {
	return "the Slack user Alice <Admin> (" + strings.TrimPrefix(principal, "slack:T1:") + ") in workspace T1"
}

func (f *fakeConnector) ScopesFor(context.Context, string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scopes
}

func (f *fakeConnector) OnConnected(_ context.Context, principal string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connected = append(f.connected, principal)
	return len(f.connected), f.fail
}

func (f *fakeConnector) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.connected...)
}

const slackAlice = "slack:T1:UALICE"

func newConnectEnv(t *testing.T, opts envOptions) (*env, *fakeConnector) {
	t.Helper()
	e := newEnv(t, opts)
	f := &fakeConnector{}
	if err := e.as.AddConnector("slack:", f); err != nil {
		t.Fatal(err)
	}
	return e, f
}

// confirm opens link in b and presses Continue; it returns the answer to
// the POST (a 303 to Sentry when all is well).
func (b *browser) confirm(t *testing.T, link string) response {
	t.Helper()
	page := b.get(t, link)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Continue to Sentry") {
		t.Fatalf("confirmation page: %d\n%s", page.status, page.body)
	}
	form := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page.body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	return b.post(t, b.e.base+ConnectPath, form)
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">")
	return r.Replace(s)
}

// linkStateID is the id of the state a connect link names.
func linkStateID(t *testing.T, link string) string {
	t.Helper()
	u, _ := url.Parse(link)
	_, body, _ := strings.Cut(u.Query().Get("s"), ".")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var env struct {
		D struct {
			ID string `json:"id"`
		} `json:"d"`
	}
	if err != nil || json.Unmarshal(raw, &env) != nil || env.D.ID == "" {
		t.Fatalf("link %q names no state", link)
	}
	return env.D.ID
}

// TestConnectFlow: a connect link names whom it is for, asks to confirm,
// goes through Sentry's consent in the same browser, stores the grant under
// the link's principal and tells the connector.
func TestConnectFlow(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			e, f := newConnectEnv(t, envOptions{store: newStore})
			f.scopes = []string{"org:read", "event:read", "project:read", "team:read", "event:write", "event:read"}
			link, err := e.as.ConnectURL(t.Context(), slackAlice)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(link, e.base+ConnectPath+"?s=") {
				t.Fatalf("link %s", link)
			}
			again, err := e.as.ConnectURL(t.Context(), slackAlice)
			if err != nil || linkStateID(t, again) != linkStateID(t, link) {
				t.Fatalf("a second link within its lifetime is a new one: %v", err)
			}

			b := e.browser()
			page := b.get(t, link)
			if !strings.Contains(page.body, "the Slack user Alice &lt;Admin&gt; (UALICE) in workspace T1") || strings.Contains(page.body, "<Admin>") {
				t.Errorf("the page must name whom the link is for, escaped:\n%s", page.body)
			}
			if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+e.fake.URL) {
				t.Errorf("the form's redirect to Sentry must be allowed by form-action: %q", csp)
			}
			toSentry := b.confirm(t, link)
			if toSentry.status != http.StatusSeeOther || !strings.HasPrefix(toSentry.location, e.fake.URL+"/oauth/authorize/") {
				t.Fatalf("confirm: %d %q %s", toSentry.status, toSentry.location, toSentry.body)
			}
			sq := toSentry.locationURL(t).Query()
			if sq.Get("scope") != "event:read event:write org:read project:read team:read" || sq.Get("code_challenge_method") != "S256" {
				t.Errorf("Sentry request %v", sq)
			}
			if b.cookie(cookieFlow) == "" {
				t.Fatal("confirming did not bind the flow to the browser")
			}
			back := b.get(t, toSentry.location)
			if back.status != http.StatusFound || !strings.HasPrefix(back.location, e.base+config.SentryCallbackPath) {
				t.Fatalf("Sentry: %d %q", back.status, back.location)
			}
			done := b.get(t, back.location)
			if done.status != http.StatusOK || !strings.Contains(done.body, "Connected. You can close this tab") {
				t.Fatalf("callback: %d\n%s", done.status, done.body)
			}
			if got := f.calls(); len(got) != 1 || got[0] != slackAlice {
				t.Fatalf("OnConnected calls %v", got)
			}
			g, err := e.vault.Status(t.Context(), slackAlice)
			if err != nil || g.User.ID != sentrytest.AliceID || !g.HasScope("event:write") {
				t.Fatalf("grant %v, %v", g, err)
			}
			// Used once: the link and the callback.
			wantErrorPage(t, e.browser().get(t, back.location), http.StatusBadRequest, "already used")
			if resp := b.confirm(t, link); resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "already used") {
				t.Fatalf("link used again: %d %s", resp.status, resp.body)
			}
			// Spent: the next link is a new one.
			next, err := e.as.ConnectURL(t.Context(), slackAlice)
			if err != nil || linkStateID(t, next) == linkStateID(t, link) {
				t.Fatalf("after use: %v", err)
			}
		})
	}
}

// Attack (issue #8, finding 1): a Slack user asks for their own connect
// link, confirms it, stops at the 303 to Sentry's consent and sends that
// Sentry URL to a colleague. The colleague consents on Sentry and comes
// back to lookout in their own browser, which never confirmed the link:
// nothing is stored, and the attacker's principal gets no grant.
func TestConnectSentryURLForwardedToAnotherBrowser(t *testing.T) {
	for name, newStore := range backends {
		t.Run(name, func(t *testing.T) {
			e, f := newConnectEnv(t, envOptions{store: newStore})
			link, err := e.as.ConnectURL(t.Context(), slackAlice)
			if err != nil {
				t.Fatal(err)
			}
			attacker, colleague := e.browser(), e.browser()
			toSentry := attacker.confirm(t, link)
			if toSentry.status != http.StatusSeeOther {
				t.Fatalf("confirm: %d %s", toSentry.status, toSentry.body)
			}
			e.fake.SetConsentUser(sentrytest.BobID)
			back := colleague.get(t, toSentry.location)
			if back.status != http.StatusFound {
				t.Fatalf("Sentry: %d %s", back.status, back.body)
			}
			wantErrorPage(t, colleague.get(t, back.location), http.StatusForbidden, "not started in this browser")
			if _, err := e.vault.Status(t.Context(), slackAlice); !errors.Is(err, vault.ErrNoGrant) {
				t.Fatalf("the attacker's principal got a grant: %v", err)
			}
			if got := f.calls(); len(got) != 0 {
				t.Fatalf("OnConnected called: %v", got)
			}
			// Nor can the attacker finish it with the colleague's code.
			wantErrorPage(t, attacker.get(t, back.location), http.StatusBadRequest, "already used")
		})
	}
}

// A connect link asks before it binds: GET names the user and spends
// nothing; only the confirmation POST from the page's own browser (nonce
// cookie + CSRF token tied to the link) goes on.
func TestConnectLinkAsksBeforeBinding(t *testing.T) {
	e, _ := newConnectEnv(t, envOptions{})
	link, err := e.as.ConnectURL(t.Context(), slackAlice)
	if err != nil {
		t.Fatal(err)
	}
	victim := e.browser()
	for range 2 { // looking twice spends nothing
		if page := victim.get(t, link); page.status != http.StatusOK {
			t.Fatalf("%d", page.status)
		}
	}
	page := victim.get(t, link)
	form := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page.body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	other, _ := e.as.ConnectURL(t.Context(), "slack:T1:UBOB")
	otherForm := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(victim.get(t, other).body, -1) {
		otherForm.Set(m[1], htmlUnescape(m[2]))
	}
	refusals := map[string]func() response{
		"another browser (no nonce cookie)": func() response { return e.browser().post(t, e.base+ConnectPath, form) },
		"token of another link": func() response {
			return victim.post(t, e.base+ConnectPath, url.Values{"s": form["s"], "csrf_token": otherForm["csrf_token"]})
		},
		"no token": func() response { return victim.post(t, e.base+ConnectPath, url.Values{"s": form["s"]}) },
		"cross-site origin": func() response {
			req, _ := http.NewRequest(http.MethodPost, e.base+ConnectPath, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://evil.example.com")
			return do(t, victim.c, req)
		},
	}
	for name, try := range refusals {
		wantErrorPage(t, try(), http.StatusForbidden, "did not come from the page lookout showed")
		_ = name
	}
	// The link survived all of that: confirming works, once.
	if resp := victim.post(t, e.base+ConnectPath, form); resp.status != http.StatusSeeOther {
		t.Fatalf("confirmed: %d %s", resp.status, resp.body)
	}
	if resp := victim.post(t, e.base+ConnectPath, form); resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "already used") {
		t.Fatalf("confirmed twice: %d %s", resp.status, resp.body)
	}
}

func TestConnectLinkRefusals(t *testing.T) {
	e, _ := newConnectEnv(t, envOptions{})
	if _, err := e.as.ConnectURL(t.Context(), "mcp:abc"); err == nil {
		t.Error("a link for a principal no connector owns")
	}
	for _, prefix := range []string{"", ":", "slack", "mcp:"} {
		if err := e.as.AddConnector(prefix, &fakeConnector{}); err == nil {
			t.Errorf("AddConnector(%q) accepted", prefix)
		}
	}
	if err := e.as.AddConnector("slack:", &fakeConnector{}); err == nil {
		t.Error("a second connector for slack:")
	}
	link, _ := e.as.ConnectURL(t.Context(), slackAlice)
	b := e.browser()
	for what, tc := range map[string]struct {
		link string
		say  string
	}{
		"tampered": {strings.Replace(link, "s=", "s=0", 1), "not valid"},
		"empty":    {e.base + ConnectPath, "missing its code"},
		"an MCP sign-in state": {e.base + ConnectPath + "?s=" + url.QueryEscape(func() string {
			c := e.client(t, "https://client.example.com/cb")
			_, challenge := pkce()
			u, _ := url.Parse(c.toSentry(t, e.browser(), challenge, nil))
			return u.Query().Get("state")
		}()), "not valid"},
	} {
		resp := b.get(t, tc.link)
		wantErrorPage(t, resp, http.StatusBadRequest, tc.say)
		if !strings.Contains(resp.body, "connect sentry") {
			t.Errorf("%s: the page does not say how to get a new link", what)
		}
	}
	e.clock.Advance(ConnectLinkTTL + 1)
	wantErrorPage(t, b.get(t, link), http.StatusBadRequest, "expired")
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := b.get(t, link).header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

// Declining on Sentry stores nothing and says so; a connector that cannot
// resume still gets the grant stored, and the page says to ask again.
func TestConnectDeclinedAndResumeFailure(t *testing.T) {
	e, f := newConnectEnv(t, envOptions{})
	b := e.browser()
	link, _ := e.as.ConnectURL(t.Context(), slackAlice)
	e.fake.Deny(true)
	back := b.get(t, b.confirm(t, link).location)
	wantErrorPage(t, b.get(t, back.location), http.StatusOK, "You declined on Sentry")
	if len(f.calls()) != 0 {
		t.Fatal("OnConnected after a denial")
	}
	e.fake.Deny(false)
	f.fail = errors.New("store down")
	link, _ = e.as.ConnectURL(t.Context(), slackAlice)
	back = b.get(t, b.confirm(t, link).location)
	done := b.get(t, back.location)
	if done.status != http.StatusOK || !strings.Contains(done.body, "could not pick up your waiting question") {
		t.Fatalf("%d %s", done.status, done.body)
	}
	if _, err := e.vault.Status(t.Context(), slackAlice); err != nil {
		t.Fatal(err)
	}
}
