package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// AcquireLease is one upsert whose WHERE clause is the whole rule: a new
// lease, an ended one, or the holder's own. A concurrent acquirer waits
// for the writer (SQLite) or the conflicting insert (PostgreSQL), then
// re-reads the row and no longer matches: nothing changes, which is the
// refusal.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now, until time.Time) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
		name, owner, s.time(until), s.time(now)))
	if err == nil && n == 0 {
		err = store.ErrLeaseHeld
	}
	if err != nil {
		return fmt.Errorf("acquire lease %q: %w", name, err)
	}
	return nil
}

func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if _, err := s.w.exec(ctx, `DELETE FROM leases WHERE name = ? AND owner = ?`, name, owner); err != nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}
