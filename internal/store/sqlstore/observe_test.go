package sqlstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

func TestStatementName(t *testing.T) {
	t.Parallel()
	for query, want := range map[string]string{
		"SELECT principal, key_id FROM grants WHERE principal = ?":                     "select grants",
		"\n\t\tINSERT INTO audit (time, principal) VALUES (?, ?)":                      "insert audit",
		"UPDATE inbox SET state = 'claimed' WHERE id IN (SELECT id FROM inbox)":        "update inbox",
		"DELETE FROM leases WHERE name = ? AND owner = ?":                              "delete leases",
		"INSERT INTO events(id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING": "insert events",
		"select count(*) from tokens":                                                  "select tokens",
		"SELECT 1":                                                                     "select",
		"PRAGMA journal_mode":                                                          "other",
		"":                                                                             "other",
	} {
		if got := statementName(query); got != want {
			t.Errorf("statementName(%q) = %q, want %q", query, got, want)
		}
	}
}

// The observer hears each statement the store runs, by name, with its
// duration; a store without one runs as before.
func TestObserverTimesStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := OpenSQLite(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	s.SetObserver(func(op string) func(time.Duration) {
		return func(d time.Duration) {
			if d <= 0 {
				t.Errorf("%s took %v", op, d)
			}
			mu.Lock()
			seen[op]++
			mu.Unlock()
		}
	})
	if _, err := s.PutGrant(ctx, store.Grant{Principal: "mcp:a", KeyID: "k1", Ciphertext: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s.GetGrant(ctx, "mcp:a"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetGrant(ctx, "mcp:nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetGrant of nobody: %v", err)
	}
	if err := s.ReleaseLease(ctx, "vault.refresher", "me"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["select grants"] != 4 || seen["insert grants"] != 1 || seen["delete leases"] != 1 {
		t.Errorf("observed %v; want 4 select grants, 1 insert grants, 1 delete leases", seen)
	}
	for op := range seen {
		if !slices.Contains([]string{"select grants", "insert grants", "delete leases"}, op) {
			t.Errorf("unexpected statement name %q", op)
		}
	}
}
