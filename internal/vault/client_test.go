package vault_test

import (
	"context"
	"crypto/rand"
	"errors"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

const callback = "http://127.0.0.1:1/api/oauth/callback/sentry"

// upstream is lookout's OAuth client of the fake Sentry.
func upstream(fake *sentrytest.Fake) *oauth.Sentry {
	fake.SetRedirectURIs(callback)
	return oauth.NewSentry(oauth.SentryConfig{URL: fake.URL, ClientID: sentrytest.DefaultClientID,
		ClientSecret: secret.New(sentrytest.DefaultClientSecret), RedirectURL: callback})
}

// sentryVault is a vault whose refresher is the fake Sentry's token
// endpoint, as `serve` wires it.
func sentryVault(t *testing.T, fake *sentrytest.Fake, s vault.Store, opts vault.Options) *vault.Vault {
	opts.Refresher = upstream(fake).Refresh
	opts.Sentry = sentry.Options{BaseURL: fake.URL}
	return newVault(t, s, opts, sharedKey)
}

// sharedKey is the key of every sentryVault, so that two of them on one
// store are two processes of one deployment.
var sharedKey = func() vault.Key {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return vault.Key{ID: "k1", Secret: secret.FromBytes(b)}
}()

// connect runs the upstream OAuth dance against the fake Sentry and stores
// the grant, as the callback of a real flow would.
func connect(t *testing.T, fake *sentrytest.Fake, v *vault.Vault, principal string) {
	t.Helper()
	up := upstream(fake)
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
}

// A client refreshes once after a 401, for all concurrent clients
// together, and the calls then succeed.
func TestClientRefreshesAfter401(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	v := sentryVault(t, fake, storetest.SQLite(t), vault.Options{})
	connect(t, fake, v, "mcp:g1")

	fake.ExpireTokens() // Sentry now rejects the access token; the vault thinks it is valid
	before := fake.TokenCalls()["refresh_token"]
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			c, st, err := v.Client(ctx, "mcp:g1")
			if err != nil {
				errs[i] = err
				return
			}
			if st.Principal != "mcp:g1" || !st.HasScope("org:read") {
				errs[i] = errors.New("Client returned the wrong status")
				return
			}
			_, errs[i] = c.WhoAmI(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	if n := fake.TokenCalls()["refresh_token"] - before; n != 1 {
		t.Fatalf("%d refreshes reached Sentry, want 1", n)
	}
}

// When Sentry refuses the refresh too, the grant becomes stale and the
// error says both: Sentry said 401, and the user must reconnect.
func TestClientMarksStaleWhenRefreshRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	v := sentryVault(t, fake, storetest.SQLite(t), vault.Options{})
	connect(t, fake, v, "mcp:g1")
	c, _, err := v.Client(ctx, "mcp:g1")
	if err != nil {
		t.Fatal(err)
	}
	fake.RevokeUserTokens(sentrytest.AliceID)
	_, err = c.WhoAmI(ctx)
	if !errors.Is(err, sentry.ErrUnauthorized) || !errors.Is(err, vault.ErrStale) || errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnauthorized and ErrStale", err)
	}
	if st, err := v.Status(ctx, "mcp:g1"); err != nil || !st.Stale {
		t.Fatalf("grant after refused refresh: stale=%t err=%v", st.Stale, err)
	}
	if _, _, err := v.Client(ctx, "mcp:g1"); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("next client: err = %v, want ErrStale", err)
	}
}

