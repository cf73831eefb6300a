package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// SetPreference upserts (or, for an empty value, deletes) one row: the
// last writer wins, which is what a person changing a setting twice means.
func (s *Store) SetPreference(ctx context.Context, principal, name, value string, now time.Time) error {
	var err error
	if value == "" {
		_, err = s.w.exec(ctx, `DELETE FROM preferences WHERE principal = ? AND name = ?`, principal, name)
	} else {
		_, err = s.w.exec(ctx, `
			INSERT INTO preferences (principal, name, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (principal, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			principal, name, value, s.time(now))
	}
	if err != nil {
		return fmt.Errorf("set preference %q: %w", name, err)
	}
	return nil
}

func (s *Store) Preferences(ctx context.Context, principal string) (map[string]string, error) {
	rows, err := s.r.query(ctx, `SELECT name, value FROM preferences WHERE principal = ?`, principal)
	if err != nil {
		return nil, fmt.Errorf("read preferences: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("read preferences: %w", err)
		}
		out[name] = value
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read preferences: %w", err)
	}
	return out, nil
}
