// Package vault keeps each principal's upstream Sentry grant encrypted at
// rest, refreshes it at most once at a time across goroutines and processes,
// and writes an audit event for every change. It is the only package that
// holds the encryption keys, and the only one that sees decrypted tokens
// apart from the Sentry client built for one turn.
package vault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

var (
	// ErrNoGrant: the principal has not connected Sentry.
	ErrNoGrant = errors.New("no Sentry grant for this user")
	// ErrStale: Sentry refused the grant (refresh rejected or token
	// revoked); the user must connect again.
	ErrStale = errors.New("the Sentry grant is no longer valid")
	// ErrDecrypt: a stored grant failed to decrypt (wrong key, tampering,
	// or a row copied from another principal).
	ErrDecrypt = errors.New("stored grant failed to decrypt")
)

// Audit actions written by the vault.
const (
	ActionConnected     = "grant.connected"
	ActionRefreshed     = "grant.refreshed"
	ActionRevoked       = "grant.revoked"
	ActionStale         = "grant.stale"
	ActionDecryptFailed = "grant.decrypt_failed"
	ActionRotated       = "keys.rotated"
)

// Refresher exchanges a grant's refresh token for a new token set. Sentry
// rotates refresh tokens, so it must be called at most once per token; the
// vault guarantees that. Return an error wrapping ErrStale when Sentry
// refuses the refresh token (the grant is then marked stale).
type Refresher func(ctx context.Context, old Token) (Token, error)

// Options tune a Vault; zero values are safe defaults.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RefreshSkew: tokens expiring within it are refreshed first
	// (default 1 minute).
	RefreshSkew time.Duration
	// LeaseTTL bounds how long one refresher may hold a grant; the
	// refresher's context ends before it (default 30s).
	LeaseTTL time.Duration
	// PollInterval is how often a waiter re-reads a grant another process
	// is refreshing (default 50ms).
	PollInterval time.Duration
	// Logger receives operational messages (never token material).
	Logger *slog.Logger
}

// Vault is safe for concurrent use.
type Vault struct {
	store store.Store
	keys  *Keyring
	opts  Options
	owner string // lease owner id: unique per Vault, i.e. per process

	mu    sync.Mutex
	locks map[string]*principalLock
}

// principalLock queues one principal's refreshes within this process.
type principalLock struct {
	sync.Mutex
	refs int // guarded by Vault.mu
	// failures counts refresher calls that failed transiently, and err is
	// the latest such failure (guarded by the lock itself). A caller that
	// queued behind a failed attempt gets its error instead of spending
	// Sentry's rotating refresh token on another try.
	failures atomic.Int64
	err      error
}

// New returns a vault over s sealing with keys.
func New(s store.Store, keys *Keyring, opts Options) *Vault {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefreshSkew == 0 {
		opts.RefreshSkew = time.Minute
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = 30 * time.Second
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 50 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Vault{store: s, keys: keys, opts: opts, owner: randomID(), locks: map[string]*principalLock{}}
}

// Put stores a newly consented grant for principal, replacing any previous
// one (a reconnect supersedes a stale grant).
func (v *Vault) Put(ctx context.Context, g Grant) (Grant, error) {
	now := v.opts.Now().UTC()
	if g.ConnectedAt.IsZero() {
		g.ConnectedAt = now
	}
	g.Stale = false
	row, err := v.sealRow(g)
	if err != nil {
		return Grant{}, err
	}
	stored, err := v.store.PutGrant(ctx, row)
	if err != nil {
		return Grant{}, fmt.Errorf("vault: store grant: %w", err)
	}
	g.Version = stored.Version
	v.audit(ctx, g.Principal, ActionConnected, fmt.Sprintf("sentry user %s, scopes %q", g.User.ID, g.Scopes))
	return g, nil
}

// Get returns principal's decrypted grant: ErrNoGrant if there is none.
// A stale grant is returned with Stale set; callers decide.
func (v *Vault) Get(ctx context.Context, principal string) (Grant, error) {
	row, err := v.store.GetGrant(ctx, principal)
	if errors.Is(err, store.ErrNotFound) {
		return Grant{}, ErrNoGrant
	}
	if err != nil {
		return Grant{}, fmt.Errorf("vault: load grant: %w", err)
	}
	return v.openRow(ctx, row)
}

// Delete revokes principal's grant in lookout; reason goes to the audit log.
func (v *Vault) Delete(ctx context.Context, principal, reason string) error {
	err := v.store.DeleteGrant(ctx, principal)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoGrant
	}
	if err != nil {
		return fmt.Errorf("vault: delete grant: %w", err)
	}
	v.audit(ctx, principal, ActionRevoked, reason)
	return nil
}

