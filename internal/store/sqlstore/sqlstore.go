// Package sqlstore is lookout's store.Store on SQL: SQLite (modernc.org/sqlite,
// pure Go, the embedded default) and PostgreSQL (pgx through database/sql,
// for several replicas). Every query is written once, with ? placeholders;
// a flavor says what differs between the two dialects: placeholders, how a
// time is stored, "no limit", row locking, the DDL, the migration lock and
// whether statements are prepared here.
//
// Single-use records are consumed with one UPDATE ... WHERE used_at IS NULL
// RETURNING, so the check and the write cannot be split: SQLite runs every
// write on one connection, and PostgreSQL makes a concurrent loser re-read
// the row after the winner commits, when it no longer matches. Parked
// requests and inbox items are claimed on PostgreSQL with FOR UPDATE SKIP
// LOCKED so that claimers on different replicas never share one.
//
// Times are kept to the microsecond (SQLite: INTEGER unix microseconds;
// PostgreSQL: timestamptz) and come back in UTC.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// Migrations live in migrations/<flavor>/NNNN_name.sql, one directory per
// flavor. To add migration N, add migrations/sqlite/000N_name.sql AND
// migrations/postgres/000N_name.sql with the same name (TestMigrationNames
// fails otherwise), each in its dialect; store the same data the same way
// as the existing columns (times as INTEGER microseconds on SQLite,
// timestamptz on PostgreSQL). Never edit an applied migration: databases
// record only the version they reached.
//
//go:embed migrations
var migrationFS embed.FS

// Store is the SQL store.Store; its flavor is chosen by OpenSQLite or
// OpenPostgres.
type Store struct {
	flavor *flavor
	w      *pool // writes; SQLite: one connection, BEGIN IMMEDIATE
	r      *pool // reads; SQLite: query_only connections (w itself in memory)
	tokens *tokenCache
}

func newStore(f *flavor, w, r *pool) *Store {
	return &Store{flavor: f, w: w, r: r, tokens: newTokenCache(DefaultTokenCacheTTL)}
}

var _ store.Store = (*Store)(nil)

// Migrations returns the store's flavor's schema migrations, in order.
func (s *Store) Migrations() ([]store.Migration, error) {
	return s.flavor.migrations()
}

// Close closes the statements and connections.
func (s *Store) Close() error {
	var err error
	if s.r != s.w {
		err = s.r.close()
	}
	return errors.Join(err, s.w.close())
}

// Ping reports whether the database answers (SQLite: the file can be read).
func (s *Store) Ping(ctx context.Context) error {
	return s.r.db.PingContext(ctx)
}

// PingWrite upserts a readiness record (an events row that expires in a
// minute): a database that cannot be written fails it.
func (s *Store) PingWrite(ctx context.Context) error {
	now := time.Now()
	_, err := s.w.exec(ctx, `
		INSERT INTO events (id, expires_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at`,
		"lookout:readiness", s.time(now.Add(time.Minute)))
	if err != nil {
		return fmt.Errorf("write check: %w", err)
	}
	return nil
}

// Migrate applies pending migrations; see MigrateReport.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.MigrateReport(ctx)
	return err
}

// MigrateReport applies pending migrations and says which. Each runs in its
// own transaction holding the flavor's migration lock (SQLite: the write
// lock of BEGIN IMMEDIATE; PostgreSQL: an advisory lock keyed by the
// schema), so replicas starting together apply each migration once and a
// process that waited finds nothing left to do.
func (s *Store) MigrateReport(ctx context.Context) (store.MigrationReport, error) {
	ms, err := s.Migrations()
	if err != nil {
		return store.MigrationReport{}, err
	}
	return store.RunMigrations(ctx, ms, s.migrationTx)
}

func (s *Store) migrationTx(ctx context.Context, fn func(store.MigrationTx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.flavor.migrationLock != "" {
			if _, err := tx.ExecContext(ctx, s.flavor.migrationLock); err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.flavor.migrationTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		return fn(migrationTx{tx})
	})
}

// migrationTx runs the migration runner's queries, which use $1-style
// placeholders: both drivers accept them.
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

// inTx runs fn in a write transaction (SQLite: BEGIN IMMEDIATE) and commits
// when fn returns nil. fn must not use s.r: in SQLite memory it is the same
// single connection, which the transaction holds.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	ctx, cancel := s.w.bound(ctx)
	defer cancel()
	tx, err := s.w.db.BeginTx(ctx, nil)
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
// tokens, approvals, event records and inbox items in one transaction. Grants and the
// audit log are never expired.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	queries := []string{
		`DELETE FROM states WHERE expires_at <= ?`,
		`DELETE FROM parked_requests WHERE expires_at <= ?`,
		`DELETE FROM clients WHERE expires_at IS NOT NULL AND expires_at <= ?`,
		`DELETE FROM auth_codes WHERE expires_at <= ?`,
		`DELETE FROM tokens WHERE expires_at <= ?`,
		`DELETE FROM approvals WHERE expires_at <= ?`,
		`DELETE FROM events WHERE expires_at <= ?`,
		`DELETE FROM inbox WHERE expires_at <= ?`,
	}
	t := s.flavor.time(now)
	var total int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range queries {
			n, err := affected(tx.ExecContext(ctx, s.flavor.rebind(q), t))
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

// Arguments in the flavor's types.

func (s *Store) time(t time.Time) any { return s.flavor.time(t) }

// nullTime stores the zero time as NULL ("never", "not yet").
func (s *Store) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.flavor.time(t)
}

// limit maps "no limit" (limit <= 0) to the flavor's spelling of it.
func (s *Store) limit(limit int) any {
	if limit <= 0 {
		return s.flavor.noLimit
	}
	return limit
}

// timestamp scans a time column of either flavor into t, in UTC; NULL is
// the zero time.
type timestamp struct{ t *time.Time }

func (ts timestamp) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*ts.t = time.Time{}
	case int64: // SQLite
		*ts.t = time.UnixMicro(v).UTC()
	case time.Time: // PostgreSQL, in the session's zone
		*ts.t = v.UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

// notFound maps sql.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// collect scans every row and closes rows.
func collect[T any, R resultRows](rows R, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
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

// resultRows are a query's results: *sql.Rows, or the pool's rows, which
// release the statement's deadline on Close.
type resultRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// affected returns how many rows an Exec changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// exists reports whether query (a SELECT EXISTS (...)) is true.
func (s *Store) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var ok bool
	err := s.r.queryRow(ctx, query, args...).Scan(&ok)
	return ok, err
}

// orNow is the time a write uses when the caller left it zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// sortParked puts claimed requests in claim order: RETURNING comes in no
// promised order.
func sortParked(ps []store.ParkedRequest) {
	slices.SortFunc(ps, func(a, b store.ParkedRequest) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
}

// sortInbox puts claimed items in claim order.
func sortInbox(items []store.InboxItem) {
	slices.SortFunc(items, func(a, b store.InboxItem) int {
		return cmp.Or(a.AvailableAt.Compare(b.AvailableAt), cmp.Compare(a.ID, b.ID))
	})
}
