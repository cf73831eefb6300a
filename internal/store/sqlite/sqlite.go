// Package sqlite is the embedded store.Store backend, on modernc.org/sqlite
// (pure Go, no cgo).
//
// Every write goes through one pooled connection whose transactions begin
// IMMEDIATE: inside the process writers queue on database/sql instead of
// racing for SQLite's lock, and another process (a `lookout migrate` next to
// `lookout serve`) waits on busy_timeout instead of failing with
// SQLITE_BUSY. Reads use a separate pool of read-only connections, which WAL
// lets run alongside the writer. Single-use records are consumed with one
// UPDATE ... RETURNING, so the check and the write cannot be split.
//
// Times are stored as INTEGER unix microseconds (PostgreSQL's precision) and
// come back in UTC.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns this backend's schema migrations, in order.
func Migrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFS, "migrations")
}

// Store is the SQLite store.Store.
type Store struct {
	db   *sql.DB // writes: one connection, BEGIN IMMEDIATE
	read *sql.DB // reads: query_only connections; the same as db in memory
}

var _ store.Store = (*Store)(nil)

// Pragmas go in _pragma DSN parameters so that every connection the pool
// opens gets them, not just the first. busy_timeout goes first (the driver
// sorts it there) so that switching to WAL waits for other processes.
const (
	writeParams  = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	readParams   = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=query_only(1)"
	memoryParams = "_pragma=foreign_keys(1)&_txlock=immediate"
)

// Open opens (creating if needed) the database named by dsn:
// sqlite://./lookout.db, sqlite:///abs/path.db, sqlite://relative/path.db,
// or sqlite::memory: for a private in-memory database. It does not migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	path, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if path == ":memory:" {
		// An in-memory database lives and dies with its connection, so the
		// pool holds exactly one, forever; reads share it.
		db, err := sql.Open("sqlite", ":memory:?"+memoryParams)
		if err != nil {
			return nil, fmt.Errorf("open sqlite memory database: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open sqlite memory database: %w", err)
		}
		return &Store{db: db, read: db}, nil
	}

	db, err := sql.Open("sqlite", path+"?"+writeParams)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	// Connect the writer first: it switches the file to WAL, which readers
	// then inherit (journal_mode is persistent, and query_only could not
	// set it).
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", path+"?"+readParams)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &Store{db: db, read: read}, nil
}

// parseDSN returns the file path (or ":memory:") a sqlite: DSN names.
func parseDSN(dsn string) (string, error) {
	rest, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		return "", fmt.Errorf("sqlite DSN %q: want sqlite://path/to/file.db or sqlite::memory:", dsn)
	}
	// sqlite://./x.db and sqlite:///abs/x.db: what follows "//" is the path,
	// so the third slash of the second form makes it absolute.
	rest = strings.TrimPrefix(rest, "//")
	switch {
	case rest == "":
		return "", fmt.Errorf("sqlite DSN %q: no file path", dsn)
	case strings.ContainsAny(rest, "?#"):
		// The driver would read what follows "?" as its own parameters.
		return "", fmt.Errorf("sqlite DSN %q: query parameters are not supported; the path may not contain '?' or '#'", dsn)
	}
	return rest, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	var err error
	if s.read != s.db {
		err = s.read.Close()
	}
	return errors.Join(err, s.db.Close())
}

// Ping reports whether the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	return s.read.PingContext(ctx)
}

// Migrate applies pending migrations; see MigrateReport.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.MigrateReport(ctx)
	return err
}

// MigrateReport applies pending migrations and says which. Each runs in its
// own BEGIN IMMEDIATE transaction, which is the migration lock: a second
// process waits for it and then finds nothing left to do.
func (s *Store) MigrateReport(ctx context.Context) (store.MigrationReport, error) {
	ms, err := Migrations()
	if err != nil {
		return store.MigrationReport{}, err
	}
	return store.RunMigrations(ctx, ms, s.migrationTx)
}

func (s *Store) migrationTx(ctx context.Context, fn func(store.MigrationTx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		return fn(migrationTx{tx})
	})
}

type migrationTx struct{ tx *sql.Tx }

func (m migrationTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := m.tx.ExecContext(ctx, query, args...)
	return err
}

func (m migrationTx) QueryInt(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := m.tx.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE) and commits when fn
// returns nil. fn must not use s.read: in memory it is the same single
// connection, which the transaction holds.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// DeleteExpired removes expired states, parked requests, clients, codes,
// tokens, approvals and event records in one transaction. Grants and the
// audit log are never expired.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	t := micros(now)
	queries := []string{
		`DELETE FROM states WHERE expires_at <= ?`,
		`DELETE FROM parked_requests WHERE expires_at <= ?`,
		`DELETE FROM clients WHERE expires_at IS NOT NULL AND expires_at <= ?`,
		`DELETE FROM auth_codes WHERE expires_at <= ?`,
		`DELETE FROM tokens WHERE expires_at <= ?`,
		`DELETE FROM approvals WHERE expires_at <= ?`,
		`DELETE FROM events WHERE expires_at <= ?`,
	}
	var total int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range queries {
			res, err := tx.ExecContext(ctx, q, t)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired: %w", err)
	}
	return total, nil
}

// Times are unix microseconds: the precision both backends keep.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros stores the zero time as NULL ("never", "not yet").
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// sqlLimit maps "no limit" (limit <= 0) to SQLite's LIMIT -1.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// notFound maps sql.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// collect scans every row and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// affected returns how many rows an Exec changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// exists reports whether query (a SELECT 1 ...) finds a row.
func (s *Store) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := s.read.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// orNow is the time a write uses when the caller left it zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
