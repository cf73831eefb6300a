package sqlite_test

import (
	"testing"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlite"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.SQLite)
}

// TestConformanceMemory proves sqlite::memory: is a whole store, pool and
// all, not just a demo toy.
func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), "sqlite::memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrateConcurrently(t *testing.T) {
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	dsn := storetest.SQLiteDSN(t)
	var stores []storetest.Migrator
	for range 4 {
		s, err := sqlite.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	storetest.MigrateConcurrently(t, len(ms), stores...)
}
