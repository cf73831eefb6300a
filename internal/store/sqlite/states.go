package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

const stateColumns = `id, kind, principal, data, created_at, expires_at`

func scanState(row scanner) (store.State, error) {
	var st store.State
	var created, expires int64
	if err := row.Scan(&st.ID, &st.Kind, &st.Principal, &st.Data, &created, &expires); err != nil {
		return store.State{}, err
	}
	st.CreatedAt, st.ExpiresAt = fromMicros(created), fromMicros(expires)
	return st, nil
}

func (s *Store) CreateState(ctx context.Context, st store.State) error {
	n, err := affected(s.db.ExecContext(ctx, `
		INSERT INTO states (id, kind, principal, data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		st.ID, st.Kind, st.Principal, st.Data, micros(st.CreatedAt), micros(st.ExpiresAt)))
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
	st, err := scanState(s.db.QueryRowContext(ctx, `
		UPDATE states SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+stateColumns,
		micros(now), id, micros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		// Used states stay used, so this later look cannot contradict
		// the UPDATE: the state is used, expired, or unknown.
		var used bool
		err = s.read.QueryRowContext(ctx,
			`SELECT used_at IS NOT NULL FROM states WHERE id = ? AND expires_at > ?`, id, micros(now)).Scan(&used)
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
	st, err := scanState(s.read.QueryRowContext(ctx, `
		SELECT `+stateColumns+` FROM states
		WHERE kind = ? AND principal = ? AND used_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC LIMIT 1`,
		kind, principal, micros(now)))
	if err != nil {
		return store.State{}, fmt.Errorf("pending %s state for %q: %w", kind, principal, notFound(err))
	}
	return st, nil
}

const parkedColumns = `id, principal, data, ready, created_at, expires_at`

func scanParked(row scanner) (store.ParkedRequest, error) {
	var p store.ParkedRequest
	var created, expires int64
	if err := row.Scan(&p.ID, &p.Principal, &p.Data, &p.Ready, &created, &expires); err != nil {
		return store.ParkedRequest{}, err
	}
	p.CreatedAt, p.ExpiresAt = fromMicros(created), fromMicros(expires)
	return p, nil
}

func (s *Store) ParkRequest(ctx context.Context, p store.ParkedRequest) error {
	n, err := affected(s.db.ExecContext(ctx, `
		INSERT INTO parked_requests (id, principal, data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.ID, p.Principal, p.Data, micros(p.CreatedAt), micros(p.ExpiresAt)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("park request for %q: %w", p.Principal, err)
	}
	return nil
}

func (s *Store) MarkParkedReady(ctx context.Context, principal string, now time.Time) (int, error) {
	n, err := affected(s.db.ExecContext(ctx,
		`UPDATE parked_requests SET ready = 1 WHERE principal = ? AND expires_at > ?`,
		principal, micros(now)))
	if err != nil {
		return 0, fmt.Errorf("mark parked requests of %q ready: %w", principal, err)
	}
	return int(n), nil
}

// ClaimParkedRequests picks and leases in one statement on the single write
// connection, so two claimers can never both see a request as free.
func (s *Store) ClaimParkedRequests(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]store.ParkedRequest, error) {
	rows, err := s.db.QueryContext(ctx, `
		UPDATE parked_requests SET lease_owner = ?, lease_until = ?
		WHERE id IN (
			SELECT id FROM parked_requests
			WHERE ready AND expires_at > ? AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY created_at, id LIMIT ?)
		RETURNING `+parkedColumns,
		owner, micros(leaseUntil), micros(now), micros(now), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("claim parked requests: %w", err)
	}
	ps, err := collect(rows, scanParked)
	if err != nil {
		return nil, fmt.Errorf("claim parked requests: %w", err)
	}
	// RETURNING comes in no promised order.
	slices.SortFunc(ps, func(a, b store.ParkedRequest) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return ps, nil
}

func (s *Store) CompleteParkedRequest(ctx context.Context, id string) error {
	n, err := affected(s.db.ExecContext(ctx, `DELETE FROM parked_requests WHERE id = ?`, id))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("complete parked request: %w", err)
	}
	return nil
}

func (s *Store) ListParkedRequests(ctx context.Context, principal string, now time.Time) ([]store.ParkedRequest, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+parkedColumns+` FROM parked_requests
		WHERE principal = ? AND expires_at > ? ORDER BY created_at, id`,
		principal, micros(now))
	if err != nil {
		return nil, fmt.Errorf("list parked requests of %q: %w", principal, err)
	}
	ps, err := collect(rows, scanParked)
	if err != nil {
		return nil, fmt.Errorf("list parked requests of %q: %w", principal, err)
	}
	return ps, nil
}
