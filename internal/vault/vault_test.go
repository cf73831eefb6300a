package vault_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// backends runs fn against every store backend available to this run.
func backends(t *testing.T, fn func(t *testing.T, newStore func(t *testing.T) store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.SQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.Postgres) })
}

func newKey(t *testing.T, id string) vault.Key {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return vault.Key{ID: id, Secret: secret.FromBytes(b)}
}

func newVault(t *testing.T, s vault.Store, opts vault.Options, keys ...vault.Key) *vault.Vault {
	t.Helper()
	kr, err := vault.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(s, kr, opts)
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

func values(g vault.Grant) (access, refresh string) { return vault.TokenValues(g.Token) }

func accessOf(g vault.Grant) string { a, _ := values(g); return a }

func sampleGrant(principal string, n int, expiry time.Time) vault.Grant {
	return vault.Grant{
		Principal: principal,
		Token: vault.NewToken(
			fmt.Sprintf("sntryu_access_%s_%d_%s", principal, n, strings.Repeat("a", 20)),
			fmt.Sprintf("refresh_%s_%d_%s", principal, n, strings.Repeat("b", 20)),
			expiry),
		Scopes: []string{"org:read", "event:read"},
		User:   vault.SentryUser{ID: "42", Name: "Alice", Email: "alice@example.com"},
	}
}

func TestPutGetDelete(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		v := newVault(t, s, vault.Options{}, newKey(t, "k1"))

		if _, err := v.Status(ctx, "slack:T1:U1"); !errors.Is(err, vault.ErrNoGrant) {
			t.Fatalf("Status before Put: err = %v, want ErrNoGrant", err)
		}
		want := sampleGrant("slack:T1:U1", 1, time.Now().Add(time.Hour).UTC().Truncate(time.Second))
		if _, err := v.Put(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := v.Get(ctx, want.Principal)
		if err != nil {
			t.Fatal(err)
		}
		wa, wr := values(want)
		ga, gr := values(got)
		if ga != wa || gr != wr || !got.Token.Expiry().Equal(want.Token.Expiry()) || got.User != want.User {
			t.Fatalf("round trip mismatch: got %+v", got)
		}
		st, err := v.Status(ctx, want.Principal)
		if err != nil || !st.HasScope("event:read") || st.ConnectedAt.IsZero() || st.User != want.User || st.Stale ||
			!st.Expiry.Equal(want.Token.Expiry()) {
			t.Fatalf("Status: %+v %v", st, err)
		}

		// The row holds no plaintext token.
		row, err := s.GetGrant(ctx, want.Principal)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(row.Ciphertext, []byte(wa)) || bytes.Contains(row.Ciphertext, []byte("alice@")) {
			t.Fatal("ciphertext contains plaintext")
		}
		if row.KeyID != "k1" {
			t.Fatalf("KeyID = %q, want k1", row.KeyID)
		}

		if err := v.Delete(ctx, want.Principal, "user disconnected"); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Status(ctx, want.Principal); !errors.Is(err, vault.ErrNoGrant) {
			t.Fatalf("Status after Delete: err = %v, want ErrNoGrant", err)
		}
		if err := v.Delete(ctx, want.Principal, "again"); !errors.Is(err, vault.ErrNoGrant) {
			t.Fatalf("second Delete: err = %v, want ErrNoGrant", err)
		}
		assertAudit(t, s, want.Principal, vault.ActionConnected, vault.ActionRevoked)
	})
}