// MarkStale records that Sentry no longer accepts principal's grant.
func (v *Vault) MarkStale(ctx context.Context, principal, reason string) error {
	for {
		g, err := v.Get(ctx, principal)
		if err != nil {
			return err
		}
		if g.Stale {
			return nil
		}
		g.Stale = true
		if _, err := v.swap(ctx, g); errors.Is(err, store.ErrConflict) {
			continue // changed under us; look again
		} else if err != nil {
			return err
		}
		v.audit(ctx, principal, ActionStale, reason)
		return nil
	}
}

// Refresh returns principal's grant with an access token that does not
// expire within the refresh skew, calling refresher if it must. Concurrent
// callers for one principal, in this process or any other sharing the
// store, cause at most one refresher call; the others wait for and return
// its result.
func (v *Vault) Refresh(ctx context.Context, principal string, refresher Refresher) (Grant, error) {
	return v.refresh(ctx, principal, refresher, func(g Grant) bool {
		return g.Token.expiresWithin(v.opts.Now(), v.opts.RefreshSkew)
	})
}

// Reauthorize is Refresh after Sentry rejected accessToken with a 401: the
// grant is refreshed unless another caller already replaced that token.
func (v *Vault) Reauthorize(ctx context.Context, principal, rejected string, refresher Refresher) (Grant, error) {
	return v.refresh(ctx, principal, refresher, func(g Grant) bool {
		return g.Token.AccessToken == rejected || g.Token.expiresWithin(v.opts.Now(), v.opts.RefreshSkew)
	})
}

func (v *Vault) refresh(ctx context.Context, principal string, refresher Refresher, needs func(Grant) bool) (Grant, error) {
	// Goroutines of this process queue here, so only one of them talks to
	// the store's lease; the rest find the fresh token when they get in.
	l, failuresBefore, unlock := v.lock(principal)
	defer unlock()
	if l.failures.Load() != failuresBefore {
		return Grant{}, l.err // the attempt we queued behind failed
	}

	for {
		g, err := v.Get(ctx, principal)
		if err != nil {
			return Grant{}, err
		}
		if g.Stale {
			return g, ErrStale
		}
		if !needs(g) {
			return g, nil
		}
		now := v.opts.Now()
		row, err := v.store.LeaseGrant(ctx, principal, v.owner, now, now.Add(v.opts.LeaseTTL))
		switch {
		case errors.Is(err, store.ErrLeaseHeld):
			// Another process is refreshing: wait, then look again.
			select {
			case <-ctx.Done():
				return Grant{}, fmt.Errorf("vault: waiting for another refresh: %w", ctx.Err())
			case <-time.After(v.opts.PollInterval):
			}
			continue
		case errors.Is(err, store.ErrNotFound):
			return Grant{}, ErrNoGrant
		case err != nil:
			return Grant{}, fmt.Errorf("vault: lease grant: %w", err)
		}
		g, transient, err := v.refreshLeased(ctx, row, refresher, needs)
		if transient {
			l.err = err
			l.failures.Add(1)
		}
		return g, err
	}
}

// refreshLeased runs the refresher while this vault holds the lease.
// transient reports a refresher failure that is not Sentry refusing the
// grant (network, 5xx): worth retrying later, not by every waiter now.
func (v *Vault) refreshLeased(ctx context.Context, row store.Grant, refresher Refresher, needs func(Grant) bool) (_ Grant, transient bool, _ error) {
	release := func() {
		// Best effort: a lease left behind expires on its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = v.store.ReleaseGrantLease(ctx, row.Principal, v.owner)
	}
	g, err := v.openRow(ctx, row)
	if err != nil {
		release()
		return Grant{}, false, err
	}
	if g.Stale || !needs(g) { // refreshed between our read and the lease
		release()
		if g.Stale {
			return g, false, ErrStale
		}
		return g, false, nil
	}
	// The refresher must finish while the lease is ours.
	rctx, cancel := context.WithTimeout(ctx, v.opts.LeaseTTL*2/3)
	tok, err := refresher(rctx, g.Token)
	cancel()
	if errors.Is(err, ErrStale) {
		release()
		if merr := v.MarkStale(ctx, g.Principal, "refresh refused by Sentry"); merr != nil && !errors.Is(merr, ErrNoGrant) {
			v.opts.Logger.Warn("vault: could not mark grant stale", "principal", g.Principal, "err", merr)
		}
		return g, false, ErrStale
	}
	if err != nil {
		release()
		return Grant{}, true, fmt.Errorf("vault: refresh Sentry token: %w", err)
	}
	if tok.RefreshToken == "" { // Sentry did not rotate it
		tok.RefreshToken = g.Token.RefreshToken
	}
	g.Token = tok
	g.RefreshedAt = v.opts.Now().UTC()
	stored, err := v.swap(ctx, g) // releases the lease
	if errors.Is(err, store.ErrConflict) {
		// A reconnect replaced the grant while we refreshed; it wins.
		g, err = v.Get(ctx, g.Principal)
		return g, false, err
	}
	if err != nil {
		release()
		return Grant{}, false, err
	}
	v.audit(ctx, g.Principal, ActionRefreshed, "expires "+tok.Expiry.UTC().Format(time.RFC3339))
	return stored, false, nil
}

