package vault

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// flight is one refresh of one principal's grant in this process. Callers
// that need the same refresh join it instead of starting another.
type flight struct {
	done  chan struct{} // closed when g and err are set
	g     Grant
	err   error
	needs func(Grant) bool
}

// pending is a pair Sentry returned that could not be stored yet. It is
// served to this process's callers, and written by the pending writer.
type pending struct {
	grant Grant
	// spent is the refresh token Sentry rotated away. A stored grant still
	// holding it is an older state of this same grant (maybe marked stale
	// meanwhile by a process that tried the spent token), which the pair
	// replaces; any other stored grant is a reconnect, which wins.
	spent string
}

// due reports whether g must be refreshed before use.
func (v *Vault) due(g Grant) bool {
	return g.Token.expiresWithin(v.opts.Now(), v.opts.RefreshSkew)
}

// refresh returns principal's grant once needs(g) no longer holds, joining
// the refresh in flight in this process or starting one. The refresh runs
// detached from ctx: when ctx ends first, the caller gets ErrUnavailable and
// the refresh goes on.
func (v *Vault) refresh(ctx context.Context, principal string, needs func(Grant) bool) (Grant, error) {
	for range 2 {
		f, started := v.flight(principal, needs)
		select {
		case <-f.done:
		case <-ctx.Done():
			return Grant{}, fmt.Errorf("%w: waiting for the Sentry token refresh: %w", ErrUnavailable, context.Cause(ctx))
		}
		if f.err != nil || started || !needs(f.g) {
			return f.g, f.err
		}
		// We joined a refresh for another reason (expiry, where we saw a
		// rejected token) and it left the token we need replaced: go again.
	}
	return Grant{}, fmt.Errorf("%w: the Sentry token refresh did not replace the rejected token", ErrUnavailable)
}

// flight returns the refresh in flight for principal, or starts one.
func (v *Vault) flight(principal string, needs func(Grant) bool) (f *flight, started bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if f := v.flights[principal]; f != nil {
		return f, false
	}
	f = &flight{done: make(chan struct{}), needs: needs}
	if v.closed {
		f.err = fmt.Errorf("%w: lookout is shutting down", ErrUnavailable)
		close(f.done)
		return f, true
	}
	v.flights[principal] = f
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		ctx, cancel := context.WithTimeout(v.run, v.opts.RefreshTimeout)
		defer cancel()
		g, err := v.refreshOnce(ctx, principal, needs)
		v.mu.Lock()
		delete(v.flights, principal)
		v.mu.Unlock()
		f.g, f.err = g, err
		close(f.done)
	}()
	return f, true
}

// refreshOnce refreshes principal's grant under the store's lease, so that
// one process at a time, across all sharing the store, spends the refresh
// token.
func (v *Vault) refreshOnce(ctx context.Context, principal string, needs func(Grant) bool) (Grant, error) {
	for {
		g, err := v.current(ctx, principal)
		if err != nil {
			return Grant{}, err
		}
		if g.stale {
			return g, ErrStale
		}
		if !needs(g) || v.hasPending(principal) {
			// A pair waiting to be stored is the newest there is: no other
			// refresh until it is stored.
			return g, nil
		}
		now := v.opts.Now()
		sctx, cancel := v.storeCtx(ctx)
		row, err := v.store.LeaseGrant(sctx, principal, v.owner, now, now.Add(v.opts.LeaseTTL))
		cancel()
		switch {
		case errors.Is(err, store.ErrLeaseHeld):
			// Another process is refreshing: wait, then look again. Its
			// lease ends within LeaseTTL of its last heartbeat.
			select {
			case <-ctx.Done():
				return Grant{}, fmt.Errorf("%w: waiting for another replica's refresh: %w", ErrUnavailable, ctx.Err())
			case <-time.After(v.opts.PollInterval):
			}
			continue
		case errors.Is(err, store.ErrNotFound):
			return Grant{}, ErrNoGrant
		case err != nil:
			// Nothing was spent yet: fail, and let a later call try again.
			return Grant{}, unavailable("lease grant", err)
		}
		return v.refreshLeased(ctx, row, needs)
	}
}