// A sealed row copied to another principal must not open: the additional
// data binds each ciphertext to its principal.
func TestSwappedRowsFailToDecrypt(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		v := newVault(t, s, vault.Options{}, newKey(t, "k1"), newKey(t, "k2"))
		exp := time.Now().Add(time.Hour)
		for _, p := range []string{"slack:T1:alice", "slack:T1:mallory"} {
			if _, err := v.Put(ctx, sampleGrant(p, 1, exp)); err != nil {
				t.Fatal(err)
			}
		}
		alice, err := s.GetGrant(ctx, "slack:T1:alice")
		if err != nil {
			t.Fatal(err)
		}
		mallory, err := s.GetGrant(ctx, "slack:T1:mallory")
		if err != nil {
			t.Fatal(err)
		}
		// Swap the two rows' sealed contents in the database.
		if _, err := s.PutGrant(ctx, store.Grant{Principal: "slack:T1:mallory", KeyID: alice.KeyID, Ciphertext: alice.Ciphertext}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutGrant(ctx, store.Grant{Principal: "slack:T1:alice", KeyID: mallory.KeyID, Ciphertext: mallory.Ciphertext}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"slack:T1:alice", "slack:T1:mallory"} {
			st, err := v.Status(ctx, p)
			if !errors.Is(err, vault.ErrDecrypt) || errors.Is(err, vault.ErrUnavailable) {
				t.Fatalf("Status(%s) after swap: %v, err %v; want ErrDecrypt (not transient)", p, st, err)
			}
		}
		// Relabelling the key id is refused too.
		if _, err := s.PutGrant(ctx, store.Grant{Principal: "slack:T1:alice", KeyID: "k2", Ciphertext: alice.Ciphertext}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Status(ctx, "slack:T1:alice"); !errors.Is(err, vault.ErrDecrypt) {
			t.Fatalf("Status after key relabel: err = %v, want ErrDecrypt", err)
		}
		// A flipped bit is refused.
		tampered := bytes.Clone(alice.Ciphertext)
		tampered[len(tampered)-1] ^= 1
		if _, err := s.PutGrant(ctx, store.Grant{Principal: "slack:T1:alice", KeyID: alice.KeyID, Ciphertext: tampered}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Status(ctx, "slack:T1:alice"); !errors.Is(err, vault.ErrDecrypt) {
			t.Fatalf("Status after tampering: err = %v, want ErrDecrypt", err)
		}
		assertAudit(t, s, "slack:T1:mallory", vault.ActionDecryptFailed)
	})
}

// sentryRefresh imitates Sentry's token endpoint: every refresh rotates the
// refresh token, and the old one is refused from then on.
type sentryRefresh struct {
	mu      sync.Mutex
	current string // the one refresh token Sentry still accepts
	n       int
	calls   atomic.Int64
	delay   time.Duration
	expiry  time.Time
}

func (f *sentryRefresh) refresh(ctx context.Context, old secret.Value) (vault.Token, error) {
	f.calls.Add(1)
	time.Sleep(f.delay) // widen the race window; Sentry does not stop when the client goes
	f.mu.Lock()
	defer f.mu.Unlock()
	if old.Reveal() != f.current {
		return vault.Token{}, fmt.Errorf("invalid_grant: %w", vault.ErrStale)
	}
	f.n++
	f.current = fmt.Sprintf("refresh-%d", f.n)
	return vault.NewToken(fmt.Sprintf("access-%d", f.n), f.current, f.expiry), nil
}

// expiredGrant is a grant whose access token has expired and whose
// refresh token Sentry accepts ("refresh-0").
func expiredGrant(principal string) vault.Grant {
	g := sampleGrant(principal, 0, time.Now().Add(-time.Minute))
	g.Token = vault.NewToken(accessOf(g), "refresh-0", g.Token.Expiry())
	return g
}

// 200 callers find the grant expired at once; exactly one refresh reaches
// Sentry, and everyone gets its token. The callers are spread over two
// vaults on two store handles, as two processes sharing one database.
func TestConcurrentRefreshCallsSentryOnce(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		key := newKey(t, "k1")
		sentry := &sentryRefresh{current: "refresh-0", delay: 20 * time.Millisecond, expiry: time.Now().Add(time.Hour)}
		// Short poll so the test is quick; a real lease wait is the same code.
		opts := vault.Options{PollInterval: 5 * time.Millisecond, Refresher: sentry.refresh}
		v1 := newVault(t, s, opts, key)
		v2 := newVault(t, s, opts, key) // another "process": own lease owner, own flights

		if _, err := v1.Put(ctx, expiredGrant("mcp:grant-1")); err != nil {
			t.Fatal(err)
		}
		const callers = 200
		var wg sync.WaitGroup
		tokens := make([]string, callers)
		errs := make([]error, callers)
		start := make(chan struct{})
		for i := range callers {
			v := v1
			if i%2 == 1 {
				v = v2
			}
			wg.Go(func() {
				<-start
				got, err := v.Refresh(ctx, "mcp:grant-1")
				tokens[i], errs[i] = accessOf(got), err
			})
		}
		close(start)
		wg.Wait()

		if n := sentry.calls.Load(); n != 1 {
			t.Fatalf("refresher called %d times, want exactly 1", n)
		}
		for i := range callers {
			if errs[i] != nil || tokens[i] != "access-1" {
				t.Fatalf("caller %d: token %q err %v; want access-1", i, tokens[i], errs[i])
			}
		}
		stored, err := v2.Get(ctx, "mcp:grant-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, r := values(stored); r != "refresh-1" || stored.RefreshedAtTime().IsZero() {
			t.Fatalf("stored grant not updated: %+v", stored)
		}
		assertAudit(t, s, "mcp:grant-1", vault.ActionRefreshed)
	})
}

