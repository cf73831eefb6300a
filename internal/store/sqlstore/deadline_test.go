package sqlstore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// blackhole is a TCP proxy in front of PostgreSQL that can stop forwarding
// in both directions while keeping every connection open: a database
// behind a dead network path or a hung load balancer, which answers
// nothing and refuses nothing.
type blackhole struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	holed  bool
	wake   chan struct{} // closed when holed ends
	closed bool
	conns  []net.Conn
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, target: target, wake: make(chan struct{})}
	go b.accept()
	t.Cleanup(b.close)
	return b
}

func (b *blackhole) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", b.target)
		if err != nil {
			c.Close()
			continue
		}
		b.mu.Lock()
		b.conns = append(b.conns, c, up)
		b.mu.Unlock()
		go b.pipe(up, c)
		go b.pipe(c, up)
	}
}

// pipe copies src to dst, holding each chunk while the hole is open.
func (b *blackhole) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			b.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				dst.Close()
			}
			return
		}
	}
}

func (b *blackhole) wait() {
	b.mu.Lock()
	for b.holed && !b.closed {
		w := b.wake
		b.mu.Unlock()
		<-w
		b.mu.Lock()
	}
	b.mu.Unlock()
}

func (b *blackhole) set(holed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holed && !holed {
		close(b.wake)
		b.wake = make(chan struct{})
	}
	b.holed = holed
}

func (b *blackhole) close() {
	b.mu.Lock()
	b.closed = true
	close(b.wake)
	b.wake = make(chan struct{})
	conns := b.conns
	b.mu.Unlock()
	b.ln.Close()
	for _, c := range conns {
		c.Close()
	}
}

// Issue #9 §4: a black-holed PostgreSQL made every request hang for the
// whole outage. Replayed with a proxy that stops forwarding: a store call
// whose caller set no deadline fails within the store's statement timeout,
// and the store works again once the path is back.
func TestBlackholedDatabaseFailsFast(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	hole := newBlackhole(t, u.Host)
	u.Host = hole.ln.Addr().String()
	st, err := sqlstore.OpenPostgres(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	const timeout = 500 * time.Millisecond
	st.SetStatementTimeout(timeout)
	if _, err := st.ListGrants(context.Background(), "", 10); err != nil {
		t.Fatalf("before the outage: %v", err)
	}

	hole.set(true)
	calls := map[string]func(ctx context.Context) error{
		"read": func(ctx context.Context) error { _, err := st.GetGrant(ctx, "mcp:nobody"); return err },
		"write": func(ctx context.Context) error {
			return st.RecordEvent(ctx, "e1", time.Now(), time.Now().Add(time.Hour))
		},
		"list": func(ctx context.Context) error { _, err := st.ListGrants(ctx, "", 10); return err },
		"tx":   func(ctx context.Context) error { _, err := st.DeleteExpired(ctx, time.Now()); return err },
	}
	for name, call := range calls {
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- call(context.Background()) }() // no deadline of its own
		select {
		case err := <-done:
			if err == nil || errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s during the outage: %v, want a failure", name, err)
			}
			if took := time.Since(start); took > 5*timeout {
				t.Errorf("%s took %s, want about the statement timeout (%s)", name, took, timeout)
			}
		case <-time.After(30 * timeout):
			t.Fatalf("%s still hangs after %s: store calls have no deadline", name, 30*timeout)
		}
	}

	hole.set(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := st.ListGrants(context.Background(), "", 10)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the outage: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
