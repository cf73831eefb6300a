package vault

import (
	"context"
	"time"
)

// Test-only views into the vault: the tests check token values and stored
// state that the exported API deliberately does not show.

// TokenValues reveals a token's values.
func TokenValues(t Token) (access, refresh string) { return t.access.Reveal(), t.refresh.Reveal() }

// Get returns principal's grant as this process would use it.
func (v *Vault) Get(ctx context.Context, principal string) (Grant, error) {
	return v.current(ctx, principal)
}

// Refresh returns principal's grant, refreshed first if it is due.
func (v *Vault) Refresh(ctx context.Context, principal string) (Grant, error) {
	g, err := v.current(ctx, principal)
	if err != nil || g.stale {
		if err == nil {
			err = ErrStale
		}
		return g, err
	}
	if !v.due(g) {
		return g, nil
	}
	return v.refresh(ctx, principal, v.due)
}

// Reauthorize is what a client does after Sentry rejected its token.
func (v *Vault) Reauthorize(ctx context.Context, principal, rejected string) (Grant, error) {
	return v.refresh(ctx, principal, func(g Grant) bool { return g.Token.access.Reveal() == rejected || v.due(g) })
}

// PendingCount is how many refreshed pairs wait to be stored.
func (v *Vault) PendingCount() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.pending)
}

func (g Grant) IsStale() bool              { return g.stale }
func (g Grant) RefreshedAtTime() time.Time { return g.refreshedAt }
func (g Grant) Version() int64             { return g.version }