func TestRefreshSkipsValidToken(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		g := sampleGrant("p", 0, time.Now().Add(time.Hour))
		_, rt := values(g)
		sentry := &sentryRefresh{current: rt, expiry: time.Now().Add(time.Hour)}
		v := newVault(t, newStore(t), vault.Options{Refresher: sentry.refresh}, newKey(t, "k1"))
		if _, err := v.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		got, err := v.Refresh(ctx, "p")
		if err != nil || accessOf(got) != accessOf(g) || sentry.calls.Load() != 0 {
			t.Fatalf("Refresh of a valid grant: token %q err %v calls %d", accessOf(got), err, sentry.calls.Load())
		}
		// Expiring within the skew counts as expired.
		g.Token = vault.NewToken(accessOf(g), rt, time.Now().Add(30*time.Second))
		if _, err := v.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Refresh(ctx, "p"); err != nil || sentry.calls.Load() != 1 {
			t.Fatalf("Refresh within skew: err %v calls %d, want one call", err, sentry.calls.Load())
		}
	})
}

// After a 401, Reauthorize refreshes unless someone already replaced the
// rejected token.
func TestReauthorize(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		sentry := &sentryRefresh{current: "refresh-0", expiry: time.Now().Add(time.Hour)}
		v := newVault(t, newStore(t), vault.Options{Refresher: sentry.refresh}, newKey(t, "k1"))
		g := sampleGrant("p", 0, time.Now().Add(time.Hour))
		g.Token = vault.NewToken(accessOf(g), "refresh-0", g.Token.Expiry())
		if _, err := v.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		got, err := v.Reauthorize(ctx, "p", accessOf(g))
		if err != nil || accessOf(got) != "access-1" {
			t.Fatalf("Reauthorize: token %q err %v", accessOf(got), err)
		}
		// A second caller that also saw the old token gets the new one, no call.
		got, err = v.Reauthorize(ctx, "p", accessOf(g))
		if err != nil || accessOf(got) != "access-1" || sentry.calls.Load() != 1 {
			t.Fatalf("second Reauthorize: token %q err %v calls %d", accessOf(got), err, sentry.calls.Load())
		}
	})
}

