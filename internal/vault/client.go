package vault

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// Client returns a Sentry client acting as principal, and the grant's
// Status. The grant is read (and decrypted) once, and refreshed first only
// if it is about to expire: a valid grant costs one store read and takes no
// lock. ErrNoGrant, ErrStale and ErrDecrypt mean the user must connect
// (again); ErrUnavailable means try again later. The token stays inside the
// client's token source: nothing else sees it. regions, when given, is
// where the client keeps what it learns of organizations' regions (the
// front door's per-principal cache); otherwise the client learns afresh.
func (v *Vault) Client(ctx context.Context, principal string, regions ...*sentry.Regions) (*sentry.Client, Status, error) {
	g, err := v.current(ctx, principal)
	if err != nil {
		return nil, Status{}, err
	}
	if g.stale {
		return nil, g.status(), ErrStale
	}
	if v.due(g) {
		if g, err = v.refresh(ctx, principal, v.due); err != nil {
			return nil, Status{}, err
		}
	}
	opts := v.opts.Sentry
	if len(regions) > 0 {
		opts.Regions = regions[0]
	}
	opts.Token = &turnTokens{v: v, principal: principal, grant: g}
	opts.Scopes = g.Scopes
	c, err := sentry.New(opts)
	if err != nil {
		return nil, Status{}, fmt.Errorf("vault: Sentry client: %w", err)
	}
	v.touch(principal)
	return c, g.status(), nil
}

// turnTokens is a sentry.TokenSource and sentry.Reauthorizer over the vault,
// holding the grant for one client so each API call need not read it
// again.
type turnTokens struct {
	v         *Vault
	principal string

	mu    sync.Mutex
	grant Grant
}

func (t *turnTokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.v.due(t.grant) {
		g, err := t.v.refresh(ctx, t.principal, t.v.due)
		if err != nil {
			return "", err
		}
		t.grant = g
	}
	return t.grant.Token.access.Reveal(), nil
}

// Reauthorize replaces a token Sentry rejected with a 401. When Sentry also
// refuses the refresh, the vault marks the grant stale and this returns
// ErrStale; when the refresh could not be done (Sentry or the database
// unavailable), ErrUnavailable and the grant is untouched.
func (t *turnTokens) Reauthorize(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	needs := func(g Grant) bool { return g.Token.access.Reveal() == rejected || t.v.due(g) }
	g, err := t.v.refresh(ctx, t.principal, needs)
	if err != nil {
		return "", err
	}
	if needs(g) {
		return "", errors.New("vault: the refreshed token is the one Sentry rejected")
	}
	t.grant = g
	return g.Token.access.Reveal(), nil
}
