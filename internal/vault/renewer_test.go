package vault_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// twoProcesses opens two stores on one fresh database, as two replicas
// sharing it do, each behind a fault-injecting wrapper that counts calls.
func twoProcesses(t *testing.T, backend string) (a, b *storetest.Faulty) {
	t.Helper()
	var dsn string
	var open func(context.Context, string) (*sqlstore.Store, error)
	switch backend {
	case "sqlite":
		dsn, open = storetest.SQLiteDSN(t), sqlstore.OpenSQLite
	default:
		dsn, open = storetest.PostgresDSN(t), sqlstore.OpenPostgres
	}
	var out []*storetest.Faulty
	for range 2 {
		s, err := open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		out = append(out, storetest.NewFaulty(s))
	}
	return out[0], out[1]
}

// clock is real time plus an offset the test moves: leases and timers run
// on real time while grants age by days.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// tokenEndpoint imitates Sentry's token endpoint for many grants: each
// refresh token works once and is rotated, tokens last 30 days, and it
// records who called, how often per principal and how many at once.
type tokenEndpoint struct {
	clock *clock
	life  time.Duration

	mu       sync.Mutex
	owner    map[string]string // every refresh token made -> its principal
	current  map[string]bool   // the refresh tokens that still work
	calls    map[string]int    // principal -> refreshes asked
	callers  map[string]int    // replica -> refreshes asked
	inFlight int
	maxAtAll int
	n        int
}

func newTokenEndpoint(c *clock) *tokenEndpoint {
	return &tokenEndpoint{clock: c, life: 30 * 24 * time.Hour, owner: map[string]string{}, current: map[string]bool{}, calls: map[string]int{}, callers: map[string]int{}}
}

// grant is a grant of principal that this endpoint will refresh (or, when
// known is false, refuse), expiring in expiresIn.
func (e *tokenEndpoint) grant(principal string, expiresIn time.Duration, known bool) vault.Grant {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	rt := fmt.Sprintf("refresh-%s-%d", principal, e.n)
	e.owner[rt], e.current[rt] = principal, known
	return vault.Grant{Principal: principal, Scopes: []string{"org:read"}, User: vault.SentryUser{ID: "42"},
		Token: vault.NewToken(fmt.Sprintf("access-%s-%d", principal, e.n), rt, e.clock.now().Add(expiresIn))}
}

// refresher is replica's vault.Refresher.
func (e *tokenEndpoint) refresher(replica string) vault.Refresher {
	return func(ctx context.Context, old secret.Value) (vault.Token, error) {
		e.mu.Lock()
		e.inFlight++
		e.maxAtAll = max(e.maxAtAll, e.inFlight)
		principal, ok := e.owner[old.Reveal()], e.current[old.Reveal()]
		e.calls[principal]++
		e.callers[replica]++
		e.mu.Unlock()
		time.Sleep(2 * time.Millisecond) // a token endpoint takes a moment
		e.mu.Lock()
		defer e.mu.Unlock()
		e.inFlight--
		if !ok {
			return vault.Token{}, fmt.Errorf("invalid_grant: %w", vault.ErrStale)
		}
		delete(e.current, old.Reveal())
		e.n++
		rt := fmt.Sprintf("refresh-%s-%d", principal, e.n)
		e.owner[rt], e.current[rt] = principal, true
		return vault.NewToken(fmt.Sprintf("access-%s-%d", principal, e.n), rt, e.clock.now().Add(e.life)), nil
	}
}

func (e *tokenEndpoint) snapshot() (calls, callers map[string]int, maxAtAll int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.calls), maps.Clone(e.callers), e.maxAtAll
}

// replica is one process: its store handle, vault and refresher.
type replica struct {
	name  string
	store *storetest.Faulty
	vault *vault.Vault
	stop  context.CancelFunc
	done  chan error
}

func startReplica(t *testing.T, name string, s *storetest.Faulty, c *clock, e *tokenEndpoint, key vault.Key, opts vault.RenewerOptions) *replica {
	t.Helper()
	v := newVault(t, s, vault.Options{Now: c.now, Refresher: e.refresher(name), PollInterval: 5 * time.Millisecond}, key)
	ctx, stop := context.WithCancel(context.Background())
	r := &replica{name: name, store: s, vault: v, stop: stop, done: make(chan error, 1)}
	ren := v.NewRenewer(s, opts)
	go func() { r.done <- ren.Run(ctx) }()
	t.Cleanup(r.halt)
	return r
}

// halt stops the replica's refresher and waits for it to return.
func (r *replica) halt() {
	r.stop()
	<-r.done
	r.done <- nil // later halts return at once
}

// passes waits until the replicas, between them, have looked for expiring
// grants n more times.
func passes(t *testing.T, n int, rs ...*replica) {
	t.Helper()
	count := func() int {
		total := 0
		for _, r := range rs {
			total += r.store.Calls("ListExpiringGrants")
		}
		return total
	}
	target := count() + n
	waitFor(t, fmt.Sprintf("%d more refresher passes", n), func() bool { return count() >= target })
}

