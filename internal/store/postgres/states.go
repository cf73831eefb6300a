package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lookout-hq/lookout/internal/store"
)

const stateColumns = `id, kind, principal, data, created_at, expires_at`

func scanState(row scanner) (store.State, error) {
	var st store.State
	if err := row.Scan(&st.ID, &st.Kind, &st.Principal, &st.Data, &st.CreatedAt, &st.ExpiresAt); err != nil {
		return store.State{}, err
	}
	st.CreatedAt, st.ExpiresAt = utc(st.CreatedAt), utc(st.ExpiresAt)
	return st, nil
}

func (s *Store) CreateState(ctx context.Context, st store.State) error {
	n, err := changed(s.pool.Exec(ctx, `
		INSERT INTO states (id, kind, principal, data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		st.ID, st.Kind, st.Principal, st.Data, st.CreatedAt, st.ExpiresAt))
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
	st, err := scanState(s.pool.QueryRow(ctx, `
		UPDATE states SET used_at = $1
		WHERE id = $2 AND used_at IS NULL AND expires_at > $1
		RETURNING `+stateColumns,
		now, id))
	if errors.Is(err, pgx.ErrNoRows) {
		// Used states stay used, so this later look cannot contradict
		// the UPDATE: the state is used, expired, or unknown.
		var used bool
		err = s.pool.QueryRow(ctx,
			`SELECT used_at IS NOT NULL FROM states WHERE id = $1 AND expires_at > $2`, id, now).Scan(&used)
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

func (s *Store) PendingState(ctx context.Context, kind, principal string, now time.Time) (store.State, error) {
	st, err := scanState(s.pool.QueryRow(ctx, `
		SELECT `+stateColumns+` FROM states
		WHERE kind = $1 AND principal = $2 AND used_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC, id DESC LIMIT 1`,
		kind, principal, now))
	if err != nil {
		return store.State{}, fmt.Errorf("pending %s state for %q: %w", kind, principal, notFound(err))
	}
	return st, nil
}

const parkedColumns = `id, principal, data, ready, created_at, expires_at`

func scanParked(row scanner) (store.ParkedRequest, error) {
	var p store.ParkedRequest
	if err := row.Scan(&p.ID, &p.Principal, &p.Data, &p.Ready, &p.CreatedAt, &p.ExpiresAt); err != nil {
		return store.ParkedRequest{}, err
	}
	p.CreatedAt, p.ExpiresAt = utc(p.CreatedAt), utc(p.ExpiresAt)
	return p, nil
}

func (s *Store) ParkRequest(ctx context.Context, p store.ParkedRequest) error {
	n, err := changed(s.pool.Exec(ctx, `
		INSERT INTO parked_requests (id, principal, data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		p.ID, p.Principal, p.Data, p.CreatedAt, p.ExpiresAt))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("park request for %q: %w", p.Principal, err)
	}
	return nil
}

func (s *Store) MarkParkedReady(ctx context.Context, principal string, now time.Time) (int, error) {
	n, err := changed(s.pool.Exec(ctx,
		`UPDATE parked_requests SET ready = true WHERE principal = $1 AND expires_at > $2`,
		principal, now))
	if err != nil {
		return 0, fmt.Errorf("mark parked requests of %q ready: %w", principal, err)
	}
	return int(n), nil
}

// ClaimParkedRequests locks the requests it picks with FOR UPDATE SKIP
// LOCKED: a concurrent claimer skips them instead of waiting, and one that
// reads a row after our commit re-checks it and sees the new lease.
func (s *Store) ClaimParkedRequests(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]store.ParkedRequest, error) {
	rows, err := s.pool.Query(ctx, `
		WITH claimed AS (
			UPDATE parked_requests SET lease_owner = $1, lease_until = $2
			WHERE id IN (
				SELECT id FROM parked_requests
				WHERE ready AND expires_at > $3 AND (lease_until IS NULL OR lease_until <= $3)
				ORDER BY created_at, id LIMIT $4
				FOR UPDATE SKIP LOCKED)
			RETURNING `+parkedColumns+`)
		SELECT `+parkedColumns+` FROM claimed ORDER BY created_at, id`,
		owner, leaseUntil, now, sqlLimit(limit))
	ps, err := collect(rows, err, scanParked)
	if err != nil {
		return nil, fmt.Errorf("claim parked requests: %w", err)
	}
	return ps, nil
}

func (s *Store) CompleteParkedRequest(ctx context.Context, id string) error {
	n, err := changed(s.pool.Exec(ctx, `DELETE FROM parked_requests WHERE id = $1`, id))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("complete parked request: %w", err)
	}
	return nil
}

func (s *Store) ListParkedRequests(ctx context.Context, principal string, now time.Time) ([]store.ParkedRequest, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+parkedColumns+` FROM parked_requests
		WHERE principal = $1 AND expires_at > $2 ORDER BY created_at, id`,
		principal, now)
	ps, err := collect(rows, err, scanParked)
	if err != nil {
		return nil, fmt.Errorf("list parked requests of %q: %w", principal, err)
	}
	return ps, nil
}
