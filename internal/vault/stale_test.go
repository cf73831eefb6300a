package vault_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	sentryapi "github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// staleCalls records OnStale calls.
type staleCalls struct {
	mu    sync.Mutex
	calls []string
}

func (c *staleCalls) onStale(_ context.Context, principal string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, principal)
}

func (c *staleCalls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// OnStale hears each transition to stale once, across two processes
// marking the same grant at once, through both MarkStale and a refused
// refresh; never for a healthy grant or one already stale.
func TestOnStaleOncePerTransition(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		key := newKey(t, "k1")
		sentry := &sentryRefresh{current: "refresh-0", expiry: time.Now().Add(time.Hour)}
		var heard staleCalls
		opts := vault.Options{PollInterval: 5 * time.Millisecond, Refresher: sentry.refresh, OnStale: heard.onStale,
			Sentry: sentryapi.Options{BaseURL: "https://sentry.example"}}
		a, b := newVault(t, s, opts, key), newVault(t, s, opts, key)

		if _, err := a.Put(ctx, sampleGrant("healthy", 1, time.Now().Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Put(ctx, sampleGrant("p", 1, time.Now().Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Client(ctx, "healthy"); err != nil {
			t.Fatal(err)
		}

		// 1. Both processes mark p stale at once, ten times each.
		var wg sync.WaitGroup
		for i := range 20 {
			v := a
			if i%2 == 1 {
				v = b
			}
			wg.Go(func() {
				if err := v.MarkStale(ctx, "p", "Sentry answered 401 after a refresh"); err != nil {
					t.Errorf("MarkStale: %v", err)
				}
			})
		}
		wg.Wait()
		if got := heard.list(); !slices.Equal(got, []string{"p"}) {
			t.Fatalf("after marking p stale 20 times: OnStale heard %v, want [p] once", got)
		}

		// 2. p reconnects with an expired grant whose refresh Sentry then
		// refuses: both processes find out at once; one more call.
		g := expiredGrant("p")
		if _, err := a.Put(ctx, g); err != nil {
			t.Fatal(err)
		}
		sentry.mu.Lock()
		sentry.current = "revoked-by-the-user"
		sentry.mu.Unlock()
		for i := range 20 {
			v := a
			if i%2 == 1 {
				v = b
			}
			wg.Go(func() {
				if _, _, err := v.Client(ctx, "p"); !errors.Is(err, vault.ErrStale) {
					t.Errorf("Client of a grant whose refresh was refused: %v, want ErrStale", err)
				}
			})
		}
		wg.Wait()
		if got := heard.list(); !slices.Equal(got, []string{"p", "p"}) {
			t.Fatalf("after a refused refresh: OnStale heard %v, want [p p]", got)
		}
		// Already stale: nothing more.
		if err := b.MarkStale(ctx, "p", "again"); err != nil {
			t.Fatal(err)
		}
		if got := heard.list(); len(got) != 2 {
			t.Errorf("marking a stale grant stale again: OnStale heard %v", got)
		}
	})
}