// When Sentry refuses the refresh token the grant becomes stale, and stays
// so until the user connects again.
func TestRefusedRefreshMarksStale(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		sentry := &sentryRefresh{current: "something-else"}
		v := newVault(t, s, vault.Options{Refresher: sentry.refresh}, newKey(t, "k1"))
		if _, err := v.Put(ctx, sampleGrant("p", 0, time.Now().Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Refresh(ctx, "p"); !errors.Is(err, vault.ErrStale) {
			t.Fatalf("Refresh with a refused refresh token: err = %v, want ErrStale", err)
		}
		if st, err := v.Status(ctx, "p"); err != nil || !st.Stale {
			t.Fatalf("grant after refused refresh: stale=%t err=%v", st.Stale, err)
		}
		if _, _, err := v.Client(ctx, "p"); !errors.Is(err, vault.ErrStale) || sentry.calls.Load() != 1 {
			t.Fatalf("Client of a stale grant: err %v calls %d; want ErrStale without calling Sentry", err, sentry.calls.Load())
		}
		if _, err := v.Put(ctx, sampleGrant("p", 2, time.Now().Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if st, err := v.Status(ctx, "p"); err != nil || st.Stale {
			t.Fatalf("reconnected grant: stale=%t err=%v", st.Stale, err)
		}
		assertAudit(t, s, "p", vault.ActionStale)
	})
}

// A refresher that died holding the lease does not block others forever.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		sentry := &sentryRefresh{current: "refresh-0", expiry: time.Now().Add(time.Hour)}
		v := newVault(t, s, vault.Options{PollInterval: time.Millisecond, LeaseTTL: 300 * time.Millisecond, Refresher: sentry.refresh}, newKey(t, "k1"))
		if _, err := v.Put(ctx, expiredGrant("p")); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if _, err := s.LeaseGrant(ctx, "p", "crashed-process", now, now.Add(200*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		got, err := v.Refresh(ctx, "p")
		if err != nil || accessOf(got) != "access-1" {
			t.Fatalf("Refresh after a dead lease: token %q err %v", accessOf(got), err)
		}
		if waited := time.Since(now); waited < 150*time.Millisecond {
			t.Fatalf("refreshed after %v, before the other owner's lease ended", waited)
		}
	})
}

func TestRotate(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		k1, k2 := newKey(t, "k1"), newKey(t, "k2")
		old := newVault(t, s, vault.Options{}, k1)
		const n = 230 // more than one page
		exp := time.Now().Add(time.Hour)
		for i := range n {
			if _, err := old.Put(ctx, sampleGrant(fmt.Sprintf("p%03d", i), i, exp)); err != nil {
				t.Fatal(err)
			}
		}
		rotated := newVault(t, s, vault.Options{}, k2, k1)
		// An interrupted earlier run already moved some grants.
		for i := range 50 {
			if _, err := rotated.Put(ctx, sampleGrant(fmt.Sprintf("p%03d", i), i, exp)); err != nil {
				t.Fatal(err)
			}
		}
		if unknown, err := newVault(t, s, vault.Options{}, k2).UnknownKeys(ctx); err != nil || unknown["k1"] != n-50 || len(unknown) != 1 {
			t.Fatalf("UnknownKeys before rotation: %v %v; want k1: %d", unknown, err, n-50)
		}
		rep, err := rotated.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep != (vault.RotateReport{Scanned: n, Rotated: n - 50, Current: 50}) {
			t.Fatalf("first Rotate: %+v", rep)
		}
		rep, err = rotated.Rotate(ctx)
		if err != nil || rep != (vault.RotateReport{Scanned: n, Current: n}) {
			t.Fatalf("second Rotate: %+v, %v; want everything current", rep, err)
		}
		// k1 can be retired: only k2 is needed now.
		onlyNew := newVault(t, s, vault.Options{}, k2)
		if unknown, err := onlyNew.UnknownKeys(ctx); err != nil || len(unknown) != 0 {
			t.Fatalf("UnknownKeys after rotation: %v %v", unknown, err)
		}
		for i := range n {
			g, err := onlyNew.Get(ctx, fmt.Sprintf("p%03d", i))
			if err != nil || accessOf(g) != accessOf(sampleGrant(g.Principal, i, exp)) {
				t.Fatalf("grant %d after rotation: %v", i, err)
			}
		}
		if _, err := old.Status(ctx, "p000"); !errors.Is(err, vault.ErrDecrypt) {
			t.Fatalf("old keyring after rotation: err = %v, want ErrDecrypt", err)
		}
		assertAudit(t, s, "", vault.ActionRotated)
	})
}

func TestRotateCountsUndecryptable(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		if _, err := newVault(t, s, vault.Options{}, newKey(t, "lost")).Put(ctx, sampleGrant("p", 1, time.Time{})); err != nil {
			t.Fatal(err)
		}
		rep, err := newVault(t, s, vault.Options{}, newKey(t, "k2")).Rotate(ctx)
		if err != nil || rep != (vault.RotateReport{Scanned: 1, Failed: 1}) {
			t.Fatalf("Rotate with an unknown key: %+v %v", rep, err)
		}
	})
}