// refreshLeased calls the refresher while this vault holds the lease, and
// makes sure the pair Sentry returns is never lost.
func (v *Vault) refreshLeased(ctx context.Context, row store.Grant, needs func(Grant) bool) (Grant, error) {
	principal := row.Principal
	release := func() {
		// Best effort: a lease left behind ends on its own.
		sctx, cancel := v.storeCtx(context.WithoutCancel(ctx))
		defer cancel()
		_ = v.store.ReleaseGrantLease(sctx, principal, v.owner)
	}
	g, err := v.openRow(ctx, row)
	if err != nil {
		release()
		return Grant{}, err
	}
	if g.stale || !needs(g) { // refreshed between our read and the lease
		release()
		if g.stale {
			return g, ErrStale
		}
		return g, nil
	}
	if v.opts.Refresher == nil {
		release()
		return Grant{}, fmt.Errorf("%w: vault: no refresher configured", ErrUnavailable)
	}

	stopHeartbeat := v.heartbeat(ctx, principal)
	tok, err := v.opts.Refresher(ctx, g.Token.refresh)
	v.onRefresh(err)
	if errors.Is(err, ErrStale) {
		stopHeartbeat()
		v.markRefused(ctx, g)
		return g, ErrStale
	}
	if err != nil {
		stopHeartbeat()
		release()
		return Grant{}, fmt.Errorf("%w: vault: refresh Sentry token: %w", ErrUnavailable, err)
	}

	// Sentry has rotated: from here on, the old refresh token is dead and
	// this pair is the grant. It is stored, or kept until it can be.
	spent := g.Token.refresh.Reveal()
	if tok.refresh.IsZero() { // Sentry did not rotate it
		tok.refresh = g.Token.refresh
	}
	g.Token = tok
	g.refreshedAt = v.opts.Now().UTC()
	p := &pending{grant: g, spent: spent}
	stored, err := v.storeRefreshed(ctx, p, 3)
	stopHeartbeat()
	switch {
	case err == nil:
		return stored, nil
	case errors.Is(err, errSuperseded), errors.Is(err, ErrNoGrant):
		release()
		return v.current(ctx, principal)
	}
	v.opts.Logger.Error("vault: Sentry refreshed a grant but it could not be stored; keeping it in memory and retrying",
		"principal", principal, "err", err)
	v.keepPending(principal, p)
	return g, nil
}

// errSuperseded: the grant was replaced (a reconnect) while a refreshed
// pair of its predecessor waited; the reconnect wins.
var errSuperseded = errors.New("vault: grant replaced while refreshing")

// storeRefreshed writes p's grant over the stored one, trying up to
// attempts times with a short backoff. A concurrent change to the same grant
// (marked stale by a process that tried the spent token, rotated to another
// key) is written over; a reconnect or a deletion wins (errSuperseded,
// ErrNoGrant).
func (v *Vault) storeRefreshed(ctx context.Context, p *pending, attempts int) (Grant, error) {
	wait := 100 * time.Millisecond
	var err error
	for failures, conflicts := 0, 0; failures < attempts && conflicts < 10; {
		var stored Grant
		stored, err = v.swap(ctx, p.grant)
		if err == nil {
			v.audit(ctx, stored.Principal, ActionRefreshed, "expires "+stored.Token.expiry.UTC().Format(time.RFC3339))
			return stored, nil
		}
		if errors.Is(err, ErrNoGrant) {
			return Grant{}, err
		}
		if errors.Is(err, store.ErrConflict) {
			var cur Grant
			cur, err = v.load(ctx, p.grant.Principal)
			switch {
			case errors.Is(err, ErrNoGrant):
				return Grant{}, err
			case err == nil && cur.Token.refresh.Reveal() == p.grant.Token.refresh.Reveal():
				return cur, nil // an earlier attempt was written after all
			case err == nil && cur.Token.refresh.Reveal() != p.spent:
				return Grant{}, errSuperseded
			case err == nil:
				// The same grant, changed under us: write over it.
				p.grant.version = cur.version
				conflicts++
				continue
			}
		}
		if failures++; failures < attempts {
			select {
			case <-ctx.Done():
				return Grant{}, errors.Join(err, ctx.Err())
			case <-time.After(wait):
			}
			wait *= 2
		}
	}
	return Grant{}, err
}

