package vault

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// The background refresher. Sentry's own MCP server never refreshes, so a
// grant nobody used for a month is dead; lookout's refresher keeps grants
// alive by refreshing those that expire soon, before anyone needs them.
//
// One replica at a time runs it, elected through a store lease that it
// heart-beats; the others wait to take over. Each refresh goes through the
// vault's normal path (Client's): the per-grant lease and single-flight, a
// detached and durable store of the new pair, and a refusal by Sentry
// marking the grant stale (audit "grant.stale", and whatever the vault's
// owner does on that). The refreshes of one pass are paced, with jitter,
// so that ten thousand grants connected on one day do not all go to
// Sentry's token endpoint in the same minute a month later.

// Defaults of RenewerOptions.
const (
	DefaultRefreshAhead    = 24 * time.Hour
	DefaultRenewInterval   = 5 * time.Minute
	DefaultRenewerLeaseTTL = time.Minute
	DefaultRenewPerMinute  = 60
	DefaultRenewBatch      = 1000
)

// RenewerLease is the name of the store lease that elects the replica
// running the background refresher.
const RenewerLease = "vault.refresher"

// Leases elects the replica that runs the refresher (store.Leases).
type Leases interface {
	AcquireLease(ctx context.Context, name, owner string, now, until time.Time) error
	ReleaseLease(ctx context.Context, name, owner string) error
}

// RenewerOptions tune a Renewer; zero values take the defaults above.
type RenewerOptions struct {
	// Ahead (LOOKOUT_REFRESH_AHEAD): a grant is refreshed once its access
	// token expires within Ahead, or within half the token's lifetime if
	// that is shorter, so a short-lived token is not refreshed on every
	// pass.
	Ahead time.Duration
	// Interval between passes over the grants that are due.
	Interval time.Duration
	// LeaseTTL: the elected replica extends its lease every LeaseTTL/3; if
	// it dies, another takes over within about LeaseTTL.
	LeaseTTL time.Duration
	// PerMinute caps refreshes sent to Sentry per minute; they are spaced
	// evenly, each with up to ±50% jitter.
	PerMinute int
	// Batch caps the grants looked at in one pass, soonest expiry first.
	Batch int
	// OnRenew, when set, is told what became of each grant a pass looked
	// at: "refreshed", "not_due", "stale", "failed" or "gone"; OnPass, that
	// a pass went over every grant due. Both must return at once
	// (internal/metrics).
	OnRenew func(outcome string)
	OnPass  func()
}

// Renewer is the background refresher of one vault (one process). Run it
// once; it stops when its context ends.
type Renewer struct {
	v      *Vault
	leases Leases
	opts   RenewerOptions
	owner  string
}

// NewRenewer returns v's background refresher, elected among replicas
// through leases.
func (v *Vault) NewRenewer(leases Leases, opts RenewerOptions) *Renewer {
	if opts.Ahead <= 0 {
		opts.Ahead = DefaultRefreshAhead
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultRenewInterval
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultRenewerLeaseTTL
	}
	if opts.PerMinute <= 0 {
		opts.PerMinute = DefaultRenewPerMinute
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultRenewBatch
	}
	return &Renewer{v: v, leases: leases, opts: opts, owner: v.owner}
}

// Run takes part in the election until ctx ends, and refreshes grants
// while elected. It returns nil once ctx has ended and, if it was elected,
// its lease is released (so a replica that stops hands over at once).
func (r *Renewer) Run(ctx context.Context) error {
	log := r.v.opts.Logger
	for {
		now := r.v.opts.Now()
		err := r.acquire(ctx, now)
		switch {
		case err == nil:
			log.Info("vault: this replica runs the background refresher", "refresh_ahead", r.opts.Ahead.String())
			r.lead(ctx)
		case errors.Is(err, store.ErrLeaseHeld), ctx.Err() != nil:
		default:
			log.Warn("vault: could not take part in the background refresher election", "err", err)
		}
		if !sleep(ctx, jitter(r.opts.LeaseTTL/2)) {
			return nil
		}
	}
}

func (r *Renewer) acquire(ctx context.Context, now time.Time) error {
	sctx, cancel := r.v.storeCtx(ctx)
	defer cancel()
	return r.leases.AcquireLease(sctx, RenewerLease, r.owner, now, now.Add(r.opts.LeaseTTL))
}

// lead refreshes while this replica holds the lease: a heartbeat extends
// it, and stops the work the moment it is lost.
func (r *Renewer) lead(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		r.heartbeat(ctx, cancel)
	}()
	defer func() {
		cancel()
		<-beat
		sctx, scancel := r.v.storeCtx(context.WithoutCancel(ctx))
		defer scancel()
		if err := r.leases.ReleaseLease(sctx, RenewerLease, r.owner); err != nil {
			r.v.opts.Logger.Warn("vault: could not release the background refresher lease; another replica takes over when it ends", "err", err)
		}
	}()

	r.backfill(ctx)
	for {
		r.pass(ctx)
		if !sleep(ctx, jitter(r.opts.Interval)) {
			return
		}
	}
}