// Issue #9 §2: a 401 from the API followed by a 503 (or a timeout) from the
// token endpoint is not "the grant is dead". The call fails as
// ErrUnavailable, the grant is untouched, and once Sentry is back the same
// refresh token works.
func TestTokenEndpointTroubleLeavesGrant(t *testing.T) {
	t.Parallel()
	for name, fault := range map[string]sentrytest.Fault{
		"503":     {PathPrefix: "/oauth/token/", Status: http.StatusServiceUnavailable, Count: 1},
		"500":     {PathPrefix: "/oauth/token/", Status: http.StatusInternalServerError, Count: 1},
		"timeout": {PathPrefix: "/oauth/token/", Latency: time.Hour, Status: http.StatusServiceUnavailable, Count: 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
			opts := vault.Options{}
			if name == "timeout" {
				opts.RefreshTimeout = 300 * time.Millisecond
			}
			v := sentryVault(t, fake, storetest.SQLite(t), opts)
			connect(t, fake, v, "mcp:g1")
			c, _, err := v.Client(context.Background(), "mcp:g1")
			if err != nil {
				t.Fatal(err)
			}
			fake.ExpireTokens() // the API answers 401; the refresh then meets the fault
			fake.Inject(fault)
			_, err = c.WhoAmI(context.Background())
			if !errors.Is(err, vault.ErrUnavailable) || errors.Is(err, vault.ErrStale) {
				t.Fatalf("err = %v, want ErrUnavailable, not ErrStale", err)
			}
			if st, err := v.Status(context.Background(), "mcp:g1"); err != nil || st.Stale {
				t.Fatalf("grant after a transient token endpoint failure: stale=%t err=%v", st.Stale, err)
			}
			// Sentry is back: the next call refreshes with the same refresh token.
			c, _, err = v.Client(context.Background(), "mcp:g1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.WhoAmI(context.Background()); err != nil {
				t.Fatalf("after Sentry recovered: %v", err)
			}
		})
	}
}

// Issue #9 §1: Sentry answers the refresh after the caller gave up. The
// refresh is not the caller's: it finishes, the rotated pair is stored, and
// the next call uses it instead of presenting the spent refresh token.
func TestSlowRefreshOutlivesTheCaller(t *testing.T) {
	t.Parallel()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true, AccessTokenTTL: 30 * time.Second})
	s := storetest.SQLite(t)
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1") // expires within the refresh skew: every call refreshes first
	fake.Inject(sentrytest.Fault{PathPrefix: "/oauth/token/", Latency: 3 * time.Second, Count: 1})

	// The caller gives up long before Sentry answers, but only after its
	// refresh has started (a second is ample to read the grant and lease).
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, _, err := v.Client(ctx, "mcp:g1"); !errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("caller with a short deadline: err = %v, want ErrUnavailable", err)
	}
	waitFor(t, "the detached refresh to be stored", func() bool {
		st, err := v.Status(context.Background(), "mcp:g1")
		return err == nil && !st.RefreshedAt.IsZero()
	})
	// Another process (a second vault on the same store) uses the stored pair.
	other := sentryVault(t, fake, s, vault.Options{})
	c, st, err := other.Client(context.Background(), "mcp:g1")
	if err != nil || st.Stale {
		t.Fatalf("after the slow refresh: %v stale=%t", err, st.Stale)
	}
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatalf("call with the stored pair: %v", err)
	}
	// No refresh presented a spent token: the grant is alive.
	if st, err := other.Status(context.Background(), "mcp:g1"); err != nil || st.Stale {
		t.Fatalf("grant after the slow refresh: stale=%t err=%v", st.Stale, err)
	}
}

// Issue #9 §1: Sentry rotates the token but the answer is lost on the way
// (connection dropped). Nothing can be saved, so the grant is stale at the
// next refresh: this is the window docs/operations.md describes. The test
// pins what the user sees: ErrUnavailable first (not a stale grant, since
// the vault cannot know), and ErrStale at the next refresh.
func TestDroppedRefreshAnswer(t *testing.T) {
	t.Parallel()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true, AccessTokenTTL: 30 * time.Second})
	v := sentryVault(t, fake, storetest.SQLite(t), vault.Options{})
	connect(t, fake, v, "mcp:g1")
	fake.Inject(sentrytest.Fault{PathPrefix: "/oauth/token/", DropAnswer: true, Count: 1})
	if _, _, err := v.Client(context.Background(), "mcp:g1"); !errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("dropped answer: err = %v, want ErrUnavailable", err)
	}
	if st, err := v.Status(context.Background(), "mcp:g1"); err != nil || st.Stale {
		t.Fatalf("after a dropped answer: stale=%t err=%v", st.Stale, err)
	}
	if _, _, err := v.Client(context.Background(), "mcp:g1"); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("next refresh presents the spent token: err = %v, want ErrStale", err)
	}
}

