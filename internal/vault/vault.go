// Package vault keeps each principal's upstream Sentry grant encrypted at
// rest, refreshes it at most once at a time across goroutines and processes,
// and writes an audit event for every change. It is the only package that
// holds the encryption keys and reads decrypted tokens: front doors get a
// Status (metadata) and a Sentry client (Client) whose token source is the
// vault, nothing else.
//
// A refresh is durable. Sentry's refresh tokens work once, so once Sentry
// has answered a refresh, the pair it returned is the only one that works:
// the refresh runs in a goroutine the vault owns, detached from the caller
// (who may give up first) with its own deadline, and a pair that cannot be
// stored is kept in memory, served to this process's callers, and stored in
// the background until it is. Only Sentry refusing the refresh token marks a
// grant stale; every other failure is ErrUnavailable and leaves it alone.
package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store"
)

var (
	// ErrNoGrant: the principal has not connected Sentry.
	ErrNoGrant = errors.New("no Sentry grant for this user")
	// ErrStale: Sentry refused the grant (refresh rejected or token
	// revoked); the user must connect again.
	ErrStale = errors.New("the Sentry grant is no longer valid")
	// ErrDecrypt: a stored grant failed to decrypt (tampering, or a row
	// copied from another principal); the user must connect again. A
	// missing key is a KeyMissingError, which is also ErrUnavailable.
	ErrDecrypt = errors.New("stored grant failed to decrypt")
	// ErrUnavailable: something lookout depends on is having trouble (the
	// database, Sentry's token endpoint, a missing encryption key) or a
	// deadline passed. The grant is untouched; the call can be tried again
	// in a minute.
	ErrUnavailable = errors.New("Sentry or lookout's database is having trouble")
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

// Refresher exchanges a refresh token for a new token set (internal/oauth's
// Sentry.Refresh). Sentry rotates refresh tokens, so it must send the token
// once and never retry; the vault calls it at most once per token. It must
// return an error wrapping ErrStale exactly when Sentry refused the refresh
// token (invalid_grant, 400/401 from the token endpoint); any other error is
// taken as transient.
type Refresher func(ctx context.Context, refreshToken secret.Value) (Token, error)

// Store is what the vault needs of the store: grants and the audit log.
type Store interface {
	store.Grants
	store.Audit
}

// Defaults of Options.
const (
	DefaultRefreshSkew    = time.Minute
	DefaultLeaseTTL       = 6 * time.Second
	DefaultRefreshTimeout = 2 * time.Minute
	DefaultStoreTimeout   = 5 * time.Second
	DefaultPollInterval   = 50 * time.Millisecond
)

// Options tune a Vault; zero values are safe defaults.
type Options struct {
	// Refresher is bound once here (internal/oauth's Sentry.Refresh); a
	// vault without one cannot refresh and reports ErrUnavailable when a
	// grant needs it.
	Refresher Refresher
	// Sentry are the base options of every client Client builds (URL,
	// allowed region domains, HTTP client); Token and Scopes are the
	// vault's.
	Sentry sentry.Options
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RefreshSkew: tokens expiring within it are refreshed first
	// (default 1 minute).
	RefreshSkew time.Duration
	// LeaseTTL is how long a refresher's lease lasts without a heartbeat
	// (default 6s): a waiter notices a dead refresher within it. A live one
	// extends it every LeaseTTL/3 for as long as it works.
	LeaseTTL time.Duration
	// RefreshTimeout bounds one refresh, Sentry's answer and storing it
	// included (default 2 minutes). It is independent of the caller's
	// context: Sentry may be slow, and a caller giving up must not make the
	// refresh give up after Sentry has rotated the token.
	RefreshTimeout time.Duration
	// StoreTimeout bounds each store call (default 5s), so an unreachable
	// database fails calls instead of hanging them.
	StoreTimeout time.Duration
	// PollInterval is how often a waiter looks again at a grant another
	// process is refreshing (default 50ms).
	PollInterval time.Duration
	// Logger receives operational messages (never token material).
	Logger *slog.Logger
	// OnStale, when set, is told each time a grant becomes stale (Sentry
	// refused its refresh token, or MarkStale): once per transition, by the
	// one process whose write made it stale, after the audit event. It runs
	// on the caller's goroutine and must return quickly (record the work,
	// do it elsewhere): the Slack bot queues a private message telling the
	// owner. It is not called when the grant was already stale.
	OnStale func(ctx context.Context, principal string)
	// OnRefresh, when set, is told the outcome of each refresh sent to
	// Sentry's token endpoint, on demand or in the background: "refreshed",
	// "stale" (Sentry refused the refresh token) or "failed" (transient;
	// the grant is untouched). It must return at once (internal/metrics).
	OnRefresh func(outcome string)
}

// Vault is safe for concurrent use. Close it to stop its background work.
type Vault struct {
	store Store
	keys  *Keyring
	opts  Options
	owner string // lease owner id: unique per Vault, i.e. per process

	// run bounds every goroutine the vault starts; Close cancels it and
	// waits for them.
	run    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed bool // guarded by mu

	// Last-use writes in flight (touch). Close lets them finish, within
	// its ctx, instead of cancelling them with run: each is one small
	// write recording a use that already happened.
	touches    sync.WaitGroup
	touchCtx   context.Context
	touchAbort context.CancelFunc

	opened   atomic.Int64 // grants decrypted (Stats)
	npending atomic.Int32 // len(pending), read without mu on every call
	broken   sync.Map     // principal -> version of its row that failed to open
	memo     sync.Map     // principal -> *openedRow: the last grant opened (openRow)
	nmemo    atomic.Int32 // entries in memo, bounded by maxMemo

	mu      sync.Mutex
	flights map[string]*flight   // refreshes in progress in this process
	pending map[string]*pending  // refreshed pairs not yet stored
	kick    chan struct{}        // wakes the pending writer
	touched map[string]time.Time // when this process last recorded each grant's use
}

// New returns a vault over s sealing with keys.
func New(s Store, keys *Keyring, opts Options) *Vault {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefreshSkew == 0 {
		opts.RefreshSkew = DefaultRefreshSkew
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.RefreshTimeout <= 0 {
		opts.RefreshTimeout = DefaultRefreshTimeout
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = DefaultStoreTimeout
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	run, stop := context.WithCancel(context.Background())
	touchCtx, touchAbort := context.WithCancel(context.Background())
	return &Vault{
		store: s, keys: keys, opts: opts, owner: randomID(), run: run, stop: stop,
		touchCtx: touchCtx, touchAbort: touchAbort,
		flights: map[string]*flight{}, pending: map[string]*pending{}, kick: make(chan struct{}, 1),
		touched: map[string]time.Time{},
	}
}

// Close stops the vault's background work: last-use writes in flight
// finish (or are abandoned when ctx ends), refreshes in flight are
// cancelled, and refreshed pairs that could not be stored yet get one last
// try within ctx. A pair that still cannot be stored is logged loudly (the
// principal, never the token): that user will have to reconnect.
func (v *Vault) Close(ctx context.Context) error {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil
	}
	v.closed = true
	v.mu.Unlock()
	v.waitTouches(ctx)
	v.stop()
	v.wg.Wait()
	var lost []string
	for principal, p := range v.pendingPairs() {
		if err := v.storePending(ctx, principal, p); err != nil {
			lost = append(lost, principal)
			v.opts.Logger.Error("vault: a refreshed Sentry grant could not be stored before shutdown; Sentry has rotated its refresh token, so this user must reconnect",
				"principal", principal, "err", err)
		}
	}
	if len(lost) > 0 {
		return fmt.Errorf("vault: %d refreshed grants could not be stored before shutdown", len(lost))
	}
	return nil
}

// Put stores a newly consented grant for principal, replacing any previous
// one (a reconnect supersedes a stale grant, and any refreshed pair of the
// old grant still waiting to be stored).
func (v *Vault) Put(ctx context.Context, g Grant) (Status, error) {
	now := v.opts.Now().UTC()
	g.connectedAt, g.refreshedAt, g.stale = now, time.Time{}, false
	row, err := v.sealRow(g)
	if err != nil {
		return Status{}, err
	}
	sctx, cancel := v.storeCtx(ctx)
	defer cancel()
	stored, err := v.store.PutGrant(sctx, row)
	if err != nil {
		return Status{}, unavailable("store grant", err)
	}
	v.dropPending(g.Principal)
	g.version = stored.Version
	v.audit(ctx, g.Principal, ActionConnected, fmt.Sprintf("sentry user %s, scopes %q", g.User.ID, g.Scopes))
	return g.status(), nil
}

// Status returns what may be known of principal's grant: ErrNoGrant if
// there is none, ErrUnavailable when it cannot be read now (database down,
// key missing), ErrDecrypt when it can never be read (the user must connect
// again). A stale grant is returned with Stale set.
func (v *Vault) Status(ctx context.Context, principal string) (Status, error) {
	g, err := v.current(ctx, principal)
	if err != nil {
		return Status{}, err
	}
	return g.status(), nil
}

// Delete revokes principal's grant in lookout; reason goes to the audit log.
func (v *Vault) Delete(ctx context.Context, principal, reason string) error {
	sctx, cancel := v.storeCtx(ctx)
	defer cancel()
	err := v.store.DeleteGrant(sctx, principal)
	if errors.Is(err, store.ErrNotFound) {
		v.dropPending(principal)
		return ErrNoGrant
	}
	if err != nil {
		return unavailable("delete grant", err)
	}
	v.dropPending(principal)
	v.forget(principal)
	v.audit(ctx, principal, ActionRevoked, reason)
	return nil
}

// MarkStale records that Sentry no longer accepts principal's grant: call
// it only when Sentry said so (a fresh token got a 401), never for a
// failure of lookout's own or a Sentry outage.
func (v *Vault) MarkStale(ctx context.Context, principal, reason string) error {
	for {
		g, err := v.load(ctx, principal)
		if err != nil {
			return err
		}
		if g.stale {
			return nil
		}
		g.stale = true
		if _, err := v.swap(ctx, g); errors.Is(err, store.ErrConflict) {
			continue // changed under us; look again
		} else if err != nil {
			return err
		}
		v.dropPending(principal)
		v.audit(ctx, principal, ActionStale, reason)
		v.onStale(ctx, principal)
		return nil
	}
}

// onStale tells Options.OnStale that principal's grant just became stale.
func (v *Vault) onStale(ctx context.Context, principal string) {
	if v.opts.OnStale != nil {
		v.opts.OnStale(context.WithoutCancel(ctx), principal)
	}
}

// onRefresh tells Options.OnRefresh how a refresh Sentry was sent ended.
func (v *Vault) onRefresh(err error) {
	if v.opts.OnRefresh == nil {
		return
	}
	switch {
	case err == nil:
		v.opts.OnRefresh("refreshed")
	case errors.Is(err, ErrStale):
		v.opts.OnRefresh("stale")
	default:
		v.opts.OnRefresh("failed")
	}
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
	err := v.scan(ctx, func(row store.Grant) error {
		rep.Scanned++
		if row.KeyID == v.keys.PrimaryID() {
			rep.Current++
			return nil
		}
		switch err := v.rekey(ctx, row); {
		case err == nil:
			rep.Rotated++
		case errors.Is(err, ErrDecrypt):
			rep.Failed++
		default:
			return err
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	v.audit(ctx, "", ActionRotated, fmt.Sprintf("primary key %q: scanned %d, rotated %d, already current %d, failed %d",
		v.keys.PrimaryID(), rep.Scanned, rep.Rotated, rep.Current, rep.Failed))
	return rep, nil
}

// UnknownKeys counts the grants sealed under each key id the keyring does
// not hold. Those grants cannot be read until the key is configured again;
// `serve` warns about them at start-up.
func (v *Vault) UnknownKeys(ctx context.Context) (map[string]int, error) {
	unknown := map[string]int{}
	err := v.scan(ctx, func(row store.Grant) error {
		if !v.keys.Has(row.KeyID) {
			unknown[row.KeyID]++
		}
		return nil
	})
	return unknown, err
}

// scan calls fn for every stored grant, in pages.
func (v *Vault) scan(ctx context.Context, fn func(store.Grant) error) error {
	after := ""
	for {
		sctx, cancel := v.storeCtx(ctx)
		rows, err := v.store.ListGrants(sctx, after, 100)
		cancel()
		if err != nil {
			return unavailable("list grants", err)
		}
		if len(rows) == 0 {
			return nil
		}
		for _, row := range rows {
			after = row.Principal
			if err := fn(row); err != nil {
				return err
			}
		}
	}
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
		sctx, cancel := v.storeCtx(ctx)
		row, err = v.store.GetGrant(sctx, row.Principal)
		cancel()
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return unavailable("load grant", err)
		}
		if row.KeyID == v.keys.PrimaryID() {
			return nil
		}
	}
}

// current is principal's grant as this process should use it: a refreshed
// pair still waiting to be stored wins over the store's older row.
func (v *Vault) current(ctx context.Context, principal string) (Grant, error) {
	if p := v.pendingOf(principal); p != nil {
		return p.grant, nil
	}
	return v.load(ctx, principal)
}

// pendingOf is principal's refreshed pair waiting to be stored, if any;
// without one anywhere (the usual case) it takes no lock.
func (v *Vault) pendingOf(principal string) *pending {
	if v.npending.Load() == 0 {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.pending[principal]
}

// load reads and opens principal's stored grant.
func (v *Vault) load(ctx context.Context, principal string) (Grant, error) {
	sctx, cancel := v.storeCtx(ctx)
	defer cancel()
	row, err := v.store.GetGrant(sctx, principal)
	if errors.Is(err, store.ErrNotFound) {
		return Grant{}, ErrNoGrant
	}
	if err != nil {
		return Grant{}, unavailable("load grant", err)
	}
	return v.openRow(ctx, row)
}

// swap writes g over the version it was read at.
func (v *Vault) swap(ctx context.Context, g Grant) (Grant, error) {
	row, err := v.sealRow(g)
	if err != nil {
		return Grant{}, err
	}
	row.Version = g.version
	sctx, cancel := v.storeCtx(ctx)
	defer cancel()
	stored, err := v.store.SwapGrant(sctx, row)
	switch {
	case errors.Is(err, store.ErrConflict):
		return Grant{}, err
	case errors.Is(err, store.ErrNotFound):
		return Grant{}, ErrNoGrant
	case err != nil:
		return Grant{}, unavailable("update grant", err)
	}
	g.version = stored.Version
	return g, nil
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
	// The metadata copied out is what lets the refresher, lookout admin and
	// the connections page find grants without decrypting every one.
	return store.Grant{Principal: g.Principal, KeyID: keyID, Ciphertext: ciphertext, UpdatedAt: v.opts.Now().UTC(),
		SentryUserID: g.User.ID, ExpiresAt: g.Token.expiry, Stale: g.stale, Described: true}, nil
}

func (v *Vault) openRow(ctx context.Context, row store.Grant) (Grant, error) {
	if m, ok := v.memo.Load(row.Principal); ok {
		if m := m.(*openedRow); m.keyID == row.KeyID && bytes.Equal(m.ciphertext, row.Ciphertext) {
			return m.sealed.grant(row.Principal, row.Version), nil
		}
	}
	plaintext, err := v.open(row)
	var missing *KeyMissingError
	if errors.As(err, &missing) {
		// Not the grant's fault: leave it, and say which key to put back.
		v.opts.Logger.Error("vault: a grant is sealed under a key lookout does not have; add the key back to LOOKOUT_ENCRYPTION_KEYS",
			"principal", row.Principal, "key_id", missing.KeyID)
		return Grant{}, err
	}
	if err != nil {
		v.audit(ctx, row.Principal, ActionDecryptFailed, err.Error())
		return Grant{}, fmt.Errorf("vault: grant of %s: %w", row.Principal, err)
	}
	var s sealedGrant
	if err := json.Unmarshal(plaintext, &s); err != nil {
		return Grant{}, fmt.Errorf("vault: grant of %s: %w: undecodable payload", row.Principal, ErrDecrypt)
	}
	v.remember(row, s)
	return s.grant(row.Principal, row.Version), nil
}

// openedRow is what openRow last got out of a principal's sealed bytes.
// Opening the same bytes under the same key id (and principal, the
// additional data) always gives the same grant, or fails the same way, so
// a row whose sealed bytes are these is not decrypted again: a user's
// calls back to back open their grant once, not once a call. A refresh
// or a re-key writes new bytes, which miss. Only grants that opened are
// kept, and only in this process's memory, where each call's opened grant
// lives anyway.
type openedRow struct {
	keyID      string
	ciphertext []byte
	sealed     sealedGrant
}

// maxMemo bounds the memory of opened grants.
const maxMemo = 4096

func (v *Vault) remember(row store.Grant, s sealedGrant) {
	if v.nmemo.Load() >= maxMemo {
		v.memo.Clear()
		v.nmemo.Store(0)
	}
	s.Scopes = slices.Clip(s.Scopes)
	if _, loaded := v.memo.Swap(row.Principal, &openedRow{keyID: row.KeyID, ciphertext: bytes.Clone(row.Ciphertext), sealed: s}); !loaded {
		v.nmemo.Add(1)
	}
}

// forget drops the grant this process last opened for principal: a
// deleted grant's tokens need not stay in memory.
func (v *Vault) forget(principal string) {
	if _, loaded := v.memo.LoadAndDelete(principal); loaded {
		v.nmemo.Add(-1)
	}
}

// open decrypts a stored grant's payload: the one place the vault pays
// for AES-GCM on a read, counted for Stats.
func (v *Vault) open(row store.Grant) ([]byte, error) {
	v.opened.Add(1)
	return v.keys.open(row.Principal, row.KeyID, row.Ciphertext)
}

// Stats are counters of a vault's work since it started.
type Stats struct {
	// Opened counts grants decrypted: a tool call on the remote server
	// opens at most one (none when it needs no Sentry request).
	Opened int64
}

// Stats returns the vault's counters.
func (v *Vault) Stats() Stats { return Stats{Opened: v.opened.Load()} }

// audit appends an event; a failure to audit is logged, not fatal, because
// the state change it describes has already happened.
func (v *Vault) audit(ctx context.Context, principal, action, detail string) {
	sctx, cancel := v.storeCtx(context.WithoutCancel(ctx))
	defer cancel()
	err := v.store.AppendAudit(sctx, store.AuditEvent{
		Time: v.opts.Now().UTC(), Principal: principal, Action: action, Detail: detail,
	})
	if err != nil {
		v.opts.Logger.Error("vault: audit write failed", "action", action, "principal", principal, "err", err)
	}
}

// storeCtx bounds one store call.
func (v *Vault) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, v.opts.StoreTimeout)
}

// unavailable wraps a store failure as ErrUnavailable, keeping the cause
// for the log.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: vault: %s: %w", ErrUnavailable, op, err)
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}
