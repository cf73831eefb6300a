package vault

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store"
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
	src := &turnTokens{v: v, principal: principal}
	src.grant.Store(&g)
	c, err := v.newClient(src, g.Scopes, regions)
	if err != nil {
		return nil, Status{}, err
	}
	v.touch(principal)
	return c, g.status(), nil
}

// GrantRowKey is the auth.TokenInfo.Extra key under which a bearer check
// (authserver.VerifyAccessToken) hands on the grant row it read with the
// token, a store.Grant still sealed: the MCP endpoint passes it to Check
// and ClientOf, so a tool call reads the store once.
const GrantRowKey = "grant"

// Check says whether the grant in row, as a front door's bearer check
// just read it (store.GetTokenGrant), may be used, from its plain metadata
// alone: ErrStale when it was marked stale, ErrDecrypt when it failed to
// open in this process (until it is written again). Nothing is decrypted
// unless the row predates the metadata (not Described). A refreshed pair
// of this process still waiting to be stored wins over the row.
//
// The metadata is not trusted further than that: the client ClientOf
// builds checks the sealed copy when it opens the grant.
func (v *Vault) Check(ctx context.Context, row store.Grant) error {
	if p := v.pendingOf(row.Principal); p != nil {
		if p.grant.stale {
			return ErrStale
		}
		return nil
	}
	if !row.Described {
		g, err := v.openRow(ctx, row)
		if err != nil {
			return err
		}
		if g.stale {
			return ErrStale
		}
		return nil
	}
	if row.Stale {
		return ErrStale
	}
	if v.isBroken(row) {
		return fmt.Errorf("vault: grant of %s: %w (it failed to open before)", row.Principal, ErrDecrypt)
	}
	return nil
}

// ClientOf is Client for the grant in row, as a front door's bearer check
// just read it: the call costs no second read, and the grant is decrypted
// only when the client first needs the token (a call that sends no Sentry
// request decrypts nothing). A grant whose metadata says it is due is
// refreshed first, as Client does. The row's principal is the client's:
// the caller must have read it for the principal it authenticated.
func (v *Vault) ClientOf(ctx context.Context, row store.Grant, regions ...*sentry.Regions) (*sentry.Client, error) {
	if p := v.pendingOf(row.Principal); p != nil || !row.Described {
		// A pair newer than the row, or a row without metadata: the
		// eager path, which knows what to do with both.
		c, _, err := v.Client(ctx, row.Principal, regions...)
		return c, err
	}
	if err := v.Check(ctx, row); err != nil {
		return nil, err
	}
	src := &turnTokens{v: v, principal: row.Principal, sealed: row}
	if (Token{expiry: row.ExpiresAt}).expiresWithin(v.opts.Now(), v.opts.RefreshSkew) {
		g, err := v.refresh(ctx, row.Principal, v.due)
		if err != nil {
			return nil, err
		}
		src.grant.Store(&g)
	}
	c, err := v.newClient(src, nil, regions)
	if err != nil {
		return nil, err
	}
	v.touchRow(row)
	return c, nil
}

func (v *Vault) newClient(src *turnTokens, scopes []string, regions []*sentry.Regions) (*sentry.Client, error) {
	opts := v.opts.Sentry
	if len(regions) > 0 {
		opts.Regions = regions[0]
	}
	opts.Token = src
	opts.Scopes = scopes // nil for a lazy source: it reports them once opened
	c, err := sentry.New(opts)
	if err != nil {
		return nil, fmt.Errorf("vault: Sentry client: %w", err)
	}
	return c, nil
}

// isBroken reports whether row, at its version, failed to open before.
func (v *Vault) isBroken(row store.Grant) bool {
	ver, ok := v.broken.Load(row.Principal)
	return ok && ver.(int64) == row.Version
}

// maxBroken bounds the memory of grants that failed to open.
const maxBroken = 4096

// markBroken remembers that row failed to open (tampered, or copied from
// another principal), so that the principal's next requests are refused at
// the door. Writing the grant again gives it a new version, which clears
// this.
func (v *Vault) markBroken(row store.Grant) {
	n := 0
	v.broken.Range(func(any, any) bool { n++; return n < maxBroken })
	if n >= maxBroken {
		v.broken.Clear()
	}
	v.broken.Store(row.Principal, row.Version)
}

// turnTokens is a sentry.TokenSource and sentry.Reauthorizer over the vault,
// holding the grant for one client so each API call need not read it
// again. Built from a row (ClientOf), it opens the row on the first Token.
type turnTokens struct {
	v         *Vault
	principal string
	sealed    store.Grant // opened on first use when grant is nil

	// grant is read without mu: a valid token is returned without a lock.
	// mu serialises opening, refreshing and reauthorizing.
	grant atomic.Pointer[Grant]
	mu    sync.Mutex
}

func (t *turnTokens) Token(ctx context.Context) (string, error) {
	if g := t.grant.Load(); g != nil && !t.v.due(*g) {
		return g.Token.access.Reveal(), nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g, err := t.opened(ctx)
	if err != nil {
		return "", err
	}
	if t.v.due(g) {
		if g, err = t.v.refresh(ctx, t.principal, t.v.due); err != nil {
			return "", err
		}
		t.grant.Store(&g)
	}
	return g.Token.access.Reveal(), nil
}

// opened is the source's grant, opening the sealed row the first time.
// The sealed copy is the one that counts: a row whose metadata said it
// was usable but whose sealed grant is stale is refused here. Called with
// mu held.
func (t *turnTokens) opened(ctx context.Context) (Grant, error) {
	if g := t.grant.Load(); g != nil {
		return *g, nil
	}
	g, err := t.v.openRow(ctx, t.sealed)
	var missing *KeyMissingError
	switch {
	case errors.As(err, &missing):
		return Grant{}, err
	case err != nil:
		t.v.markBroken(t.sealed)
		return Grant{}, err
	case g.stale:
		return Grant{}, ErrStale
	}
	t.grant.Store(&g)
	return g, nil
}

// Scopes are the grant's scopes once it is opened (nil before): the
// client asks when Sentry answers 403, by which time it has the token.
func (t *turnTokens) Scopes() []string {
	if g := t.grant.Load(); g != nil {
		return g.Scopes
	}
	return nil
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
	t.grant.Store(&g)
	return g.Token.access.Reveal(), nil
}

// touchRow is touch for a row just read: a use recorded within the last
// TouchInterval (by any replica) needs no other, and no lock to find out.
func (v *Vault) touchRow(row store.Grant) {
	if !row.LastUsedAt.IsZero() && v.opts.Now().Sub(row.LastUsedAt) < TouchInterval {
		return
	}
	v.touch(row.Principal)
}
