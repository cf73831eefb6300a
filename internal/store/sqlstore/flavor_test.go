package sqlstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/lookout-hq/lookout/internal/store"
)

func TestRebind(t *testing.T) {
	for query, want := range map[string]string{
		`SELECT 1`:                        `SELECT 1`,
		`a = ? AND b = ?`:                 `a = $1 AND b = $2`,
		`x = '?' AND y = ? AND z = "a?b"`: `x = '?' AND y = $1 AND z = "a?b"`,
		`WHERE ? = '' OR p = ? LIMIT ?`:   `WHERE $1 = '' OR p = $2 LIMIT $3`,
		`k = 'it''s ?' AND v = ?`:         `k = 'it''s ?' AND v = $1`,
		`?,?,?,?,?,?,?,?,?,?`:             `$1,$2,$3,$4,$5,$6,$7,$8,$9,$10`,
	} {
		if got := postgresFlavor.rebind(query); got != want {
			t.Errorf("postgres rebind(%q) = %q, want %q", query, got, want)
		}
		if got := sqliteFlavor.rebind(query); got != query {
			t.Errorf("sqlite rebind(%q) = %q, want it unchanged", query, got)
		}
	}
}

// TestMigrationNames keeps the flavors in step: migration N exists in both
// under one name, and 0001_init keeps the name databases migrated by the
// former sqlite and postgres packages recorded.
func TestMigrationNames(t *testing.T) {
	names := func(f *flavor) []string {
		ms, err := f.migrations()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	lite, pg := names(sqliteFlavor), names(postgresFlavor)
	if !slices.Equal(lite, pg) {
		t.Errorf("sqlite migrations %v, postgres %v: add each migration to both", lite, pg)
	}
	if len(lite) == 0 || lite[0] != "0001_init" {
		t.Errorf("first migration %v, want 0001_init", lite)
	}
}

// TestStatementsPreparedOnce checks SQLite parses a hot query once per
// store, not on every call, and that a query that could not be prepared
// (its table did not exist yet) is prepared again later.
func TestStatementsPreparedOnce(t *testing.T) {
	s, err := OpenSQLite(t.Context(), "sqlite://"+t.TempDir()+"/s.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetGrant(t.Context(), "p"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetGrant before migrating: %v, want a missing-table error", err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutGrant(t.Context(), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("c")}); err != nil {
		t.Fatal(err)
	}
	var first *statement
	for range 3 {
		if _, err := s.GetGrant(t.Context(), "p"); err != nil {
			t.Fatal(err)
		}
		var prepared []*statement
		s.r.stmts.Range(func(_, v any) bool {
			prepared = append(prepared, v.(*statement))
			return true
		})
		if len(prepared) != 1 || prepared[0].stmt == nil {
			t.Fatalf("read statements %v, want GetGrant's, prepared", prepared)
		}
		if first == nil {
			first = prepared[0]
		} else if prepared[0] != first {
			t.Fatal("GetGrant prepared its statement again")
		}
	}
}