// Issue #9 §1: the database is down while the rotated pair is saved. The
// pair is kept in memory and served, then stored once the database is
// back: nobody has to reconnect.
func TestStoreDownWhileSavingKeepsThePair(t *testing.T) {
	t.Parallel()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true, AccessTokenTTL: 30 * time.Second})
	s := storetest.NewFaulty(storetest.SQLite(t))
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1")

	s.Set(storetest.Fail, "SwapGrant", "AppendAudit")
	c, st, err := v.Client(context.Background(), "mcp:g1")
	if err != nil || st.Stale {
		t.Fatalf("refresh while the store fails: %v stale=%t; want the fresh pair served", err, st.Stale)
	}
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatalf("call with the unsaved pair: %v", err)
	}
	if v.PendingCount() != 1 {
		t.Fatalf("%d pairs pending, want 1", v.PendingCount())
	}
	// Later calls of this process use the pair without refreshing again.
	if _, _, err := v.Client(context.Background(), "mcp:g1"); err != nil {
		t.Fatal(err)
	}
	if n := fake.TokenCalls()["refresh_token"]; n != 1 {
		t.Fatalf("%d refreshes while the pair waited, want 1", n)
	}

	s.Set(storetest.Pass, "SwapGrant", "AppendAudit")
	waitFor(t, "the pending pair to be stored", func() bool { return v.PendingCount() == 0 })
	other := sentryVault(t, fake, s, vault.Options{})
	c, _, err = other.Client(context.Background(), "mcp:g1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatalf("another process with the stored pair: %v", err)
	}
}

// While a pair waits in memory, another process that refreshed with the
// spent token got invalid_grant and marked the grant stale. The pair is
// still the live grant: storing it clears the stale mark.
func TestPendingPairOverridesStaleMarkOfSpentToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true, AccessTokenTTL: 30 * time.Second})
	base := storetest.SQLite(t)
	s := storetest.NewFaulty(base)
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1")
	s.Set(storetest.Fail, "SwapGrant")
	if _, _, err := v.Client(ctx, "mcp:g1"); err != nil {
		t.Fatal(err)
	}
	other := sentryVault(t, fake, base, vault.Options{LeaseTTL: time.Millisecond})
	waitFor(t, "the first lease to end", func() bool {
		_, _, err := other.Client(ctx, "mcp:g1")
		return errors.Is(err, vault.ErrStale)
	})
	s.Set(storetest.Pass, "SwapGrant")
	waitFor(t, "the pending pair to be stored", func() bool { return v.PendingCount() == 0 })
	st, err := other.Status(ctx, "mcp:g1")
	if err != nil || st.Stale {
		t.Fatalf("after the pair was stored: stale=%t err=%v", st.Stale, err)
	}
	c, _, err := other.Client(ctx, "mcp:g1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
}

