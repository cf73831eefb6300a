package vault_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// outcomes records what a hook was told, in order.
type outcomes struct {
	mu   sync.Mutex
	seen []string
}

func (o *outcomes) add(s string) { o.mu.Lock(); o.seen = append(o.seen, s); o.mu.Unlock() }

func (o *outcomes) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.seen)
}

// OnRefresh hears each refresh Sentry was asked for, with its outcome: the
// one words metrics count (refreshed, stale, failed).
func TestOnRefreshOutcomes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.SQLite(t)
	var got outcomes
	sentry := &sentryRefresh{current: "refresh-0", expiry: time.Now().Add(time.Hour)}
	down := errors.New("token endpoint: 503")
	refresher := func(ctx context.Context, old secret.Value) (vault.Token, error) {
		if old.Reveal() == "refresh-down" {
			return vault.Token{}, down
		}
		return sentry.refresh(ctx, old)
	}
	v := newVault(t, s, vault.Options{Refresher: refresher, OnRefresh: got.add}, newKey(t, "k1"))

	if _, err := v.Put(ctx, expiredGrant("mcp:ok")); err != nil {
		t.Fatal(err)
	}
	refused := sampleGrant("mcp:refused", 0, time.Now().Add(-time.Minute)) // Sentry knows not its refresh token
	down1 := sampleGrant("mcp:down", 0, time.Now().Add(-time.Minute))
	down1.Token = vault.NewToken(accessOf(down1), "refresh-down", down1.Token.Expiry())
	for _, g := range []vault.Grant{refused, down1} {
		if _, err := v.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Refresh(ctx, "mcp:ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Refresh(ctx, "mcp:ok"); err != nil { // valid now: Sentry is not asked
		t.Fatal(err)
	}
	if _, err := v.Refresh(ctx, "mcp:refused"); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("refused refresh: %v", err)
	}
	if _, err := v.Refresh(ctx, "mcp:down"); !errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("refresh while the token endpoint is down: %v", err)
	}
	if want := []string{"refreshed", "stale", "failed"}; !slices.Equal(got.get(), want) {
		t.Errorf("OnRefresh heard %q, want %q", got.get(), want)
	}
}

// The background refresher tells OnRenew what became of each grant it
// looked at, and OnPass of each pass it finished.
func TestRenewerHooks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{}
	e := newTokenEndpoint(c)
	key := newKey(t, "k1")
	sa, _ := twoProcesses(t, "sqlite")
	setup := newVault(t, sa, vault.Options{Now: c.now}, key)
	if _, err := setup.Put(ctx, e.grant("mcp:due", time.Hour, true)); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Put(ctx, e.grant("mcp:refused", time.Hour, false)); err != nil {
		t.Fatal(err)
	}
	c.advance(45 * time.Minute) // past half their hour: due
	var renewed outcomes
	var mu sync.Mutex
	passesDone := 0
	opts := fastRenewer
	opts.OnRenew = renewed.add
	opts.OnPass = func() { mu.Lock(); passesDone++; mu.Unlock() }
	startReplica(t, "a", sa, c, e, key, opts)
	waitFor(t, "two passes", func() bool { mu.Lock(); defer mu.Unlock(); return passesDone >= 2 })
	got := renewed.get()
	slices.Sort(got)
	// The first pass refreshes one and finds the other refused; later
	// passes find neither due (the new token lasts 30 days, the stale one
	// is not listed).
	if want := []string{"refreshed", "stale"}; !slices.Equal(got, want) {
		t.Errorf("OnRenew heard %q, want %q", got, want)
	}
}