var fastRenewer = vault.RenewerOptions{Interval: 20 * time.Millisecond, LeaseTTL: 600 * time.Millisecond, PerMinute: 60000}

// Issue #11: two replicas share one database and each runs the background
// refresher. Grants near expiry are refreshed once each, healthy and stale
// ones not at all, by one replica at a time; a refused refresh marks the
// grant stale with an audit event; and when the elected replica stops, the
// other takes over.
func TestRenewerTwoReplicas(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			c := &clock{}
			e := newTokenEndpoint(c)
			key := newKey(t, "k1")
			sa, sb := twoProcesses(t, backend)
			setup := newVault(t, sa, vault.Options{Now: c.now}, key)

			const day = 24 * time.Hour
			due := []string{"mcp:due-1", "mcp:due-2", "slack:T1:due"}
			healthy := []string{"mcp:healthy-1", "slack:T1:healthy"}
			for _, p := range due {
				if _, err := setup.Put(ctx, e.grant(p, 30*day, true)); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range healthy {
				if _, err := setup.Put(ctx, e.grant(p, 60*day, true)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := setup.Put(ctx, e.grant("mcp:refused", 30*day, false)); err != nil {
				t.Fatal(err)
			}
			if _, err := setup.Put(ctx, e.grant("mcp:stale", 30*day, true)); err != nil {
				t.Fatal(err)
			}
			if err := setup.MarkStale(ctx, "mcp:stale", "test"); err != nil {
				t.Fatal(err)
			}

			// 29.5 days later: the first grants expire in 12 hours.
			c.advance(29*day + 12*time.Hour)
			a := startReplica(t, "a", sa, c, e, key, fastRenewer)
			b := startReplica(t, "b", sb, c, e, key, fastRenewer)
			waitFor(t, "the due grants refreshed and the refused one stale", func() bool {
				calls, _, _ := e.snapshot()
				st, err := setup.Status(ctx, "mcp:refused")
				return calls["mcp:due-1"] == 1 && calls["mcp:due-2"] == 1 && calls["slack:T1:due"] == 1 && err == nil && st.Stale
			})
			passes(t, 6, a, b) // and then some more passes, which must find nothing to do

			calls, callers, maxAtAll := e.snapshot()
			for _, p := range append(due, "mcp:refused") {
				if calls[p] != 1 {
					t.Errorf("%s: %d refreshes, want 1", p, calls[p])
				}
			}
			for _, p := range append(healthy, "mcp:stale") {
				if calls[p] != 0 {
					t.Errorf("%s: %d refreshes, want none", p, calls[p])
				}
			}
			if len(callers) != 1 || maxAtAll != 1 {
				t.Errorf("refreshes by replica %v, at most %d at once; want one replica, one at a time", callers, maxAtAll)
			}
			for _, p := range due {
				st, err := setup.Status(ctx, p)
				if err != nil || st.Stale || st.Expiry.Sub(c.now()) < 29*day {
					t.Errorf("%s after the refresh: %+v %v", p, st, err)
				}
			}
			assertAudit(t, sa, "mcp:refused", vault.ActionStale)
			assertAudit(t, sa, "mcp:due-1", vault.ActionRefreshed)

			// The elected replica stops; the other takes over. 59.5 days
			// in, every grant but the stale ones is due.
			leader, other := a, b
			if callers["b"] > 0 {
				leader, other = b, a
			}
			leader.halt()
			c.advance(30 * day)
			waitFor(t, "the other replica refreshing everything due", func() bool {
				calls, _, _ := e.snapshot()
				for _, p := range due {
					if calls[p] != 2 {
						return false
					}
				}
				return calls["mcp:healthy-1"] == 1 && calls["slack:T1:healthy"] == 1
			})
			passes(t, 4, other)
			calls, callers2, maxAtAll := e.snapshot()
			if callers2[leader.name] != callers[leader.name] || maxAtAll != 1 {
				t.Errorf("after %s stopped: refreshes by replica %v (before %v), at most %d at once", leader.name, callers2, callers, maxAtAll)
			}
			if calls["mcp:refused"] != 1 || calls["mcp:stale"] != 0 {
				t.Errorf("stale grants refreshed: refused %d, stale %d", calls["mcp:refused"], calls["mcp:stale"])
			}
		})
	}
}

// A grant whose tokens live shorter than LOOKOUT_REFRESH_AHEAD is
// refreshed at half its lifetime, once, not on every pass.
func TestRenewerShortLivedTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{}
	e := newTokenEndpoint(c)
	e.life = time.Hour
	key := newKey(t, "k1")
	sa, _ := twoProcesses(t, "sqlite")
	setup := newVault(t, sa, vault.Options{Now: c.now}, key)
	if _, err := setup.Put(ctx, e.grant("mcp:short", time.Hour, true)); err != nil {
		t.Fatal(err)
	}
	a := startReplica(t, "a", sa, c, e, key, fastRenewer) // ahead: 24 h
	passes(t, 5, a)
	if calls, _, _ := e.snapshot(); calls["mcp:short"] != 0 {
		t.Fatalf("refreshed %d times with 60 of 60 minutes left, want 0", calls["mcp:short"])
	}
	c.advance(40 * time.Minute)
	waitFor(t, "the refresh at half-life", func() bool { calls, _, _ := e.snapshot(); return calls["mcp:short"] == 1 })
	passes(t, 5, a)
	if calls, _, _ := e.snapshot(); calls["mcp:short"] != 1 {
		t.Fatalf("refreshed %d times, want 1: the new hour-long token is not due", calls["mcp:short"])
	}
}