// Printing, logging or marshalling grants, tokens, statuses and keys never
// shows a token or key bytes.
func TestRedaction(t *testing.T) {
	t.Parallel()
	g := sampleGrant("slack:T1:U1", 7, time.Now())
	a, r := values(g)
	key := newKey(t, "k1")
	secrets := []string{a, r, key.Secret.Reveal(), fmt.Sprintf("%x", key.Secret.Reveal())}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outputs = append(outputs,
			fmt.Sprintf(verb, g), fmt.Sprintf(verb, &g), fmt.Sprintf(verb, g.Token),
			fmt.Sprintf(verb, struct{ G vault.Grant }{g}), fmt.Sprintf(verb, []vault.Grant{g}),
			fmt.Sprintf(verb, key), fmt.Sprintf(verb, []vault.Key{key}))
	}
	for _, v := range []any{g, &g, g.Token, map[string]any{"grant": g}, key} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("grant", "grant", g, "token", g.Token, "ptr", &g, "key", key)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("grant", "grant", g, "token", g.Token, "key", key)
	outputs = append(outputs, logs.String())

	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("secret leaked in %q", out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(g), "[redacted]") || !strings.Contains(fmt.Sprint(g), "slack:T1:U1") {
		t.Fatalf("grant should print its principal and a redaction marker: %v", g)
	}
	if got := fmt.Sprintf("%s", key); !strings.Contains(got, "k1") || !strings.Contains(got, "[redacted]") {
		t.Fatalf("key prints as %q, want its id and a redaction marker", got)
	}
}

func TestKeyringValidation(t *testing.T) {
	t.Parallel()
	good := newKey(t, "k1")
	for name, keys := range map[string][]vault.Key{
		"none":      nil,
		"short key": {{ID: "k1", Secret: secret.FromBytes(make([]byte, 16))}},
		"empty id":  {{ID: "", Secret: good.Secret}},
		"duplicate": {good, good},
	} {
		if _, err := vault.NewKeyring(keys...); err == nil {
			t.Errorf("%s: NewKeyring accepted %d keys", name, len(keys))
		}
	}
}

// assertAudit checks that each action was audited for principal, and that
// no audit event anywhere carries token material.
func assertAudit(t *testing.T, s store.Store, principal string, actions ...string) {
	t.Helper()
	events, err := s.ListAudit(context.Background(), "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events {
		if e.Principal == principal {
			seen[e.Action] = true
		}
		for _, marker := range []string{"sntryu_", "refresh_", "access-", "refresh-"} {
			if strings.Contains(e.Detail, marker) {
				t.Fatalf("audit event %s carries token material: %q", e.Action, e.Detail)
			}
		}
	}
	for _, a := range actions {
		if !seen[a] {
			t.Errorf("no %s audit event for %q (have %v)", a, principal, seen)
		}
	}
}

// When Sentry's token endpoint fails transiently, callers that wait on the
// failed attempt share its error: the rotating refresh token is not spent
// again by each of them. The error is ErrUnavailable and the grant is not
// stale.
func TestTransientRefreshFailureIsShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var calls atomic.Int64
	unavailable := errors.New("sentry: 503 service unavailable")
	release := make(chan struct{})
	failing := func(ctx context.Context, _ secret.Value) (vault.Token, error) {
		calls.Add(1)
		<-release
		return vault.Token{}, unavailable
	}
	v := newVault(t, storetest.SQLite(t), vault.Options{Refresher: failing}, newKey(t, "k1"))
	if _, err := v.Put(ctx, sampleGrant("p", 0, time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = v.Refresh(ctx, "p") })
	}
	waitFor(t, "the refresher to be called", func() bool { return calls.Load() == 1 })
	close(release)
	wg.Wait()
	// Those waiting on the failed refresh share its error; a caller that
	// was scheduled only after it failed may start another.
	if n := calls.Load(); n >= int64(len(errs)) {
		t.Fatalf("refresher called %d times for %d callers: each spent the refresh token", n, len(errs))
	}
	for i, err := range errs {
		if !errors.Is(err, unavailable) || !errors.Is(err, vault.ErrUnavailable) || errors.Is(err, vault.ErrStale) {
			t.Fatalf("caller %d: err = %v, want the shared failure as ErrUnavailable", i, err)
		}
	}
	// A later caller tries again, and the grant is not stale.
	before := calls.Load()
	if _, err := v.Refresh(ctx, "p"); !errors.Is(err, unavailable) || calls.Load() != before+1 {
		t.Fatalf("later Refresh: err %v, calls %d", err, calls.Load())
	}
	if st, err := v.Status(ctx, "p"); err != nil || st.Stale {
		t.Fatalf("grant after transient failures: stale=%t err=%v", st.Stale, err)
	}
}

// leaseHook runs before once, just before the wrapped store grants a lease.
type leaseHook struct {
	store.Store
	once   sync.Once
	before func()
}

func (h *leaseHook) LeaseGrant(ctx context.Context, principal, owner string, now, until time.Time) (store.Grant, error) {
	h.once.Do(h.before)
	return h.Store.LeaseGrant(ctx, principal, owner, now, until)
}

