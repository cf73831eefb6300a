// Package postgres is the shared store.Store backend for several lookout
// replicas, on pgx (native interface, one pgxpool).
//
// Single-use records are consumed with one UPDATE ... WHERE used_at IS NULL
// RETURNING, which PostgreSQL makes atomic under concurrent callers: the
// loser re-reads the row after the winner commits and no longer matches.
// Parked requests are claimed with FOR UPDATE SKIP LOCKED so that claimers
// on different replicas never share a request. Times are timestamptz
// (microsecond precision) and come back in UTC.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout-hq/lookout/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns this backend's schema migrations, in order.
func Migrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFS, "migrations")
}

// Store is the PostgreSQL store.Store.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (postgres://... or key=value form)
// and checks that it answers. It does not migrate. Parameters pgx does not
// know, such as search_path, are sent to the server as session settings,
// which is how tests put each store in its own schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors repeat the DSN, password included.
		return nil, errors.New("parse postgres DSN: invalid connection string")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Migrate applies pending migrations; see MigrateReport.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.MigrateReport(ctx)
	return err
}

// MigrateReport applies pending migrations and says which. Each runs in its
// own transaction under a transaction-scoped advisory lock keyed by the
// schema, so replicas starting together apply each migration once and
// tests in separate schemas do not wait for each other.
func (s *Store) MigrateReport(ctx context.Context) (store.MigrationReport, error) {
	ms, err := Migrations()
	if err != nil {
		return store.MigrationReport{}, err
	}
	return store.RunMigrations(ctx, ms, s.migrationTx)
}

func (s *Store) migrationTx(ctx context.Context, fn func(store.MigrationTx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			`SELECT pg_advisory_xact_lock(hashtextextended('lookout.migrate:' || coalesce(current_schema(), ''), 0))`); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		return fn(migrationTx{tx})
	})
}

type migrationTx struct{ tx pgx.Tx }

func (m migrationTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := m.tx.Exec(ctx, query, args...)
	return err
}

func (m migrationTx) QueryInt(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := m.tx.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// DeleteExpired removes expired states, parked requests, clients, codes,
// tokens, approvals and event records in one transaction. Grants and the
// audit log are never expired.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	queries := []string{
		`DELETE FROM states WHERE expires_at <= $1`,
		`DELETE FROM parked_requests WHERE expires_at <= $1`,
		`DELETE FROM clients WHERE expires_at <= $1`, // NULL: never
		`DELETE FROM auth_codes WHERE expires_at <= $1`,
		`DELETE FROM tokens WHERE expires_at <= $1`,
		`DELETE FROM approvals WHERE expires_at <= $1`,
		`DELETE FROM events WHERE expires_at <= $1`,
	}
	var total int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range queries {
			tag, err := tx.Exec(ctx, q, now)
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired: %w", err)
	}
	return total, nil
}

// scanner is a pgx.Row or pgx.CollectableRow.
type scanner interface{ Scan(dest ...any) error }

// utc returns t in UTC; pgx decodes timestamptz in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

// nullTime stores the zero time as NULL ("never", "not yet").
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// sqlLimit maps "no limit" (limit <= 0) to LIMIT NULL.
func sqlLimit(limit int) any {
	if limit <= 0 {
		return nil
	}
	return limit
}

// notFound maps pgx.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// changed returns how many rows an Exec changed.
func changed(tag pgconn.CommandTag, err error) (int64, error) {
	return tag.RowsAffected(), err
}

// collect scans every row and closes rows.
func collect[T any](rows pgx.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
}

// orNow is the time a write uses when the caller left it zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
