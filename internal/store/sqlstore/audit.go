package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

func scanAudit(row scanner) (store.AuditEvent, error) {
	var e store.AuditEvent
	err := row.Scan(&e.ID, timestamp{&e.Time}, &e.Principal, &e.Action, &e.Detail)
	return e, err
}

// AppendAudit ignores e.ID: the id comes from the table (SQLite:
// AUTOINCREMENT; PostgreSQL: an identity column), so it only grows.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	_, err := s.w.exec(ctx,
		`INSERT INTO audit (time, principal, action, detail) VALUES (?, ?, ?, ?)`,
		s.time(e.Time), e.Principal, e.Action, e.Detail)
	if err != nil {
		return fmt.Errorf("append audit %s for %q: %w", e.Action, e.Principal, err)
	}
	return nil
}

func (s *Store) ListAudit(ctx context.Context, principal string, limit int) ([]store.AuditEvent, error) {
	rows, err := s.r.query(ctx, `
		SELECT id, time, principal, action, detail FROM audit
		WHERE ? = '' OR principal = ?
		ORDER BY id DESC LIMIT ?`,
		principal, principal, s.limit(limit))
	es, err := collect(rows, err, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return es, nil
}

// DeleteAuditBefore is the audit retention: events older than cutoff go.
func (s *Store) DeleteAuditBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := affected(s.w.exec(ctx, `DELETE FROM audit WHERE time < ?`, s.time(cutoff)))
	if err != nil {
		return 0, fmt.Errorf("delete audit events before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// RecordEvent inserts id, or takes over an expired record of it, in one
// statement; a live record makes the upsert change nothing, which is the
// duplicate. On PostgreSQL a concurrent insert of the same id waits for
// the first and then sees it live.
func (s *Store) RecordEvent(ctx context.Context, id string, now, expiresAt time.Time) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO events (id, expires_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
		WHERE events.expires_at <= ?`,
		id, s.time(expiresAt), s.time(now)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyUsed
	}
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

func (s *Store) EventSeen(ctx context.Context, id string, now time.Time) (bool, error) {
	seen, err := s.exists(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = ? AND expires_at > ?)`, id, s.time(now))
	if err != nil {
		return false, fmt.Errorf("event seen: %w", err)
	}
	return seen, nil
}

// SearchAudit filters in one query; a "*" at the end of q.Action makes
// the rest a prefix, compared with substr rather than LIKE so that "_" and
// "%" in an action mean themselves. A zero Since is year 1: every event.
func (s *Store) SearchAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	action, prefix := q.Action, ""
	if p, ok := strings.CutSuffix(q.Action, "*"); ok {
		action, prefix = "", p
	}
	rows, err := s.r.query(ctx, `
		SELECT id, time, principal, action, detail FROM audit
		WHERE (? = '' OR principal = ?)
		  AND (? = '' OR action = ?)
		  AND (? = '' OR substr(action, 1, ?) = ?)
		  AND time >= ?
		ORDER BY id DESC LIMIT ?`,
		q.Principal, q.Principal, action, action, prefix, len(prefix), prefix, s.time(q.Since), s.limit(q.Limit))
	es, err := collect(rows, err, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("search audit: %w", err)
	}
	return es, nil
}