// A process that saw the expired token, but gets the lease only after
// another process refreshed, must use that refresh rather than spend the
// already-rotated refresh token.
func TestLeaseAfterAnotherRefreshUsesIt(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		key := newKey(t, "k1")
		sentry := &sentryRefresh{current: "refresh-0", expiry: time.Now().Add(time.Hour)}
		other := newVault(t, s, vault.Options{Refresher: sentry.refresh}, key)
		if _, err := other.Put(ctx, expiredGrant("p")); err != nil {
			t.Fatal(err)
		}
		hooked := &leaseHook{Store: s, before: func() {
			if _, err := other.Refresh(ctx, "p"); err != nil {
				t.Error(err)
			}
		}}
		late := newVault(t, hooked, vault.Options{Refresher: sentry.refresh}, key)
		got, err := late.Refresh(ctx, "p")
		if err != nil || accessOf(got) != "access-1" || sentry.calls.Load() != 1 {
			t.Fatalf("late refresher: token %q err %v calls %d; want the other process's token and one call",
				accessOf(got), err, sentry.calls.Load())
		}
	})
}

// waitFor polls cond until it holds, failing t after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkStatus measures loading and decrypting a grant from SQLite: the
// cost every call pays before its first Sentry request.
func BenchmarkStatus(b *testing.B) {
	ctx := context.Background()
	s := storetest.SQLiteTB(b)
	key := vault.Key{ID: "k1", Secret: secret.FromBytes([]byte("0123456789abcdefghijklmnopqrstuv"))}
	kr, _ := vault.NewKeyring(key)
	v := vault.New(s, kr, vault.Options{})
	defer v.Close(ctx)
	if _, err := v.Put(ctx, sampleGrant("p", 1, time.Now().Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Status(ctx, "p"); err != nil {
			b.Fatal(err)
		}
	}
}

// Issue #9 §1: replica A takes the lease and dies in the middle of the
// refresh, before Sentry answered it (kill -9: no release, no heartbeat).
// Replica B, with the default lease, notices within seconds and refreshes,
// instead of waiting half a minute.
func TestDeadRefresherIsNoticedInSeconds(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		t.Parallel()
		ctx := context.Background()
		s := newStore(t)
		key := newKey(t, "k1")
		sentry := &sentryRefresh{current: "refresh-0", expiry: time.Now().Add(time.Hour)}
		aStore := storetest.NewFaulty(s)
		inSentry := make(chan struct{})
		a := newVault(t, aStore, vault.Options{Refresher: func(ctx context.Context, _ secret.Value) (vault.Token, error) {
			close(inSentry)
			<-ctx.Done() // frozen until the test ends
			return vault.Token{}, ctx.Err()
		}}, key)
		b := newVault(t, s, vault.Options{Refresher: sentry.refresh}, key)
		if _, err := a.Put(ctx, expiredGrant("p")); err != nil {
			t.Fatal(err)
		}
		actx, cancel := context.WithCancel(ctx)
		defer cancel()
		go a.Refresh(actx, "p") //nolint:errcheck // A never returns in time; its error does not matter
		<-inSentry
		// A is dead to the database from now on: no heartbeat, no release.
		aStore.Set(storetest.Fail, "LeaseGrant", "ReleaseGrantLease", "SwapGrant", "GetGrant")
		start := time.Now()
		bctx, bcancel := context.WithTimeout(ctx, 40*time.Second)
		defer bcancel()
		got, err := b.Refresh(bctx, "p")
		waited := time.Since(start)
		if err != nil || accessOf(got) != "access-1" {
			t.Fatalf("B after A died: token %q err %v", accessOf(got), err)
		}
		if waited > 2*vault.DefaultLeaseTTL {
			t.Fatalf("B waited %v for a dead replica's lease, want under %v", waited, 2*vault.DefaultLeaseTTL)
		}
	})
}

