package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, storetest.SQLite)
}

// TestConformanceSQLiteMemory proves sqlite::memory: is a whole store, pool
// and all, not just a demo toy.
func TestConformanceSQLiteMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlstore.OpenSQLite(t.Context(), "sqlite::memory:")
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

func TestConformancePostgres(t *testing.T) {
	storetest.PostgresURL(t) // skip once here, not in every subtest
	storetest.Run(t, storetest.Postgres)
}

func TestMigrateConcurrentlySQLite(t *testing.T) {
	migrateConcurrently(t, storetest.SQLiteDSN(t), sqlstore.OpenSQLite)
}

func TestMigrateConcurrentlyPostgres(t *testing.T) {
	migrateConcurrently(t, storetest.PostgresDSN(t), sqlstore.OpenPostgres)
}

// migrateConcurrently migrates one fresh database from four stores at
// once, as replicas starting together would.
func migrateConcurrently(t *testing.T, dsn string, open func(context.Context, string) (*sqlstore.Store, error)) {
	var stores []storetest.Migrator
	var want int
	for range 4 {
		s, err := open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ms, err := s.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		want = len(ms)
		stores = append(stores, s)
	}
	storetest.MigrateConcurrently(t, want, stores...)
}

func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	_, err := sqlstore.OpenPostgres(t.Context(), "postgres://lookout:hunter2@db.example:notaport/lookout")
	if err == nil {
		t.Fatal("OpenPostgres accepted a bad port")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
}