// markRefused marks g stale after Sentry refused its refresh token, unless
// the stored grant changed meanwhile (a reconnect, or another process that
// refreshed first).
func (v *Vault) markRefused(ctx context.Context, g Grant) {
	g.stale = true
	_, err := v.swap(ctx, g) // releases the lease
	switch {
	case err == nil:
		v.audit(ctx, g.Principal, ActionStale, "refresh refused by Sentry")
		v.onStale(ctx, g.Principal)
	case errors.Is(err, store.ErrConflict), errors.Is(err, ErrNoGrant):
	default:
		v.opts.Logger.Warn("vault: could not mark grant stale", "principal", g.Principal, "err", err)
	}
}

// heartbeat extends this vault's lease on principal every LeaseTTL/3 until
// the returned stop is called; stop waits for it to end.
func (v *Vault) heartbeat(ctx context.Context, principal string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(v.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := v.opts.Now()
			sctx, scancel := v.storeCtx(ctx)
			_, err := v.store.LeaseGrant(sctx, principal, v.owner, now, now.Add(v.opts.LeaseTTL))
			scancel()
			if err != nil && ctx.Err() == nil {
				v.opts.Logger.Warn("vault: could not extend the refresh lease", "principal", principal, "err", err)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// keepPending holds p until the pending writer stores it.
func (v *Vault) keepPending(principal string, p *pending) {
	v.mu.Lock()
	defer v.mu.Unlock()
	start := len(v.pending) == 0
	v.pending[principal] = p
	v.npending.Store(int32(len(v.pending)))
	if start && !v.closed {
		v.wg.Add(1)
		go v.writePending()
	}
}

func (v *Vault) hasPending(principal string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.pending[principal] != nil
}

// dropPending forgets principal's unstored pair: the grant was replaced or
// deleted.
func (v *Vault) dropPending(principal string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.pending, principal)
	v.npending.Store(int32(len(v.pending)))
}

func (v *Vault) pendingPairs() map[string]*pending {
	v.mu.Lock()
	defer v.mu.Unlock()
	return maps.Clone(v.pending)
}

// writePending stores unstored pairs with a growing backoff (up to 5s)
// until none is left or the vault closes; Close tries once more.
func (v *Vault) writePending() {
	defer v.wg.Done()
	wait := 200 * time.Millisecond
	for {
		select {
		case <-v.run.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
		for principal, p := range v.pendingPairs() {
			if err := v.storePending(v.run, principal, p); err != nil {
				v.opts.Logger.Warn("vault: still cannot store a refreshed grant; retrying", "principal", principal, "err", err)
			}
		}
		v.mu.Lock()
		if len(v.pending) == 0 {
			v.mu.Unlock()
			return
		}
		v.mu.Unlock()
	}
}

// storePending makes one attempt at storing p, and forgets it once stored
// or superseded.
func (v *Vault) storePending(ctx context.Context, principal string, p *pending) error {
	_, err := v.storeRefreshed(ctx, p, 1)
	if err != nil && !errors.Is(err, errSuperseded) && !errors.Is(err, ErrNoGrant) {
		return err
	}
	v.mu.Lock()
	if v.pending[principal] == p {
		delete(v.pending, principal)
		v.npending.Store(int32(len(v.pending)))
	}
	v.mu.Unlock()
	if err == nil {
		v.opts.Logger.Info("vault: stored a refreshed grant that had been kept in memory", "principal", principal)
	}
	return nil
}
