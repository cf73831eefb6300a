package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// The inbox is claimed like parked requests: one UPDATE whose WHERE clause
// is the whole rule (received and due, or claimed with an ended lease), so
// the check and the claim cannot be split; on PostgreSQL a batch claim
// picks its rows FOR UPDATE SKIP LOCKED. Every write an owner makes after
// claiming (heartbeat, progress, release, finish) is conditional on it
// still holding the claim, so an owner that lost it learns so
// (ErrLeaseHeld) instead of writing over the new owner's work.

const inboxColumns = `id, kind, payload, state, progress, attempts, lease_owner, lease_until,
	available_at, created_at, updated_at, finished_at, expires_at`

// inboxClaimable is the WHERE clause of a claimable item; its arguments are
// now, now, now.
const inboxClaimable = `expires_at > ? AND (
	(state = 'received' AND available_at <= ?) OR (state = 'claimed' AND lease_until <= ?))`

func scanInbox(row scanner) (store.InboxItem, error) {
	var (
		it    store.InboxItem
		state string
		owner sql.NullString
	)
	err := row.Scan(&it.ID, &it.Kind, &it.Payload, &state, &it.Progress, &it.Attempts, &owner,
		timestamp{&it.LeaseUntil}, timestamp{&it.AvailableAt}, timestamp{&it.CreatedAt},
		timestamp{&it.UpdatedAt}, timestamp{&it.FinishedAt}, timestamp{&it.ExpiresAt})
	if err != nil {
		return store.InboxItem{}, err
	}
	it.State, it.LeaseOwner = store.InboxState(state), owner.String
	return it, nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// RecordInbox inserts, or replaces an expired item with the same id, in
// one statement; an unexpired one is left alone and returned.
func (s *Store) RecordInbox(ctx context.Context, it store.InboxItem) (store.InboxItem, error) {
	state, attempts := store.InboxReceived, 0
	var leaseUntil any
	if it.LeaseOwner != "" {
		state, attempts, leaseUntil = store.InboxClaimed, 1, s.time(it.LeaseUntil)
	}
	available := it.AvailableAt
	if available.IsZero() {
		available = it.CreatedAt
	}
	out, err := scanInbox(s.w.queryRow(ctx, `
		INSERT INTO inbox (id, kind, payload, state, progress, attempts, lease_owner, lease_until,
			available_at, created_at, updated_at, finished_at, expires_at)
		VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?)
		ON CONFLICT (id) DO UPDATE SET
			kind = excluded.kind, payload = excluded.payload, state = excluded.state,
			progress = NULL, attempts = excluded.attempts, lease_owner = excluded.lease_owner,
			lease_until = excluded.lease_until, available_at = excluded.available_at,
			created_at = excluded.created_at, updated_at = excluded.updated_at,
			finished_at = NULL, expires_at = excluded.expires_at
		WHERE inbox.expires_at <= ?
		RETURNING `+inboxColumns,
		it.ID, it.Kind, it.Payload, string(state), attempts, nullString(it.LeaseOwner), leaseUntil,
		s.time(available), s.time(it.CreatedAt), s.time(it.CreatedAt), s.time(it.ExpiresAt),
		s.time(it.CreatedAt)))
	if errors.Is(err, sql.ErrNoRows) {
		// An unexpired item holds the id: the same work, delivered again.
		existing, gerr := s.GetInbox(ctx, it.ID, it.CreatedAt)
		if gerr != nil {
			return store.InboxItem{}, fmt.Errorf("record inbox item: %w", gerr)
		}
		return existing, fmt.Errorf("record inbox item: %w", store.ErrAlreadyExists)
	}
	if err != nil {
		return store.InboxItem{}, fmt.Errorf("record inbox item: %w", err)
	}
	return out, nil
}

func (s *Store) GetInbox(ctx context.Context, id string, now time.Time) (store.InboxItem, error) {
	it, err := scanInbox(s.r.queryRow(ctx,
		`SELECT `+inboxColumns+` FROM inbox WHERE id = ? AND expires_at > ?`, id, s.time(now)))
	if err != nil {
		return store.InboxItem{}, fmt.Errorf("get inbox item: %w", notFound(err))
	}
	return it, nil
}

func (s *Store) ListInbox(ctx context.Context, after string, now time.Time, limit int) ([]store.InboxItem, error) {
	rows, err := s.r.query(ctx, `
		SELECT `+inboxColumns+` FROM inbox WHERE id > ? AND expires_at > ? ORDER BY id LIMIT ?`,
		after, s.time(now), s.limit(limit))
	items, err := collect(rows, err, scanInbox)
	if err != nil {
		return nil, fmt.Errorf("list inbox: %w", err)
	}
	return items, nil
}

func (s *Store) ClaimInboxItem(ctx context.Context, id, owner string, now, leaseUntil time.Time) (store.InboxItem, error) {
	t := s.time(now)
	it, err := scanInbox(s.w.queryRow(ctx, `
		UPDATE inbox SET state = 'claimed', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND `+inboxClaimable+`
		RETURNING `+inboxColumns,
		owner, s.time(leaseUntil), t, id, t, t, t))
	if errors.Is(err, sql.ErrNoRows) {
		err = s.inboxMiss(ctx, id, now)
	}
	if err != nil {
		return store.InboxItem{}, fmt.Errorf("claim inbox item: %w", err)
	}
	return it, nil
}

// inboxMiss explains why an unclaimable item could not be claimed: it is
// done, someone holds it (or its retry time has not come), or it is gone.
func (s *Store) inboxMiss(ctx context.Context, id string, now time.Time) error {
	var state string
	err := s.r.queryRow(ctx, `SELECT state FROM inbox WHERE id = ? AND expires_at > ?`, id, s.time(now)).Scan(&state)
	switch {
	case err != nil:
		return notFound(err)
	case store.InboxState(state).Done():
		return store.ErrAlreadyUsed
	}
	return store.ErrLeaseHeld
}

func (s *Store) ClaimInbox(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, kinds ...string) ([]store.InboxItem, error) {
	t := s.time(now)
	args := []any{owner, s.time(leaseUntil), t, t, t, t}
	kindClause := ""
	if len(kinds) > 0 {
		kindClause = " AND kind IN (?" + strings.Repeat(", ?", len(kinds)-1) + ")"
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	args = append(args, s.limit(limit))
	rows, err := s.w.query(ctx, `
		UPDATE inbox SET state = 'claimed', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (
			SELECT id FROM inbox WHERE `+inboxClaimable+kindClause+`
			ORDER BY available_at, id LIMIT ?`+s.flavor.skipLocked+`)
		RETURNING `+inboxColumns, args...)
	items, err := collect(rows, err, scanInbox)
	if err != nil {
		return nil, fmt.Errorf("claim inbox items: %w", err)
	}
	sortInbox(items)
	return items, nil
}

func (s *Store) ExtendInboxLease(ctx context.Context, id, owner string, now, leaseUntil time.Time) error {
	return s.inboxOwnerWrite(ctx, "extend inbox lease", id, `lease_until = ?, updated_at = ?`,
		s.time(leaseUntil), s.time(now), id, owner)
}

func (s *Store) SaveInboxProgress(ctx context.Context, id, owner string, progress []byte, now time.Time) error {
	return s.inboxOwnerWrite(ctx, "save inbox progress", id, `progress = ?, updated_at = ?`,
		progress, s.time(now), id, owner)
}

func (s *Store) ReleaseInbox(ctx context.Context, id, owner string, now, availableAt time.Time) error {
	return s.inboxOwnerWrite(ctx, "release inbox item", id,
		`state = 'received', lease_owner = NULL, lease_until = NULL, available_at = ?, updated_at = ?`,
		s.time(availableAt), s.time(now), id, owner)
}

func (s *Store) FinishInbox(ctx context.Context, id, owner string, state store.InboxState, now time.Time) error {
	if !state.Done() {
		return fmt.Errorf("finish inbox item: state %q is not answered or failed", state)
	}
	return s.inboxOwnerWrite(ctx, "finish inbox item", id,
		`state = ?, lease_owner = NULL, lease_until = NULL, finished_at = ?, updated_at = ?`,
		string(state), s.time(now), s.time(now), id, owner)
}

// inboxOwnerWrite runs UPDATE inbox SET <set> on an item owner holds; args
// are set's arguments followed by id and owner.
func (s *Store) inboxOwnerWrite(ctx context.Context, op, id, set string, args ...any) error {
	n, err := affected(s.w.exec(ctx,
		`UPDATE inbox SET `+set+` WHERE id = ? AND state = 'claimed' AND lease_owner = ?`, args...))
	if err == nil && n == 0 {
		var ok bool
		ok, err = s.exists(ctx, `SELECT EXISTS (SELECT 1 FROM inbox WHERE id = ?)`, id)
		switch {
		case err != nil:
		case ok:
			err = store.ErrLeaseHeld
		default:
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
