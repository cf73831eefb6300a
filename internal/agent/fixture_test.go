package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Principals of the tests. alice (Sentry user "1") sees acme and globex,
// bob ("2") only acme; nobody has never connected Sentry.
const (
	alice  = "slack:T1:UALICE"
	bob    = "slack:T1:UBOB"
	nobody = "slack:T1:UNOBODY"
)

// fixture is a fake Sentry plus a SQLite-backed vault holding the grants of
// the test's principals.
type fixture struct {
	t     *testing.T
	fake  *sentrytest.Fake
	vault *vault.Vault

	mu        sync.Mutex
	secrets   []string // every access and refresh token put in the vault
	refreshes atomic.Int32
	// transient makes the token endpoint fail as a Sentry outage does,
	// instead of refusing the grant.
	transient atomic.Bool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	kr, err := vault.NewKeyring(vault.Key{ID: "k1", Secret: secret.FromBytes(b)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, fake: sentrytest.NewServer(t, sentrytest.Options{})}
	f.vault = vault.New(storetest.SQLite(t), kr, vault.Options{
		Refresher: f.refresher,
		Sentry: sentry.Options{
			BaseURL: f.fake.URL,
			Sleep:   func(ctx context.Context, _ time.Duration) error { return ctx.Err() }, // no real backoff
		},
	})
	t.Cleanup(func() { f.vault.Close(context.Background()) })
	return f
}

// connect stores a grant for principal acting as the seeded Sentry user
// userID with scopes, as the OAuth callback would after consent.
func (f *fixture) connect(principal, userID string, scopes ...string) {
	f.t.Helper()
	if len(scopes) == 0 {
		scopes = sentrytest.ReadScopes
	}
	access := f.fake.IssueToken(userID, scopes, 0)
	refresh := "sentry-refresh-" + randomHex(f.t)
	_, err := f.vault.Put(context.Background(), vault.Grant{
		Principal: principal,
		Token:     vault.NewToken(access, refresh, time.Time{}),
		Scopes:    scopes,
		User:      vault.SentryUser{ID: userID},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.secrets = append(f.secrets, access, refresh)
	f.mu.Unlock()
}

// refresher stands in for Sentry's token endpoint after the user revoked
// lookout: every refresh is refused.
func (f *fixture) refresher(context.Context, secret.Value) (vault.Token, error) {
	f.refreshes.Add(1)
	if f.transient.Load() {
		return vault.Token{}, errors.New("sentry oauth: refresh: token endpoint answered 503 (from 10.1.2.3:443)")
	}
	return vault.Token{}, fmt.Errorf("sentry token endpoint: invalid_grant: %w", vault.ErrStale)
}

// agent returns an agent over the fixture's vault and fake Sentry.
func (f *fixture) agent(opts Options) *Agent {
	opts.Vault = f.vault
	opts.SentryURL = f.fake.URL
	return New(opts)
}

// run runs one turn and fails the test on error.
func (f *fixture) run(a *Agent, principal, text string) Reply {
	f.t.Helper()
	r, err := a.Run(context.Background(), Turn{Principal: principal, Text: text})
	if err != nil {
		f.t.Fatalf("Run(%s, %q): %v", principal, text, err)
	}
	return r
}

// users counts the requests the fake Sentry received since the last
// ClearRequests by Sentry user id ("" for a missing or unknown token).
func (f *fixture) users() map[string]int {
	f.t.Helper()
	users := map[string]int{}
	for _, r := range f.fake.Requests() {
		users[r.UserID]++
	}
	return users
}

// assertNoSecrets fails if data contains any token of the fixture, or
// anything shaped like a Sentry user token.
func (f *fixture) assertNoSecrets(what string, data []byte) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.secrets) == 0 {
		f.t.Fatal("assertNoSecrets: no secrets to look for")
	}
	for _, s := range f.secrets {
		if bytes.Contains(data, []byte(s)) {
			f.t.Errorf("%s contains a token (%s...)", what, s[:10])
		}
	}
	if bytes.Contains(data, []byte("sntryu_")) {
		f.t.Errorf("%s contains something shaped like a Sentry token", what)
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func wantAuth(t *testing.T, r Reply, reason, scope string) {
	t.Helper()
	if r.Auth == nil {
		t.Fatalf("reply = %q, want AuthNeeded{%s %s}", r.Text, reason, scope)
	}
	if r.Auth.Reason != reason || r.Auth.Scope != scope || r.Text != "" {
		t.Fatalf("reply = %+v (auth %+v), want AuthNeeded{%s %s} and no text", r, *r.Auth, reason, scope)
	}
}

func wantText(t *testing.T, r Reply, contains ...string) {
	t.Helper()
	if r.Auth != nil {
		t.Fatalf("reply needs auth %+v, want an answer", *r.Auth)
	}
	for _, c := range contains {
		if !strings.Contains(r.Text, c) {
			t.Errorf("reply lacks %q:\n%s", c, r.Text)
		}
	}
}
