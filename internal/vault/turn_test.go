package vault_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// connect runs the upstream OAuth dance against the fake Sentry and stores
// the grant, as the callback of a real flow would.
func connect(t *testing.T, fake *sentrytest.Fake, v *vault.Vault, principal string) *oauth.Sentry {
	t.Helper()
	const cb = "http://127.0.0.1:1/api/oauth/callback/sentry"
	fake.SetRedirectURIs(cb)
	up := oauth.NewSentry(oauth.SentryConfig{URL: fake.URL, ClientID: sentrytest.DefaultClientID,
		ClientSecret: sentrytest.DefaultClientSecret, RedirectURL: cb})
	verifier := oauth.NewVerifier()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(up.AuthCodeURL("state", verifier, sentrytest.ReadScopes))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	consent, err := up.Exchange(context.Background(), loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(context.Background(), vault.Grant{Principal: principal, Token: consent.Token, Scopes: consent.Scopes, User: consent.User}); err != nil {
		t.Fatal(err)
	}
	return up
}

// A turn's Sentry client refreshes once after a 401, for all concurrent
// turns together, and the calls then succeed.
func TestSentryClientRefreshesAfter401(t *testing.T) {
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	v := newVault(t, storetest.SQLite(t), vault.Options{}, newKey(t, "k1"))
	up := connect(t, fake, v, "mcp:g1")

	fake.ExpireTokens() // Sentry now rejects the access token; the vault thinks it is valid
	before := fake.TokenCalls()["refresh_token"]
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			c, g, err := v.SentryClient(ctx, "mcp:g1", up.Refresh, sentry.Options{BaseURL: fake.URL})
			if err != nil {
				errs[i] = err
				return
			}
			if g.Token.AccessToken != "" {
				errs[i] = errors.New("SentryClient handed the token to its caller")
				return
			}
			_, errs[i] = c.WhoAmI(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("turn %d: %v", i, err)
		}
	}
	if n := fake.TokenCalls()["refresh_token"] - before; n != 1 {
		t.Fatalf("%d refreshes reached Sentry, want 1", n)
	}
}

// When Sentry refuses the refresh too, the grant becomes stale and the
// error says both: Sentry said 401, and the user must reconnect.
func TestSentryClientMarksStaleWhenRefreshRefused(t *testing.T) {
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	v := newVault(t, storetest.SQLite(t), vault.Options{}, newKey(t, "k1"))
	up := connect(t, fake, v, "mcp:g1")
	c, _, err := v.SentryClient(ctx, "mcp:g1", up.Refresh, sentry.Options{BaseURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	fake.RevokeUserTokens(sentrytest.AliceID)
	_, err = c.WhoAmI(ctx)
	if !errors.Is(err, sentry.ErrUnauthorized) || !errors.Is(err, vault.ErrStale) {
		t.Fatalf("err = %v, want ErrUnauthorized and ErrStale", err)
	}
	if g, err := v.Get(ctx, "mcp:g1"); err != nil || !g.Stale {
		t.Fatalf("grant after refused refresh: stale=%t err=%v", g.Stale, err)
	}
	if _, _, err := v.SentryClient(ctx, "mcp:g1", up.Refresh, sentry.Options{BaseURL: fake.URL}); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("next turn: err = %v, want ErrStale", err)
	}
}