// heartbeat extends the lease every LeaseTTL/3 and calls lost when another
// replica has it, or when it could not be extended for a whole LeaseTTL
// (the database is away: another replica may have it by now).
func (r *Renewer) heartbeat(ctx context.Context, lost context.CancelFunc) {
	last := r.v.opts.Now()
	t := time.NewTicker(r.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := r.v.opts.Now()
		err := r.acquire(ctx, now)
		switch {
		case err == nil:
			last = now
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrLeaseHeld) || now.Sub(last) >= r.opts.LeaseTTL:
			r.v.opts.Logger.Warn("vault: lost the background refresher lease; another replica runs it", "err", err)
			lost()
			return
		default:
			r.v.opts.Logger.Warn("vault: could not extend the background refresher lease; retrying", "err", err)
		}
	}
}

// pass refreshes the grants due now, soonest expiry first, paced.
func (r *Renewer) pass(ctx context.Context) {
	v := r.v
	sctx, cancel := v.storeCtx(ctx)
	rows, err := v.store.ListExpiringGrants(sctx, v.opts.Now().Add(r.opts.Ahead), r.opts.Batch)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			v.opts.Logger.Warn("vault: background refresher could not list expiring grants", "err", err)
		}
		return
	}
	spacing := time.Minute / time.Duration(r.opts.PerMinute)
	refreshed := false
	for _, row := range rows {
		if refreshed && !sleep(ctx, jitter(spacing)) {
			return
		}
		refreshed = false
		called, err := v.renew(ctx, row, r.opts.Ahead)
		refreshed = called
		r.report(ctx, called, err)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil, errors.Is(err, ErrNoGrant):
		case errors.Is(err, ErrStale):
			v.opts.Logger.Info("vault: background refresh: Sentry refused the grant; it is marked stale", "principal", row.Principal)
		default:
			v.opts.Logger.Warn("vault: background refresh failed; trying again next pass", "principal", row.Principal, "err", err)
		}
	}
	if r.opts.OnPass != nil {
		r.opts.OnPass()
	}
}

// report tells RenewerOptions.OnRenew what became of one grant of a pass.
func (r *Renewer) report(ctx context.Context, called bool, err error) {
	if r.opts.OnRenew == nil || ctx.Err() != nil {
		return
	}
	switch {
	case err == nil && called:
		r.opts.OnRenew("refreshed")
	case err == nil:
		r.opts.OnRenew("not_due")
	case errors.Is(err, ErrNoGrant):
		r.opts.OnRenew("gone")
	case errors.Is(err, ErrStale):
		r.opts.OnRenew("stale")
	default:
		r.opts.OnRenew("failed")
	}
}

// renew refreshes principal's grant if it expires within ahead (or half
// its lifetime), through the same path as a refresh on demand. called
// reports whether Sentry may have been asked. A row whose metadata no
// longer matches the grant (written by an older lookout) is described
// again, so it stops coming up.
func (v *Vault) renew(ctx context.Context, row store.Grant, ahead time.Duration) (called bool, err error) {
	if v.hasPending(row.Principal) {
		return false, nil // a refreshed pair waits to be stored: it is the newest there is
	}
	// The row as listed, opened without an audit event: a grant that does
	// not open would otherwise be audited again on every pass.
	g, err := v.peekRow(row)
	if err != nil {
		return false, err
	}
	needs := func(g Grant) bool { return g.Token.expiresWithin(v.opts.Now(), renewAhead(g, ahead)) }
	if g.stale || !needs(g) {
		if row.Stale != g.stale || !row.ExpiresAt.Equal(g.Token.expiry) || row.SentryUserID != g.User.ID {
			v.describe(ctx, g)
		}
		if g.stale {
			return false, ErrStale
		}
		return false, nil
	}
	_, err = v.refresh(ctx, row.Principal, needs)
	return true, err
}

// renewAhead is how long before expiry g is refreshed: ahead, or half the
// token's lifetime (as far as the vault knows it) if that is shorter.
func renewAhead(g Grant, ahead time.Duration) time.Duration {
	issued := g.refreshedAt
	if issued.IsZero() {
		issued = g.connectedAt
	}
	if issued.IsZero() || g.Token.expiry.IsZero() {
		return ahead
	}
	return min(ahead, g.Token.expiry.Sub(issued)/2)
}

// backfill describes the grants stored before their metadata was kept
// outside the ciphertext (or by an older lookout), so that the refresher
// and the connections page find them.
func (r *Renewer) backfill(ctx context.Context) {
	v, n := r.v, 0
	err := v.scan(ctx, func(row store.Grant) error {
		if row.Described {
			return nil
		}
		g, err := v.openRow(ctx, row)
		if err != nil {
			v.opts.Logger.Warn("vault: cannot describe a grant that does not open", "principal", row.Principal, "err", err)
			return nil
		}
		if v.describe(ctx, g) {
			n++
		}
		return ctx.Err()
	})
	if err != nil && ctx.Err() == nil {
		v.opts.Logger.Warn("vault: describing stored grants stopped", "err", err)
	}
	if n > 0 {
		v.opts.Logger.Info("vault: described stored grants for the refresher and the connections page", "grants", n)
	}
}

// describe writes g again, unchanged but for its metadata (and its key,
// now the primary). A concurrent write wins: it described the grant too.
func (v *Vault) describe(ctx context.Context, g Grant) bool {
	_, err := v.swap(ctx, g)
	if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, ErrNoGrant) {
		v.opts.Logger.Warn("vault: could not describe a grant", "principal", g.Principal, "err", err)
	}
	return err == nil
}

// jitter returns d scaled by a random factor in [0.5, 1.5).
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d+1)
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
