package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// twoProcesses opens two stores on one SQLite file, as a serving lookout
// and `lookout admin` (or two replicas on PostgreSQL) share a database, with
// a token and its grant in it.
func twoProcesses(t *testing.T) (server, other *Store) {
	t.Helper()
	ctx := context.Background()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "lookout.db")
	var stores [2]*Store
	for i := range stores {
		s, err := OpenSQLite(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := stores[1].CreateToken(ctx, store.Token{Hash: "h", Kind: store.AccessToken, ClientID: "c", Principal: "p",
		FamilyID: "f", Resource: "r", Scope: "read", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[1].PutGrant(ctx, store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("x"), Described: true}); err != nil {
		t.Fatal(err)
	}
	return stores[0], stores[1]
}

// A bearer check served from the cache runs no statement: the point of it.
func TestTokenCacheServesRepeatedChecksWithoutTheDatabase(t *testing.T) {
	t.Parallel()
	s, _ := twoProcesses(t)
	var selects atomic.Int64
	s.SetObserver(func(op string) func(time.Duration) {
		return func(time.Duration) {
			if op == "select tokens" {
				selects.Add(1)
			}
		}
	})
	for range 5 {
		if _, err := s.GetTokenGrant(t.Context(), "h", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := selects.Load(); n != 1 {
		t.Errorf("5 checks of one token ran %d selects, want 1", n)
	}
}

// A revocation written by another process is served until the cache's
// TTL is up and refused from then on, and refused at once with the cache
// off.
func TestTokenCacheSeesOtherProcessesWritesWithinItsTTL(t *testing.T) {
	t.Parallel()
	for _, ttl := range []time.Duration{0, time.Second} {
		server, other := twoProcesses(t)
		server.SetTokenCacheTTL(ttl)
		var elapsed atomic.Int64 // the cache's clock, moved by hand
		start := time.Now()
		server.tokens.clock = func() time.Time { return start.Add(time.Duration(elapsed.Load())) }
		check := func() error {
			_, err := server.GetTokenGrant(t.Context(), "h", time.Now())
			return err
		}
		if err := check(); err != nil {
			t.Fatal(err)
		}
		if err := other.RevokeToken(t.Context(), "h"); err != nil {
			t.Fatal(err)
		}
		if ttl == 0 {
			if err := check(); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("cache off: a token revoked by another process: %v, want ErrNotFound", err)
			}
			continue
		}
		elapsed.Store(int64(ttl - time.Millisecond))
		if err := check(); err != nil {
			t.Fatalf("within the TTL: %v, want the cached answer (the trade the TTL makes)", err)
		}
		elapsed.Store(int64(ttl))
		if err := check(); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("once the TTL is up: %v, want ErrNotFound", err)
		}
	}
}

// An answer read before a write committed is not served after it, even
// if the read finishes last.
func TestTokenCacheDropsAnswersReadBeforeAWrite(t *testing.T) {
	t.Parallel()
	c := newTokenCache(time.Hour)
	_, _, gen := c.get("h", time.Now()) // the read starts
	c.drop()                            // a revocation commits meanwhile
	c.put("h", store.TokenGrant{Token: store.Token{Hash: "h", ExpiresAt: time.Now().Add(time.Hour)}}, gen)
	if _, ok, _ := c.get("h", time.Now()); ok {
		t.Fatal("an answer read before a revocation was served after it")
	}
}

// A kept answer is not served past its token's expiry on the caller's clock.
func TestTokenCacheHonoursTokenExpiry(t *testing.T) {
	t.Parallel()
	c := newTokenCache(time.Hour)
	now := time.Now()
	_, _, gen := c.get("h", now)
	c.put("h", store.TokenGrant{Token: store.Token{Hash: "h", ExpiresAt: now.Add(time.Minute)}}, gen)
	if _, ok, _ := c.get("h", now); !ok {
		t.Fatal("a live answer was not served")
	}
	if _, ok, _ := c.get("h", now.Add(time.Minute)); ok {
		t.Fatal("an answer was served at its token's expiry")
	}
}