// Grants stored before their metadata was kept outside the ciphertext are
// described when the refresher starts, and then refreshed when due.
func TestRenewerDescribesOldRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{}
	e := newTokenEndpoint(c)
	key := newKey(t, "k1")
	sa, _ := twoProcesses(t, "sqlite")
	setup := newVault(t, sa, vault.Options{Now: c.now}, key)
	if _, err := setup.Put(ctx, e.grant("slack:T1:old", 30*24*time.Hour, true)); err != nil {
		t.Fatal(err)
	}
	// As an older lookout wrote it: sealed, but nothing outside.
	row, err := sa.GetGrant(ctx, "slack:T1:old")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sa.PutGrant(ctx, store.Grant{Principal: row.Principal, KeyID: row.KeyID, Ciphertext: row.Ciphertext}); err != nil {
		t.Fatal(err)
	}
	if gs, err := sa.ListGrantsBySentryUser(ctx, "42"); err != nil || len(gs) != 0 {
		t.Fatalf("an undescribed row is found by user: %v %v", gs, err)
	}
	a := startReplica(t, "a", sa, c, e, key, fastRenewer)
	passes(t, 1, a)
	row, err = sa.GetGrant(ctx, "slack:T1:old")
	if err != nil || !row.Described || row.SentryUserID != "42" || row.ExpiresAt.IsZero() {
		t.Fatalf("after the refresher started: %+v %v", row, err)
	}
	c.advance(29*24*time.Hour + 12*time.Hour)
	waitFor(t, "the described grant refreshed", func() bool { calls, _, _ := e.snapshot(); return calls["slack:T1:old"] == 1 })
}

// The refresher keeps going through a database outage and refreshes once
// the database is back; it never hangs on it (the store calls have
// deadlines) and stops promptly.
func TestRenewerSurvivesDatabaseOutage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{}
	e := newTokenEndpoint(c)
	key := newKey(t, "k1")
	sa, _ := twoProcesses(t, "sqlite")
	setup := newVault(t, sa, vault.Options{Now: c.now}, key)
	if _, err := setup.Put(ctx, e.grant("mcp:p", 30*24*time.Hour, true)); err != nil {
		t.Fatal(err)
	}
	c.advance(29*24*time.Hour + 12*time.Hour)
	sa.Set(storetest.Fail, "ListExpiringGrants")
	a := startReplica(t, "a", sa, c, e, key, fastRenewer)
	passes(t, 3, a)
	if calls, _, _ := e.snapshot(); calls["mcp:p"] != 0 {
		t.Fatalf("refreshed while the database failed: %v", calls)
	}
	sa.Set(storetest.Pass, "ListExpiringGrants")
	waitFor(t, "the refresh once the database is back", func() bool { calls, _, _ := e.snapshot(); return calls["mcp:p"] == 1 })
	stopped := make(chan struct{})
	go func() { a.halt(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the refresher did not stop within 10 s of its context ending")
	}
	// It let go of the lease: another replica is elected at once.
	now := c.now()
	if err := sa.AcquireLease(ctx, vault.RenewerLease, "another", now, now.Add(time.Minute)); err != nil {
		t.Fatalf("the lease after the refresher stopped: %v", err)
	}
}

// A due grant that does not open (tampered) is skipped on every pass
// without an audit event each time, and never sent to Sentry.
func TestRenewerSkipsBrokenGrantsQuietly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{}
	e := newTokenEndpoint(c)
	key := newKey(t, "k1")
	sa, _ := twoProcesses(t, "sqlite")
	setup := newVault(t, sa, vault.Options{Now: c.now}, key)
	if _, err := setup.Put(ctx, e.grant("mcp:broken", 30*24*time.Hour, true)); err != nil {
		t.Fatal(err)
	}
	row, err := sa.GetGrant(ctx, "mcp:broken")
	if err != nil {
		t.Fatal(err)
	}
	row.Ciphertext[len(row.Ciphertext)-1] ^= 1
	if _, err := sa.PutGrant(ctx, row); err != nil {
		t.Fatal(err)
	}
	c.advance(29*24*time.Hour + 12*time.Hour)
	a := startReplica(t, "a", sa, c, e, key, fastRenewer)
	passes(t, 5, a)
	if calls, _, _ := e.snapshot(); calls["mcp:broken"] != 0 {
		t.Errorf("a grant that does not open was refreshed: %v", calls)
	}
	events, err := sa.SearchAudit(ctx, store.AuditQuery{Action: vault.ActionDecryptFailed})
	if err != nil || len(events) != 0 {
		t.Errorf("%d decrypt-failure audit events from background passes (%v), want none", len(events), err)
	}
}
