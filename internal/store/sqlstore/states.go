package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

const stateColumns = `id, kind, principal, data, created_at, expires_at`

func scanState(row scanner) (store.State, error) {
	var st store.State
	if err := row.Scan(&st.ID, &st.Kind, &st.Principal, &st.Data, timestamp{&st.CreatedAt}, timestamp{&st.ExpiresAt}); err != nil {
		return store.State{}, err
	}
	return st, nil
}

func (s *Store) CreateState(ctx context.Context, st store.State) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO states (id, kind, principal, data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		st.ID, st.Kind, st.Principal, st.Data, s.time(st.CreatedAt), s.time(st.ExpiresAt)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create %s state: %w", st.Kind, err)
	}
	return nil
}

// ConsumeState marks the state used in the same statement that checks it
// is unused, so of any number of concurrent callers exactly one gets a row.
func (s *Store) ConsumeState(ctx context.Context, id string, now time.Time) (store.State, error) {
	st, err := scanState(s.w.queryRow(ctx, `
		UPDATE states SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+stateColumns,
		s.time(now), id, s.time(now)))
	if errors.Is(err, sql.ErrNoRows) {
		// Used states stay used, so this later look cannot contradict
		// the UPDATE: the state is used, expired, or unknown.
		var used bool
		err = s.r.queryRow(ctx,
			`SELECT used_at IS NOT NULL FROM states WHERE id = ? AND expires_at > ?`, id, s.time(now)).Scan(&used)
		switch {
		case err == nil && used:
			err = store.ErrAlreadyUsed
		case err == nil:
			err = store.ErrNotFound
		default:
			err = notFound(err)
		}
	}
	if err != nil {
		return store.State{}, fmt.Errorf("consume state: %w", err)
	}
	return st, nil
}

// PendingOrCreateState looks for a pending state and creates one in one
// write transaction that holds the flavor's key lock for kind and
// principal (SQLite: the database write lock of BEGIN IMMEDIATE;
// PostgreSQL: a transaction-scoped advisory lock), so two processes asking
// at once cannot both find none and create two.
func (s *Store) PendingOrCreateState(ctx context.Context, st store.State, reuseUntil time.Time) (store.State, bool, error) {
	var got store.State
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.flavor.keyLock != "" {
			if _, err := tx.ExecContext(ctx, s.flavor.rebind(s.flavor.keyLock), "lookout.state:"+st.Kind+":"+st.Principal); err != nil {
				return fmt.Errorf("take lock: %w", err)
			}
		}
		var err error
		got, err = scanState(tx.QueryRowContext(ctx, s.flavor.rebind(`
			SELECT `+stateColumns+` FROM states
			WHERE kind = ? AND principal = ? AND used_at IS NULL AND expires_at > ?
			ORDER BY created_at DESC, id DESC LIMIT 1`),
			st.Kind, st.Principal, s.time(reuseUntil)))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		n, err := affected(tx.ExecContext(ctx, s.flavor.rebind(`
			INSERT INTO states (id, kind, principal, data, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			st.ID, st.Kind, st.Principal, st.Data, s.time(st.CreatedAt), s.time(st.ExpiresAt)))
		if err == nil && n == 0 {
			err = store.ErrAlreadyExists
		}
		got, created = st, err == nil
		return err
	})
	if err != nil {
		return store.State{}, false, fmt.Errorf("pending or new %s state for %q: %w", st.Kind, st.Principal, err)
	}
	return got, created, nil
}

const parkedColumns = `id, principal, data, ready, created_at, expires_at`

func scanParked(row scanner) (store.ParkedRequest, error) {
	var p store.ParkedRequest
	if err := row.Scan(&p.ID, &p.Principal, &p.Data, &p.Ready, timestamp{&p.CreatedAt}, timestamp{&p.ExpiresAt}); err != nil {
		return store.ParkedRequest{}, err
	}
	return p, nil
}

func (s *Store) ParkRequest(ctx context.Context, p store.ParkedRequest) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO parked_requests (id, principal, data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.ID, p.Principal, p.Data, s.time(p.CreatedAt), s.time(p.ExpiresAt)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("park request for %q: %w", p.Principal, err)
	}
	return nil
}

func (s *Store) MarkParkedReady(ctx context.Context, principal string, now time.Time) (int, error) {
	n, err := affected(s.w.exec(ctx,
		`UPDATE parked_requests SET ready = true WHERE principal = ? AND expires_at > ?`,
		principal, s.time(now)))
	if err != nil {
		return 0, fmt.Errorf("mark parked requests of %q ready: %w", principal, err)
	}
	return int(n), nil
}

// ClaimParkedRequests picks and leases in one statement, so two claimers
// can never both see a request as free: on SQLite it runs on the single
// write connection; on PostgreSQL the rows it picks are locked FOR UPDATE
// SKIP LOCKED, so a concurrent claimer skips them instead of waiting, and
// one that reads a row after our commit re-checks it and sees the new lease.
func (s *Store) ClaimParkedRequests(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]store.ParkedRequest, error) {
	rows, err := s.w.query(ctx, `
		UPDATE parked_requests SET lease_owner = ?, lease_until = ?
		WHERE id IN (
			SELECT id FROM parked_requests
			WHERE ready AND expires_at > ? AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY created_at, id LIMIT ?`+s.flavor.skipLocked+`)
		RETURNING `+parkedColumns,
		owner, s.time(leaseUntil), s.time(now), s.time(now), s.limit(limit))
	ps, err := collect(rows, err, scanParked)
	if err != nil {
		return nil, fmt.Errorf("claim parked requests: %w", err)
	}
	sortParked(ps)
	return ps, nil
}

func (s *Store) CompleteParkedRequest(ctx context.Context, id string) error {
	n, err := affected(s.w.exec(ctx, `DELETE FROM parked_requests WHERE id = ?`, id))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("complete parked request: %w", err)
	}
	return nil
}

func (s *Store) ListParkedRequests(ctx context.Context, principal string, now time.Time) ([]store.ParkedRequest, error) {
	rows, err := s.r.query(ctx, `
		SELECT `+parkedColumns+` FROM parked_requests
		WHERE principal = ? AND expires_at > ? ORDER BY created_at, id`,
		principal, s.time(now))
	ps, err := collect(rows, err, scanParked)
	if err != nil {
		return nil, fmt.Errorf("list parked requests of %q: %w", principal, err)
	}
	return ps, nil
}