// A refresher that is alive but slower than the lease keeps its lease by
// heartbeat: the other replica waits for it and uses its result instead of
// spending the refresh token a second time.
func TestSlowRefresherKeepsItsLease(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		t.Parallel()
		ctx := context.Background()
		s := newStore(t)
		key := newKey(t, "k1")
		sentry := &sentryRefresh{current: "refresh-0", delay: time.Second, expiry: time.Now().Add(time.Hour)}
		opts := vault.Options{Refresher: sentry.refresh, LeaseTTL: 300 * time.Millisecond, PollInterval: 10 * time.Millisecond}
		a := newVault(t, s, opts, key)
		b := newVault(t, s, opts, key)
		if _, err := a.Put(ctx, expiredGrant("p")); err != nil {
			t.Fatal(err)
		}
		aDone := make(chan error, 1)
		go func() { _, err := a.Refresh(ctx, "p"); aDone <- err }()
		waitFor(t, "A to call Sentry", func() bool { return sentry.calls.Load() == 1 })
		got, err := b.Refresh(ctx, "p")
		if err != nil || accessOf(got) != "access-1" {
			t.Fatalf("B: token %q err %v, want A's refresh", accessOf(got), err)
		}
		if err := <-aDone; err != nil {
			t.Fatalf("A: %v", err)
		}
		if n := sentry.calls.Load(); n != 1 {
			t.Fatalf("%d refreshes reached Sentry, want 1", n)
		}
	})
}

// A grant opened once is not decrypted again while its sealed bytes stay
// the same, and remembering it hides no tampering: a row whose bytes or
// key id changed, or that carries another principal's bytes, is opened
// afresh and refused; a rewritten grant (a refresh) is opened afresh and
// read as the new one.
func TestOpenedGrantIsRememberedByItsSealedBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.SQLite(t)
	v := newVault(t, s, vault.Options{}, newKey(t, "k1"), newKey(t, "k2"))
	exp := time.Now().Add(time.Hour)
	for _, p := range []string{"slack:T1:alice", "slack:T1:mallory"} {
		if _, err := v.Put(ctx, sampleGrant(p, 1, exp)); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Status(ctx, p); err != nil { // opened, and remembered
			t.Fatal(err)
		}
	}
	opened := v.Stats().Opened
	for range 3 {
		if _, err := v.Status(ctx, "slack:T1:alice"); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.Stats().Opened - opened; n != 0 {
		t.Errorf("three reads of an unchanged grant decrypted %d times, want 0", n)
	}
	alice, mallory := rowOf(t, s, "slack:T1:alice"), rowOf(t, s, "slack:T1:mallory")
	flipped := bytes.Clone(alice.Ciphertext)
	flipped[len(flipped)-1] ^= 1
	for what, row := range map[string]store.Grant{
		"a flipped bit":             {Principal: alice.Principal, KeyID: alice.KeyID, Ciphertext: flipped},
		"another key id":            {Principal: alice.Principal, KeyID: "k2", Ciphertext: alice.Ciphertext},
		"another principal's grant": {Principal: alice.Principal, KeyID: mallory.KeyID, Ciphertext: mallory.Ciphertext},
	} {
		if _, err := s.PutGrant(ctx, row); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Status(ctx, alice.Principal); !errors.Is(err, vault.ErrDecrypt) {
			t.Errorf("%s, after the grant was opened: %v, want ErrDecrypt", what, err)
		}
	}
	if _, err := v.Put(ctx, sampleGrant(alice.Principal, 2, exp)); err != nil {
		t.Fatal(err)
	}
	opened = v.Stats().Opened
	g, err := v.Get(ctx, alice.Principal)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.Stats().Opened - opened; n != 1 {
		t.Errorf("a rewritten grant was decrypted %d times, want 1", n)
	}
	if got, want := accessOf(g), accessOf(sampleGrant(alice.Principal, 2, exp)); got != want {
		t.Errorf("after the rewrite: access token %q, want the new one %q", got, want)
	}
	// A deleted grant is forgotten: the same bytes put back are opened
	// afresh (the vault keeps no deleted grant's tokens).
	row := rowOf(t, s, alice.Principal)
	if err := v.Delete(ctx, alice.Principal, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutGrant(ctx, store.Grant{Principal: row.Principal, KeyID: row.KeyID, Ciphertext: row.Ciphertext}); err != nil {
		t.Fatal(err)
	}
	opened = v.Stats().Opened
	if _, err := v.Get(ctx, alice.Principal); err != nil {
		t.Fatal(err)
	}
	if n := v.Stats().Opened - opened; n != 1 {
		t.Errorf("a deleted grant's bytes put back were decrypted %d times, want 1: the vault remembered a deleted grant", n)
	}
}
