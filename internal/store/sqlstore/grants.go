package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

const grantColumns = `principal, key_id, ciphertext, version, created_at, updated_at, ` +
	`sentry_user_id, expires_at, stale, described, last_used_at`

func scanGrant(row scanner) (store.Grant, error) {
	var g store.Grant
	if err := row.Scan(&g.Principal, &g.KeyID, &g.Ciphertext, &g.Version, timestamp{&g.CreatedAt}, timestamp{&g.UpdatedAt},
		&g.SentryUserID, timestamp{&g.ExpiresAt}, &g.Stale, &g.Described, timestamp{&g.LastUsedAt}); err != nil {
		return store.Grant{}, err
	}
	return g, nil
}

// PutGrant upserts in one statement. UpdatedAt is g.UpdatedAt (the store's
// clock when zero); CreatedAt is g.CreatedAt (or UpdatedAt) for a new grant
// and kept on replace.
func (s *Store) PutGrant(ctx context.Context, g store.Grant) (store.Grant, error) {
	defer s.tokens.drop()
	updated := orNow(g.UpdatedAt)
	created := g.CreatedAt
	if created.IsZero() {
		created = updated
	}
	out, err := scanGrant(s.w.queryRow(ctx, `
		INSERT INTO grants (principal, key_id, ciphertext, version, created_at, updated_at,
			sentry_user_id, expires_at, stale, described)
		VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (principal) DO UPDATE SET
			key_id = excluded.key_id,
			ciphertext = excluded.ciphertext,
			version = grants.version + 1,
			updated_at = excluded.updated_at,
			sentry_user_id = excluded.sentry_user_id,
			expires_at = excluded.expires_at,
			stale = excluded.stale,
			described = excluded.described,
			lease_owner = NULL,
			lease_until = NULL
		RETURNING `+grantColumns,
		g.Principal, g.KeyID, g.Ciphertext, s.time(created), s.time(updated),
		g.SentryUserID, s.nullTime(g.ExpiresAt), g.Stale, g.Described))
	if err != nil {
		return store.Grant{}, fmt.Errorf("put grant %q: %w", g.Principal, err)
	}
	return out, nil
}

func (s *Store) GetGrant(ctx context.Context, principal string) (store.Grant, error) {
	g, err := scanGrant(s.r.queryRow(ctx,
		`SELECT `+grantColumns+` FROM grants WHERE principal = ?`, principal))
	if err != nil {
		return store.Grant{}, fmt.Errorf("get grant %q: %w", principal, notFound(err))
	}
	return g, nil
}

// SwapGrant is a compare-and-swap on version in one UPDATE; when it changes
// nothing, a second look tells a lost race from a deleted grant.
func (s *Store) SwapGrant(ctx context.Context, g store.Grant) (store.Grant, error) {
	defer s.tokens.drop()
	out, err := scanGrant(s.w.queryRow(ctx, `
		UPDATE grants SET
			key_id = ?, ciphertext = ?, version = version + 1, updated_at = ?,
			sentry_user_id = ?, expires_at = ?, stale = ?, described = ?,
			lease_owner = NULL, lease_until = NULL
		WHERE principal = ? AND version = ?
		RETURNING `+grantColumns,
		g.KeyID, g.Ciphertext, s.time(orNow(g.UpdatedAt)),
		g.SentryUserID, s.nullTime(g.ExpiresAt), g.Stale, g.Described,
		g.Principal, g.Version))
	if errors.Is(err, sql.ErrNoRows) {
		err = s.grantMiss(ctx, g.Principal, store.ErrConflict)
	}
	if err != nil {
		return store.Grant{}, fmt.Errorf("swap grant %q at version %d: %w", g.Principal, g.Version, err)
	}
	return out, nil
}

// grantMiss explains why an UPDATE of an existing grant matched nothing:
// ifExists when the grant is there, ErrNotFound when it is not.
func (s *Store) grantMiss(ctx context.Context, principal string, ifExists error) error {
	ok, err := s.exists(ctx, `SELECT EXISTS (SELECT 1 FROM grants WHERE principal = ?)`, principal)
	switch {
	case err != nil:
		return err
	case ok:
		return ifExists
	}
	return store.ErrNotFound
}