// Close gives an unsaved pair a last try; if the store is still down it
// says so (and the user will have to reconnect).
func TestCloseStoresPendingPair(t *testing.T) {
	t.Parallel()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true, AccessTokenTTL: 30 * time.Second})
	s := storetest.NewFaulty(storetest.SQLite(t))
	kr, err := vault.NewKeyring(sharedKey)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(s, kr, vault.Options{Refresher: upstream(fake).Refresh, Sentry: sentry.Options{BaseURL: fake.URL}})
	connect(t, fake, v, "mcp:g1")
	s.Set(storetest.Fail, "SwapGrant")
	if _, _, err := v.Client(context.Background(), "mcp:g1"); err != nil {
		t.Fatal(err)
	}
	s.Set(storetest.Pass, "SwapGrant")
	if err := v.Close(context.Background()); err != nil {
		t.Fatalf("Close with the store back: %v", err)
	}
	again := sentryVault(t, fake, s, vault.Options{})
	c, _, err := again.Client(context.Background(), "mcp:g1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatalf("the pair stored at Close does not work: %v", err)
	}

	// With the store still down, Close reports the loss.
	v2 := vault.New(s, kr, vault.Options{Refresher: upstream(fake).Refresh, Sentry: sentry.Options{BaseURL: fake.URL}})
	fake.ExpireTokens()
	s.Set(storetest.Fail, "SwapGrant")
	c, _, err = v2.Client(context.Background(), "mcp:g1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(context.Background()); err != nil { // 401, refresh, pair kept
		t.Fatal(err)
	}
	if err := v2.Close(context.Background()); err == nil {
		t.Fatal("Close lost a pair without saying so")
	}
}

// Issue #9 §4: a black-holed database fails a call within the store
// deadline instead of hanging it.
func TestBlockedStoreFailsFast(t *testing.T) {
	t.Parallel()
	s := storetest.NewFaulty(storetest.SQLite(t))
	v := newVault(t, s, vault.Options{StoreTimeout: 100 * time.Millisecond}, newKey(t, "k1"))
	if _, err := v.Put(context.Background(), sampleGrant("p", 1, time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	s.Set(storetest.Block, "GetGrant", "PutGrant", "DeleteGrant")
	start := time.Now()
	for name, call := range map[string]func() error{
		"Status": func() error { _, err := v.Status(context.Background(), "p"); return err },
		"Client": func() error { _, _, err := v.Client(context.Background(), "p"); return err },
		"Put":    func() error { _, err := v.Put(context.Background(), sampleGrant("p", 2, time.Time{})); return err },
		"Delete": func() error { return v.Delete(context.Background(), "p", "test") },
	} {
		if err := call(); !errors.Is(err, vault.ErrUnavailable) {
			t.Errorf("%s with a black-holed store: err = %v, want ErrUnavailable", name, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("four calls took %v against a 100ms store deadline", d)
	}
}

// Issue #9 §2: a grant sealed under a key lookout no longer has is not
// stale: the call is unavailable, the log names the key id, and putting
// the key back makes it work again.
func TestMissingKeyIsNotStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.SQLite(t)
	old := newKey(t, "k-old")
	if _, err := newVault(t, s, vault.Options{}, old).Put(ctx, sampleGrant("p", 1, time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	v := newVault(t, s, vault.Options{Logger: logs.logger()}, newKey(t, "k-new"))
	_, err := v.Status(ctx, "p")
	var missing *vault.KeyMissingError
	if !errors.Is(err, vault.ErrUnavailable) || !errors.As(err, &missing) || missing.KeyID != "k-old" {
		t.Fatalf("Status: err = %v, want ErrUnavailable naming k-old", err)
	}
	if _, _, err := v.Client(ctx, "p"); errors.Is(err, vault.ErrStale) || !errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("Client: err = %v, want ErrUnavailable", err)
	}
	if !logs.contains(`"key_id":"k-old"`) {
		t.Fatalf("the log does not name the missing key:\n%s", logs.String())
	}
	if unknown, err := v.UnknownKeys(ctx); err != nil || unknown["k-old"] != 1 {
		t.Fatalf("UnknownKeys = %v, %v", unknown, err)
	}
	back := newVault(t, s, vault.Options{}, newKey(t, "k-new"), old)
	if st, err := back.Status(ctx, "p"); err != nil || st.Stale {
		t.Fatalf("with the key back: stale=%t err=%v", st.Stale, err)
	}
}

var _ store.Store = (*storetest.Faulty)(nil)

// logBuffer captures JSON log lines.
type logBuffer struct{ logtest.Buffer }

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(b, nil)) }

func (b *logBuffer) contains(s string) bool { return strings.Contains(b.String(), s) }
