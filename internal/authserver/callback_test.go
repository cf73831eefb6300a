package authserver

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/oauth"
)

// sentryBack runs a sign-in up to Sentry's redirect back to lookout and
// returns the callback URL.
func sentryBack(t *testing.T, c *mcpClient, b *browser) string {
	t.Helper()
	_, challenge := pkce()
	back := b.get(t, c.toSentry(t, b, challenge, nil))
	if back.status != http.StatusFound || !strings.HasPrefix(back.location, c.e.base+config.SentryCallbackPath) {
		t.Fatalf("Sentry: %d %q", back.status, back.location)
	}
	return back.location
}

// withState replaces the state parameter of a callback URL.
func withState(t *testing.T, callback string, edit func(string) string) string {
	t.Helper()
	u, _ := url.Parse(callback)
	q := u.Query()
	q.Set("state", edit(q.Get("state")))
	u.RawQuery = q.Encode()
	return u.String()
}

func TestCallbackStateRefusals(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")

	t.Run("tampered", func(t *testing.T) {
		b := e.browser()
		cb := sentryBack(t, c, b)
		for name, edit := range map[string]func(string) string{
			"signature": func(s string) string { return strings.Repeat("0", 64) + s[64:] },
			"payload":   func(s string) string { return s[:len(s)-2] + "xx" },
			"garbage":   func(string) string { return "not-a-state" },
		} {
			wantErrorPage(t, b.get(t, withState(t, cb, edit)), http.StatusBadRequest, "could not verify this sign-in")
			_ = name
		}
		// The genuine state was not burnt by the forgeries.
		if resp := b.get(t, cb); resp.status != http.StatusFound {
			t.Fatalf("genuine state after forgeries: %d %s", resp.status, resp.body)
		}
	})
	t.Run("missing", func(t *testing.T) {
		b := e.browser()
		cb := sentryBack(t, c, b)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Del("state")
		u.RawQuery = q.Encode()
		wantErrorPage(t, b.get(t, u.String()), http.StatusBadRequest, "without the state")
	})
	t.Run("expired", func(t *testing.T) {
		b := e.browser()
		cb := sentryBack(t, c, b)
		e.clock.Advance(oauth.DefaultStateTTL + time.Second)
		wantErrorPage(t, b.get(t, cb), http.StatusBadRequest, "took more than 10 minutes")
	})
	t.Run("replayed", func(t *testing.T) {
		b := e.browser()
		cb := sentryBack(t, c, b)
		if resp := b.get(t, cb); resp.status != http.StatusFound {
			t.Fatalf("first use: %d %s", resp.status, resp.body)
		}
		wantErrorPage(t, b.get(t, cb), http.StatusBadRequest, "already used")
	})
	t.Run("state of another server", func(t *testing.T) {
		other := newEnv(t, envOptions{})
		oc := other.client(t, "https://client.example.com/cb")
		b := other.browser()
		cb := sentryBack(t, oc, b)
		wantErrorPage(t, b.get(t, withState(t, e.base+config.SentryCallbackPath+"?code=x", func(string) string {
			u, _ := url.Parse(cb)
			return u.Query().Get("state")
		})), http.StatusBadRequest, "could not verify this sign-in")
	})
}

// The callback completes only in the browser that approved the client,
// and only if its approval cookie covers the client (confused deputy).
func TestCallbackBrowserChecks(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	other := e.client(t, "https://other.example.com/cb")

	t.Run("another browser follows the Sentry link", func(t *testing.T) {
		attacker, victim := e.browser(), e.browser()
		c.tokens(t, victim, nil) // the victim approved this client before
		_, challenge := pkce()
		sentryURL := c.toSentry(t, attacker, challenge, nil)
		back := victim.get(t, sentryURL)
		wantErrorPage(t, victim.get(t, back.location), http.StatusForbidden, "not started in this browser")
	})
	t.Run("approval cookie forged", func(t *testing.T) {
		b := e.browser()
		cb := sentryBack(t, c, b)
		v := b.cookie(cookieApprovals)
		b.setCookie(cookieApprovals, strings.Repeat("0", 64)+v[64:])
		wantErrorPage(t, b.get(t, cb), http.StatusForbidden, "no record in this browser that you approved")
	})
	t.Run("approval cookie for another client", func(t *testing.T) {
		b, elsewhere := e.browser(), e.browser()
		other.tokens(t, elsewhere, nil)
		cb := sentryBack(t, c, b)
		b.setCookie(cookieApprovals, elsewhere.cookie(cookieApprovals))
		wantErrorPage(t, b.get(t, cb), http.StatusForbidden, "no record in this browser that you approved")
	})
	t.Run("approval withdrawn server-side", func(t *testing.T) {
		b := e.browser()
		cb := sentryBack(t, c, b)
		var l idList
		if err := e.as.approvalSigner.Verify(b.cookie(cookieApprovals), &l); err != nil {
			t.Fatal(err)
		}
		for _, id := range l.IDs {
			if err := e.store.DeleteApproval(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
		wantErrorPage(t, b.get(t, cb), http.StatusForbidden, "no record in this browser that you approved")
	})
	t.Run("forged approval cookie at authorize shows the page", func(t *testing.T) {
		b := e.browser()
		b.setCookie(cookieApprovals, "00.eyJpYXQiOjB9")
		_, challenge := pkce()
		approvalForm(t, b.get(t, c.authorizeURL(challenge, nil)))
	})
}

// rewriteRedirect makes lookout's token requests to Sentry carry another
// redirect_uri, as a misconfigured Sentry OAuth application would cause.
type rewriteRedirect struct{}

func (rewriteRedirect) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/oauth/token/") {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		form.Set("redirect_uri", "https://lookout.example.com/wrong/callback")
		enc := form.Encode()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(strings.NewReader(enc))
		req.ContentLength = int64(len(enc))
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestSentryRedirectMismatchPage(t *testing.T) {
	e := newEnv(t, envOptions{sentryHTTP: &http.Client{Transport: rewriteRedirect{}}})
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	resp := b.get(t, sentryBack(t, c, b))
	wantErrorPage(t, resp, http.StatusBadGateway, "must list exactly this redirect URL")
	if !strings.Contains(resp.body, "<code>"+e.base+config.SentryCallbackPath+"</code>") {
		t.Fatalf("the page does not name %s:\n%s", e.base+config.SentryCallbackPath, resp.body)
	}
}

func TestSentryUnreachablePage(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	cb := sentryBack(t, c, b)
	e.fake.Close()
	wantErrorPage(t, b.get(t, cb), http.StatusBadGateway, "could not reach Sentry")
}

func TestSentryOtherErrorPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, "https://client.example.com/cb")
	b := e.browser()
	cb := sentryBack(t, c, b)
	u := withState(t, cb, func(s string) string { return s })
	u = strings.Replace(u, "code=", "error=invalid_scope&x=", 1)
	wantErrorPage(t, b.get(t, u), http.StatusBadGateway, "invalid_scope")
	u2 := withState(t, sentryBack(t, c, b), func(s string) string { return s })
	u2 = strings.Replace(u2, "code=", "error=%3Cb%3E&x=", 1)
	wantErrorPage(t, b.get(t, u2), http.StatusBadGateway, "unrecognised error")
}