// swap writes g over the version it was read at.
func (v *Vault) swap(ctx context.Context, g Grant) (Grant, error) {
	row, err := v.sealRow(g)
	if err != nil {
		return Grant{}, err
	}
	row.Version = g.Version
	stored, err := v.store.SwapGrant(ctx, row)
	if err != nil {
		return Grant{}, fmt.Errorf("vault: update grant: %w", err)
	}
	g.Version = stored.Version
	return g, nil
}

// RotateReport says what Rotate did.
type RotateReport struct {
	Scanned int // grants looked at
	Rotated int // re-encrypted under the primary key
	Current int // already under the primary key
	Failed  int // could not be opened (see the audit log)
}

// Rotate re-encrypts every grant not sealed with the primary key. It is
// resumable: grants already under the primary key are skipped, so running
// it again after an interruption finishes the job.
func (v *Vault) Rotate(ctx context.Context) (RotateReport, error) {
	var rep RotateReport
	after := ""
	for {
		rows, err := v.store.ListGrants(ctx, after, 100)
		if err != nil {
			return rep, fmt.Errorf("vault: list grants: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		for _, row := range rows {
			after = row.Principal
			rep.Scanned++
			if row.KeyID == v.keys.PrimaryID() {
				rep.Current++
				continue
			}
			switch err := v.rekey(ctx, row); {
			case err == nil:
				rep.Rotated++
			case errors.Is(err, ErrDecrypt):
				rep.Failed++
			default:
				return rep, err
			}
		}
	}
	v.audit(ctx, "", ActionRotated, fmt.Sprintf("primary key %q: scanned %d, rotated %d, already current %d, failed %d",
		v.keys.PrimaryID(), rep.Scanned, rep.Rotated, rep.Current, rep.Failed))
	return rep, nil
}

func (v *Vault) rekey(ctx context.Context, row store.Grant) error {
	for {
		g, err := v.openRow(ctx, row)
		if err != nil {
			return err
		}
		if _, err = v.swap(ctx, g); !errors.Is(err, store.ErrConflict) {
			return err
		}
		// Written concurrently (refreshed, reconnected): rotate what is there now.
		if row, err = v.store.GetGrant(ctx, row.Principal); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if row.KeyID == v.keys.PrimaryID() {
			return nil
		}
	}
}

func (v *Vault) sealRow(g Grant) (store.Grant, error) {
	plaintext, err := json.Marshal(toSealed(g))
	if err != nil {
		return store.Grant{}, fmt.Errorf("vault: encode grant: %w", err)
	}
	keyID, ciphertext, err := v.keys.seal(g.Principal, plaintext)
	if err != nil {
		return store.Grant{}, err
	}
	return store.Grant{Principal: g.Principal, KeyID: keyID, Ciphertext: ciphertext}, nil
}

func (v *Vault) openRow(ctx context.Context, row store.Grant) (Grant, error) {
	plaintext, err := v.keys.open(row.Principal, row.KeyID, row.Ciphertext)
	if err != nil {
		v.audit(ctx, row.Principal, ActionDecryptFailed, err.Error())
		return Grant{}, fmt.Errorf("vault: grant of %s: %w", row.Principal, err)
	}
	var s sealedGrant
	if err := json.Unmarshal(plaintext, &s); err != nil {
		return Grant{}, fmt.Errorf("vault: grant of %s: %w: undecodable payload", row.Principal, ErrDecrypt)
	}
	return s.grant(row.Principal, row.Version), nil
}

// audit appends an event; a failure to audit is logged, not fatal, because
// the state change it describes has already happened.
func (v *Vault) audit(ctx context.Context, principal, action, detail string) {
	err := v.store.AppendAudit(context.WithoutCancel(ctx), store.AuditEvent{
		Time: v.opts.Now().UTC(), Principal: principal, Action: action, Detail: detail,
	})
	if err != nil {
		v.opts.Logger.Error("vault: audit write failed", "action", action, "principal", principal, "err", err)
	}
}

// lock queues the caller behind other refreshes of principal in this
// process. failures is the lock's failure count when the caller queued.
func (v *Vault) lock(principal string) (l *principalLock, failures int64, unlock func()) {
	v.mu.Lock()
	l = v.locks[principal]
	if l == nil {
		l = &principalLock{}
		v.locks[principal] = l
	}
	l.refs++
	failures = l.failures.Load()
	v.mu.Unlock()

	l.Lock()
	return l, failures, func() {
		l.Unlock()
		v.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(v.locks, principal)
		}
		v.mu.Unlock()
	}
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}
