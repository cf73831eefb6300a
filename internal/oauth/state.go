package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

var (
	// ErrReplayed: the state was used before.
	ErrReplayed = errors.New("oauth: state was already used")
	// ErrUnknownState: the signature is good but the store has no such
	// state (expired and swept, or never created on this deployment).
	ErrUnknownState = errors.New("oauth: unknown state")
)

// DefaultStateTTL is how long a flow may take from Begin to Finish.
const DefaultStateTTL = 10 * time.Minute

// minReissueTTL: a pending state closer than this to expiry is not worth
// handing out again; the caller should Begin a new one.
const minReissueTTL = time.Minute

// StateManager runs single-use flow state: a record in the store holding
// what the callback needs, and a signed token naming it that travels
// through the browser. The signature keeps guessed or altered ids from
// reaching the store; the store makes each state usable once.
type StateManager struct {
	Signer *Signer // for purpose "state"
	Store  store.States
	Now    func() time.Time // nil: time.Now
}

// statePayload is all the token carries; everything else stays server-side.
type statePayload struct {
	ID        string `json:"id"`
	Kind      string `json:"k"`
	Principal string `json:"p,omitempty"` // not secret; lets Peek name who the flow is for
}

// Begin stores a new state of kind for principal (empty when not yet
// known) holding data, and returns the signed token to put in the URL.
// ttl <= 0 means DefaultStateTTL.
func (m *StateManager) Begin(ctx context.Context, kind, principal string, data []byte, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = DefaultStateTTL
	}
	now := m.now()
	st := store.State{
		ID:        rand.Text(), // 128 bits
		Kind:      kind,
		Principal: principal,
		Data:      data,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
	}
	if err := m.Store.CreateState(ctx, st); err != nil {
		return "", fmt.Errorf("oauth: create state: %w", err)
	}
	// The token expires with the record, so both sides agree.
	return m.Signer.sign(statePayload{ID: st.ID, Kind: kind, Principal: principal}, now, st.ExpiresAt)
}

// Finish checks signed and consumes its state, which must be of kind.
// Errors wrap ErrTampered, ErrExpired, ErrReplayed or ErrUnknownState. A
// token of another kind is refused before the store is touched, so it does
// not burn the state. Finish does not know who is at the browser: callers
// compare the returned Principal with the session when it matters.
func (m *StateManager) Finish(ctx context.Context, signed, kind string) (store.State, error) {
	var p statePayload
	if err := m.Signer.Verify(signed, &p); err != nil {
		return store.State{}, err
	}
	if p.ID == "" || p.Kind != kind {
		return store.State{}, fmt.Errorf("%w: state is for another flow", ErrTampered)
	}
	st, err := m.Store.ConsumeState(ctx, p.ID, m.now())
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		return store.State{}, ErrReplayed
	case errors.Is(err, store.ErrNotFound):
		return store.State{}, ErrUnknownState
	case err != nil:
		return store.State{}, fmt.Errorf("oauth: consume state: %w", err)
	}
	if st.Kind != kind { // the record is authoritative
		return store.State{}, fmt.Errorf("%w: state is for another flow", ErrTampered)
	}
	return st, nil
}

// Peek checks signed's signature, expiry and kind WITHOUT consuming it,
// and returns the principal the flow was begun for: what a confirmation
// page shows before the user commits. It does not know whether the state
// was used already; Finish does.
func (m *StateManager) Peek(signed, kind string) (principal string, err error) {
	var p statePayload
	if err := m.Signer.Verify(signed, &p); err != nil {
		return "", err
	}
	if p.ID == "" || p.Kind != kind {
		return "", fmt.Errorf("%w: state is for another flow", ErrTampered)
	}
	return p.Principal, nil
}

// BeginOrReuse returns a token for principal's newest pending state of
// kind, so that a repeated request reuses a connect link instead of
// starting a new flow, or, when there is none valid for at least another
// minute, begins one as Begin does. The store decides atomically: callers
// racing for one principal, in any number of processes, get one state
// between them. A reused state keeps its data and expiry; the new token
// expires with it.
func (m *StateManager) BeginOrReuse(ctx context.Context, kind, principal string, data []byte, ttl time.Duration) (string, error) {
	if principal == "" {
		// States begun without a principal belong to whoever started
		// them; matching "" would hand one to someone else.
		return "", errors.New("oauth: reusing a state needs a principal")
	}
	if ttl <= 0 {
		ttl = DefaultStateTTL
	}
	now := m.now()
	candidate := store.State{ID: rand.Text(), Kind: kind, Principal: principal, Data: data, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	st, _, err := m.Store.PendingOrCreateState(ctx, candidate, now.Add(minReissueTTL))
	if err != nil {
		return "", fmt.Errorf("oauth: pending or new state: %w", err)
	}
	return m.Signer.sign(statePayload{ID: st.ID, Kind: st.Kind, Principal: st.Principal}, now, st.ExpiresAt)
}

func (m *StateManager) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}
