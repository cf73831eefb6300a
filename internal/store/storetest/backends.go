package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
)

// PostgresEnv names the database the PostgreSQL tests use; they skip
// without it.
const PostgresEnv = "LOOKOUT_TEST_POSTGRES_URL"

const postgresSkip = "PostgreSQL conformance skipped: set " + PostgresEnv +
	"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run it"

// SQLite returns a migrated store on a fresh database file in t's temp
// dir, closed when t ends.
func SQLite(t *testing.T) store.Store { return SQLiteTB(t) }

// SQLiteTB is SQLite for benchmarks too.
func SQLiteTB(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlstore.OpenSQLite(t.Context(), SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	return migrated(t, s)
}

// SQLiteDSN returns the DSN of a fresh, not yet created database file.
func SQLiteDSN(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "lookout.db")
}

// Postgres returns a migrated store in a fresh schema of the database at
// $LOOKOUT_TEST_POSTGRES_URL, dropped when t ends. It skips t when the
// variable is unset.
func Postgres(t *testing.T) store.Store { return PostgresTB(t) }

// PostgresTB is Postgres for benchmarks too.
func PostgresTB(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlstore.OpenPostgres(t.Context(), PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	return migrated(t, s)
}

// PostgresURL returns $LOOKOUT_TEST_POSTGRES_URL, or skips t when it is
// unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		t.Skip(postgresSkip)
	}
	return u
}

// PostgresDSN creates a fresh schema named lookout_test_<hex> in the
// database at $LOOKOUT_TEST_POSTGRES_URL, drops it when t ends, and returns
// a DSN whose connections use it (search_path), so tests running at once
// never see each other's tables. It skips t when the variable is unset.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	schema := "lookout_test_" + hex.EncodeToString(randomBytes(8))
	admin := func(ctx context.Context, sql string) {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to %s: %v", PostgresEnv, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	admin(t.Context(), "CREATE SCHEMA "+schema)
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	// A small pool per store: parallel tests each open their own.
	params := map[string]string{"search_path": schema, "pool_max_conns": "4"}
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	dsn := base // key=value form
	for k, v := range params {
		dsn += " " + k + "=" + v
	}
	return strings.TrimSpace(dsn)
}

func migrated(t testing.TB, s interface {
	store.Store
	MigrateReport(context.Context) (store.MigrationReport, error)
}) store.Store {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	rep, err := s.MigrateReport(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) == 0 || rep.Version != len(rep.Applied) {
		t.Fatalf("migrating a fresh database: %+v, want every migration applied", rep)
	}
	return s
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Migrator is a backend store that reports what migrating did.
type Migrator interface {
	MigrateReport(context.Context) (store.MigrationReport, error)
	Close() error
}

// MigrateConcurrently migrates stores, all opened on one fresh database,
// at the same time, as replicas starting together would: between them they
// must apply each of the want migrations exactly once, and all must end at
// version want.
func MigrateConcurrently(t *testing.T, want int, stores ...Migrator) {
	t.Helper()
	reports := make([]store.MigrationReport, len(stores))
	errs := race(len(stores), func(i int) error {
		var err error
		reports[i], err = stores[i].MigrateReport(t.Context())
		return err
	})
	applied := map[string]int{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		if reports[i].Version != want {
			t.Errorf("store %d ends at version %d, want %d", i, reports[i].Version, want)
		}
		for _, name := range reports[i].Applied {
			applied[name]++
		}
	}
	if len(applied) != want {
		t.Errorf("applied %v, want %d distinct migrations", applied, want)
	}
	for name, n := range applied {
		if n != 1 {
			t.Errorf("migration %s applied %d times", name, n)
		}
	}
}