func (s *Store) DeleteGrant(ctx context.Context, principal string) error {
	defer s.tokens.drop()
	n, err := affected(s.w.exec(ctx, `DELETE FROM grants WHERE principal = ?`, principal))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete grant %q: %w", principal, err)
	}
	return nil
}

func (s *Store) ListGrants(ctx context.Context, after string, limit int) ([]store.Grant, error) {
	rows, err := s.r.query(ctx,
		`SELECT `+grantColumns+` FROM grants WHERE principal > ? ORDER BY principal LIMIT ?`,
		after, s.limit(limit))
	gs, err := collect(rows, err, scanGrant)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return gs, nil
}

// LeaseGrant takes or extends the lease in one UPDATE whose WHERE clause is
// the whole rule: no lease, an ended one, or our own. A concurrent taker
// waits for the writer (SQLite) or the row lock (PostgreSQL), re-reads the
// row and no longer matches.
func (s *Store) LeaseGrant(ctx context.Context, principal, owner string, now, until time.Time) (store.Grant, error) {
	g, err := scanGrant(s.w.queryRow(ctx, `
		UPDATE grants SET lease_owner = ?, lease_until = ?
		WHERE principal = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)
		RETURNING `+grantColumns,
		owner, s.time(until), principal, owner, s.time(now)))
	if errors.Is(err, sql.ErrNoRows) {
		err = s.grantMiss(ctx, principal, store.ErrLeaseHeld)
	}
	if err != nil {
		return store.Grant{}, fmt.Errorf("lease grant %q: %w", principal, err)
	}
	return g, nil
}

// ReleaseGrantLease is a no-op when owner no longer holds the lease (or the
// grant is gone): there is nothing left to release.
func (s *Store) ReleaseGrantLease(ctx context.Context, principal, owner string) error {
	_, err := s.w.exec(ctx,
		`UPDATE grants SET lease_owner = NULL, lease_until = NULL WHERE principal = ? AND lease_owner = ?`,
		principal, owner)
	if err != nil {
		return fmt.Errorf("release grant lease %q: %w", principal, err)
	}
	return nil
}

// ListExpiringGrants reads the partial index grants_expires, whose
// condition the WHERE clause repeats so that SQLite uses it.
func (s *Store) ListExpiringGrants(ctx context.Context, before time.Time, limit int) ([]store.Grant, error) {
	rows, err := s.r.query(ctx, `
		SELECT `+grantColumns+` FROM grants
		WHERE described AND NOT stale AND expires_at <= ?
		ORDER BY expires_at, principal LIMIT ?`,
		s.time(before), s.limit(limit))
	gs, err := collect(rows, err, scanGrant)
	if err != nil {
		return nil, fmt.Errorf("list expiring grants: %w", err)
	}
	return gs, nil
}

// ListGrantsBySentryUser lists nothing for an empty id: undescribed rows
// and grants whose Sentry user is unknown belong to nobody.
func (s *Store) ListGrantsBySentryUser(ctx context.Context, sentryUserID string) ([]store.Grant, error) {
	if sentryUserID == "" {
		return nil, nil
	}
	rows, err := s.r.query(ctx,
		`SELECT `+grantColumns+` FROM grants WHERE sentry_user_id = ? AND described ORDER BY principal`,
		sentryUserID)
	gs, err := collect(rows, err, scanGrant)
	if err != nil {
		return nil, fmt.Errorf("list grants of a Sentry user: %w", err)
	}
	return gs, nil
}

// TouchGrant is one UPDATE that only moves last_used_at forward; when it
// matches nothing, a second look tells "already newer" from "no grant".
func (s *Store) TouchGrant(ctx context.Context, principal string, now time.Time) error {
	n, err := affected(s.w.exec(ctx, `
		UPDATE grants SET last_used_at = ?
		WHERE principal = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		s.time(now), principal, s.time(now)))
	if err == nil && n == 0 {
		var ok bool
		ok, err = s.exists(ctx, `SELECT EXISTS (SELECT 1 FROM grants WHERE principal = ?)`, principal)
		if err == nil && !ok {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("touch grant %q: %w", principal, err)
	}
	return nil
}
