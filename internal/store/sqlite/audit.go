package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// AppendAudit ignores e.ID: the id comes from the table, so it only grows.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO audit (time, principal, action, detail) VALUES (?, ?, ?, ?)`,
		micros(e.Time), e.Principal, e.Action, e.Detail)
	if err != nil {
		return fmt.Errorf("append audit %s for %q: %w", e.Action, e.Principal, err)
	}
	return nil
}

func (s *Store) ListAudit(ctx context.Context, principal string, limit int) ([]store.AuditEvent, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT id, time, principal, action, detail FROM audit
		WHERE ? = '' OR principal = ?
		ORDER BY id DESC LIMIT ?`,
		principal, principal, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	es, err := collect(rows, func(row scanner) (store.AuditEvent, error) {
		var e store.AuditEvent
		var t int64
		err := row.Scan(&e.ID, &t, &e.Principal, &e.Action, &e.Detail)
		e.Time = fromMicros(t)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return es, nil
}

// RecordEvent inserts id, or takes over an expired record of it, in one
// statement; a live record makes the upsert change nothing, which is the
// duplicate.
func (s *Store) RecordEvent(ctx context.Context, id string, now, expiresAt time.Time) error {
	n, err := affected(s.db.ExecContext(ctx, `
		INSERT INTO events (id, expires_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
		WHERE events.expires_at <= ?`,
		id, micros(expiresAt), micros(now)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyUsed
	}
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

func (s *Store) EventSeen(ctx context.Context, id string, now time.Time) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE id = ? AND expires_at > ?`, id, micros(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("event seen: %w", err)
	}
	return n > 0, nil
}
