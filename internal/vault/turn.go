package vault

import (
	"context"
	"sync"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// SentryClient returns a Sentry client acting as principal for one turn.
// The grant is refreshed first if it is about to expire; ErrNoGrant and
// ErrStale mean the user must connect (again). The token stays inside the
// returned client's token source: nothing else of the turn sees it.
func (v *Vault) SentryClient(ctx context.Context, principal string, refresher Refresher, base sentry.Options) (*sentry.Client, Grant, error) {
	g, err := v.Refresh(ctx, principal, refresher)
	if err != nil {
		return nil, Grant{}, err
	}
	ts := &turnTokens{v: v, principal: principal, refresher: refresher, grant: g}
	base.Token = ts
	base.Scopes = g.Scopes
	c, err := sentry.New(base)
	if err != nil {
		return nil, Grant{}, err
	}
	g.Token = Token{Expiry: g.Token.Expiry} // the caller gets metadata, not the token
	return c, g, nil
}

// turnTokens is a sentry.TokenSource and sentry.Reauthorizer over the vault,
// holding the grant for one turn so each API call need not decrypt it again.
type turnTokens struct {
	v         *Vault
	principal string
	refresher Refresher

	mu    sync.Mutex
	grant Grant
}

func (t *turnTokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.grant.Token.expiresWithin(t.v.opts.Now(), t.v.opts.RefreshSkew) {
		g, err := t.v.Refresh(ctx, t.principal, t.refresher)
		if err != nil {
			return "", err
		}
		t.grant = g
	}
	return t.grant.Token.AccessToken, nil
}

// Reauthorize replaces a token Sentry rejected. When Sentry also refuses
// the refresh, the vault marks the grant stale and this returns ErrStale.
func (t *turnTokens) Reauthorize(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, err := t.v.Reauthorize(ctx, t.principal, rejected, t.refresher)
	if err != nil {
		return "", err
	}
	t.grant = g
	return g.Token.AccessToken, nil
}
