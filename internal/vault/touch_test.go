package vault_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// memGrants is an in-memory vault.Store holding one principal's grant whose
// TouchGrant waits for release (or its context): a database slower than
// the caller. Its channels are made inside a synctest bubble, so a
// goroutine waiting on them is durably blocked.
type memGrants struct {
	vault.Store // nil: the methods the tests below need are implemented

	entered chan struct{} // a last-use write started
	release chan struct{} // let it through

	mu      sync.Mutex
	row     store.Grant
	touched time.Time
	errs    []error
}

func (m *memGrants) PutGrant(_ context.Context, g store.Grant) (store.Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g.Version = m.row.Version + 1
	m.row = g
	return g, nil
}

func (m *memGrants) GetGrant(_ context.Context, principal string) (store.Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.row.Principal != principal {
		return store.Grant{}, store.ErrNotFound
	}
	return m.row, nil
}

func (m *memGrants) AppendAudit(context.Context, store.AuditEvent) error { return nil }

func (m *memGrants) TouchGrant(ctx context.Context, _ string, now time.Time) error {
	m.entered <- struct{}{}
	select {
	case <-m.release:
	case <-ctx.Done():
		m.mu.Lock()
		m.errs = append(m.errs, ctx.Err())
		m.mu.Unlock()
		return ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touched = now
	return nil
}

// Close lets a last-use write in flight finish instead of cancelling it.
// It used to cancel it (the write's context came from the one Close
// cancels first), so a use made just before Close was lost, and
// TestClientRecordsLastUseOncePerMinute failed now and then under load.
func TestCloseFinishesLastUseWrites(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		m := &memGrants{entered: make(chan struct{}), release: make(chan struct{})}
		v := vault.New(m, mustKeyring(t, newKey(t, "k1")), vault.Options{Sentry: sentry.Options{BaseURL: "https://sentry.example"}})
		if _, err := v.Put(ctx, sampleGrant("mcp:p", 1, time.Now().Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := v.Client(ctx, "mcp:p"); err != nil {
			t.Fatal(err)
		}
		<-m.entered
		closed := make(chan error)
		go func() { closed <- v.Close(ctx) }()
		synctest.Wait() // Close has done all it can before the write ends
		close(m.release)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		if m.touched.IsZero() || len(m.errs) > 0 {
			t.Fatalf("last use not recorded by Close: %v", m.errs)
		}
	})
}

// A database that never answers does not hold Close past its context.
func TestCloseAbandonsLastUseWritesAtItsDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		m := &memGrants{entered: make(chan struct{}), release: make(chan struct{})}
		v := vault.New(m, mustKeyring(t, newKey(t, "k1")), vault.Options{
			Sentry: sentry.Options{BaseURL: "https://sentry.example"}, StoreTimeout: time.Hour})
		if _, err := v.Put(ctx, sampleGrant("mcp:p", 1, time.Now().Add(24*time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := v.Client(ctx, "mcp:p"); err != nil {
			t.Fatal(err)
		}
		<-m.entered
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := v.Close(cctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Close took %v, want its 1s deadline", d)
		}
		if len(m.errs) != 1 || !errors.Is(m.errs[0], context.Canceled) {
			t.Errorf("the write in flight saw %v, want it cancelled", m.errs)
		}
	})
}
