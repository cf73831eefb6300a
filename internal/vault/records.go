package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// Record is what an operator, or the person a grant belongs to, may see of
// one stored grant: its Status and where it is kept. Never a token.
type Record struct {
	Status
	KeyID      string    `json:"key_id"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// Problem says why the grant could not be opened ("" when it could);
	// Status then holds the principal and what the row describes.
	Problem string `json:"problem,omitempty"`
}

// States of a Record.
const (
	StateActive        = "active"
	StateStale         = "stale"
	StateKeyMissing    = "key missing"
	StateUndecryptable = "undecryptable"
)

// State is one of StateActive, StateStale, StateKeyMissing and
// StateUndecryptable.
func (r Record) State() string {
	switch {
	case r.Problem == StateKeyMissing:
		return StateKeyMissing
	case r.Problem != "":
		return StateUndecryptable
	case r.Stale:
		return StateStale
	}
	return StateActive
}

// Records returns up to limit grants whose principal sorts after `after`,
// in principal order: a resumable listing for lookout admin. A grant that
// cannot be opened is listed with its Problem, not skipped, and reading it
// here writes no audit event: listing is not an attempt to use it.
func (v *Vault) Records(ctx context.Context, after string, limit int) ([]Record, error) {
	sctx, cancel := v.storeCtx(ctx)
	defer cancel()
	rows, err := v.store.ListGrants(sctx, after, limit)
	if err != nil {
		return nil, unavailable("list grants", err)
	}
	out := make([]Record, 0, len(rows))
	for _, row := range rows {
		out = append(out, v.record(row))
	}
	return out, nil
}

// RecordsOf returns the grants that belong to the Sentry user id: what the
// connections page shows a user signed in as that Sentry user. The stored
// user id only finds candidates; each grant is opened and kept only if the
// user id sealed inside it matches, so a row whose plain metadata is wrong
// (or was written wrong) shows nobody else's grant.
func (v *Vault) RecordsOf(ctx context.Context, sentryUserID string) ([]Record, error) {
	if sentryUserID == "" {
		return nil, nil
	}
	sctx, cancel := v.storeCtx(ctx)
	defer cancel()
	rows, err := v.store.ListGrantsBySentryUser(sctx, sentryUserID)
	if err != nil {
		return nil, unavailable("list grants of a Sentry user", err)
	}
	var out []Record
	for _, row := range rows {
		r := v.record(row)
		if r.Problem != "" || r.User.ID != sentryUserID {
			v.opts.Logger.Warn("vault: a grant listed for a Sentry user could not be confirmed as theirs; not shown",
				"principal", row.Principal, "problem", r.Problem)
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Owner reports whether principal's grant belongs to the Sentry user id,
// judged by the user id sealed in the grant: ErrNoGrant if there is none.
func (v *Vault) Owner(ctx context.Context, principal, sentryUserID string) (bool, error) {
	sctx, cancel := v.storeCtx(ctx)
	defer cancel()
	row, err := v.store.GetGrant(sctx, principal)
	if errors.Is(err, store.ErrNotFound) {
		return false, ErrNoGrant
	}
	if err != nil {
		return false, unavailable("load grant", err)
	}
	r := v.record(row)
	if r.Problem != "" {
		return false, fmt.Errorf("%w: vault: grant of %s cannot be opened: %s", ErrUnavailable, principal, r.Problem)
	}
	return sentryUserID != "" && r.User.ID == sentryUserID, nil
}

// Keys lists the configured key ids, the primary (the one that seals)
// first.
func (v *Vault) Keys() []string { return v.keys.IDs() }

// record opens row for display only: no audit event, no log line.
func (v *Vault) record(row store.Grant) Record {
	r := Record{KeyID: row.KeyID, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, LastUsedAt: row.LastUsedAt}
	g, err := v.peekRow(row)
	var missing *KeyMissingError
	switch {
	case errors.As(err, &missing):
		r.Problem = StateKeyMissing
	case err != nil:
		r.Problem = StateUndecryptable
	}
	if err != nil {
		// What the row itself says, for the operator to recognise it.
		r.Status = Status{Principal: row.Principal, User: SentryUser{ID: row.SentryUserID}, Expiry: row.ExpiresAt, Stale: row.Stale}
		return r
	}
	r.Status = g.status()
	return r
}

// peekRow opens row without an audit event or a log line: for listings
// and the background refresher, which would otherwise repeat them for the
// same broken grant on every look. Errors are a *KeyMissingError or wrap
// ErrDecrypt.
func (v *Vault) peekRow(row store.Grant) (Grant, error) {
	plaintext, err := v.keys.open(row.Principal, row.KeyID, row.Ciphertext)
	if err != nil {
		return Grant{}, err
	}
	var s sealedGrant
	if err := json.Unmarshal(plaintext, &s); err != nil {
		return Grant{}, fmt.Errorf("%w: undecodable payload", ErrDecrypt)
	}
	return s.grant(row.Principal, row.Version), nil
}
