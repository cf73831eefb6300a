package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// memStates is a minimal store.States following the interface's contract,
// so the manager's logic is tested without a database. The same tests run
// on SQLite in state_sqlite_test.go.
type memStates struct {
	mu       sync.Mutex
	states   map[string]store.State
	used     map[string]bool
	consumes atomic.Int64
}

func newMemStates() *memStates {
	return &memStates{states: map[string]store.State{}, used: map[string]bool{}}
}

func (m *memStates) CreateState(_ context.Context, s store.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.states[s.ID]; ok {
		return store.ErrAlreadyExists
	}
	m.states[s.ID] = s
	return nil
}

func (m *memStates) ConsumeState(_ context.Context, id string, now time.Time) (store.State, error) {
	m.consumes.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.states[id]
	if !ok || !now.Before(s.ExpiresAt) {
		return store.State{}, store.ErrNotFound
	}
	if m.used[id] {
		return store.State{}, store.ErrAlreadyUsed
	}
	m.used[id] = true
	return s, nil
}

func (m *memStates) PendingOrCreateState(_ context.Context, st store.State, reuseUntil time.Time) (store.State, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best store.State
	found := false
	for id, s := range m.states {
		if s.Kind == st.Kind && s.Principal == st.Principal && !m.used[id] && reuseUntil.Before(s.ExpiresAt) &&
			(!found || s.CreatedAt.After(best.CreatedAt)) {
			best, found = s, true
		}
	}
	if found {
		return best, false, nil
	}
	if _, ok := m.states[st.ID]; ok {
		return store.State{}, false, store.ErrAlreadyExists
	}
	m.states[st.ID] = st
	return st, true, nil
}

// stateBackends are the store.States the manager tests run against.
var stateBackends = map[string]func(t *testing.T) store.States{
	"memory": func(*testing.T) store.States { return newMemStates() },
}

func newManager(t *testing.T, states store.States) (*StateManager, *clock) {
	t.Helper()
	c := newClock()
	return &StateManager{Signer: NewSigner(testSecret, "state", c.Now), Store: states, Now: c.Now}, c
}

func forEachBackend(t *testing.T, f func(t *testing.T, states store.States)) {
	for name, open := range stateBackends {
		t.Run(name, func(t *testing.T) { f(t, open(t)) })
	}
}

// payloadOf reads a state token's payload without verifying it.
func payloadOf(t *testing.T, tok string) (p statePayload, iat, exp int64) {
	t.Helper()
	_, body, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(env.Data, &p); err != nil {
		t.Fatal(err)
	}
	return p, env.IssuedAt, env.ExpiresAt
}

func TestStateBeginFinish(t *testing.T) {
	forEachBackend(t, func(t *testing.T, states store.States) {
		ctx := context.Background()
		m, c := newManager(t, states)
		tok, err := m.Begin(ctx, "slack-connect", "slack:T1:U1", []byte(`{"verifier":"v"}`), 0)
		if err != nil {
			t.Fatal(err)
		}
		p, _, exp := payloadOf(t, tok)
		if len(p.ID) < 22 || p.Kind != "slack-connect" {
			t.Errorf("payload %+v", p)
		}
		if want := c.Now().Add(DefaultStateTTL).Unix(); exp != want {
			t.Errorf("default ttl: exp %d, want %d", exp, want)
		}
		if strings.Contains(tok, "slack:T1:U1") || strings.Contains(tok, "verifier") {
			t.Errorf("token carries server-side data: %s", tok)
		}
		c.Advance(5 * time.Minute)
		st, err := m.Finish(ctx, tok, "slack-connect")
		if err != nil {
			t.Fatal(err)
		}
		if st.ID != p.ID || st.Kind != "slack-connect" || st.Principal != "slack:T1:U1" || string(st.Data) != `{"verifier":"v"}` {
			t.Errorf("state %+v", st)
		}
		if !st.ExpiresAt.Equal(newClock().Now().Add(DefaultStateTTL)) {
			t.Errorf("ExpiresAt %v", st.ExpiresAt)
		}

		_, err = m.Finish(ctx, tok, "slack-connect")
		if !errors.Is(err, ErrReplayed) {
			t.Errorf("replay: err = %v, want ErrReplayed", err)
		}
	})
}

func TestStateIDsAreUnique(t *testing.T) {
	m, _ := newManager(t, newMemStates())
	seen := map[string]bool{}
	for range 200 {
		tok, err := m.Begin(context.Background(), "k", "p", nil, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		p, _, _ := payloadOf(t, tok)
		if seen[p.ID] {
			t.Fatalf("duplicate id %s", p.ID)
		}
		seen[p.ID] = true
	}
}

func TestStateFinishRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, states store.States) {
		ctx := context.Background()
		m, c := newManager(t, states)
		begin := func(kind string, ttl time.Duration) string {
			tok, err := m.Begin(ctx, kind, "slack:T1:U1", []byte("data"), ttl)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}

		// Another kind is refused and does not burn the state.
		tok := begin("slack-connect", 0)
		if _, err := m.Finish(ctx, tok, "mcp-authorize"); !errors.Is(err, ErrTampered) {
			t.Errorf("wrong kind: err = %v, want ErrTampered", err)
		}
		if _, err := m.Finish(ctx, tok, "slack-connect"); err != nil {
			t.Errorf("right kind after a wrong-kind attempt: %v", err)
		}

		// Expired.
		tok = begin("slack-connect", time.Minute)
		c.Advance(time.Minute)
		if _, err := m.Finish(ctx, tok, "slack-connect"); !errors.Is(err, ErrExpired) {
			t.Errorf("expired: err = %v, want ErrExpired", err)
		}

		// Signed by us but never stored (e.g. another deployment's DB).
		ghost, err := m.Signer.Sign(statePayload{ID: "never-stored", Kind: "slack-connect"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Finish(ctx, ghost, "slack-connect"); !errors.Is(err, ErrUnknownState) {
			t.Errorf("unknown: err = %v, want ErrUnknownState", err)
		}

		// Forged: a stored id under a signature that is not ours.
		tok = begin("slack-connect", 0)
		p, _, _ := payloadOf(t, tok)
		forged, _ := NewSigner([]byte(strings.Repeat("k", 32)), "state", c.Now).Sign(p, time.Minute)
		if _, err := m.Finish(ctx, forged, "slack-connect"); !errors.Is(err, ErrTampered) {
			t.Errorf("forged: err = %v, want ErrTampered", err)
		}
		// Signed for another purpose (e.g. the approval cookie).
		cookie, _ := NewSigner(testSecret, "approval", c.Now).Sign(p, time.Minute)
		if _, err := m.Finish(ctx, cookie, "slack-connect"); !errors.Is(err, ErrTampered) {
			t.Errorf("cross-purpose: err = %v, want ErrTampered", err)
		}
		// Empty id.
		empty, _ := m.Signer.Sign(statePayload{Kind: "slack-connect"}, time.Minute)
		if _, err := m.Finish(ctx, empty, "slack-connect"); !errors.Is(err, ErrTampered) {
			t.Errorf("empty id: err = %v, want ErrTampered", err)
		}
		// None of those burned the real state.
		if _, err := m.Finish(ctx, tok, "slack-connect"); err != nil {
			t.Errorf("genuine token after forgeries: %v", err)
		}
	})
}

func TestStateRejectedTokensNeverReachTheStore(t *testing.T) {
	states := newMemStates()
	m, _ := newManager(t, states)
	tok, _ := m.Begin(context.Background(), "k", "p", nil, 0)
	flipped := []byte(tok)
	flipped[0] ^= 1 // always a different signature
	for _, bad := range []string{"", "x.y", tok + "x", string(flipped)} {
		if _, err := m.Finish(context.Background(), bad, "k"); !errors.Is(err, ErrTampered) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	if _, err := m.Finish(context.Background(), tok, "other"); !errors.Is(err, ErrTampered) {
		t.Errorf("wrong kind: err = %v", err)
	}
	if n := states.consumes.Load(); n != 0 {
		t.Errorf("%d ConsumeState calls for rejected tokens", n)
	}
}

func TestStateFinishConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, states store.States) {
		ctx := context.Background()
		m, _ := newManager(t, states)
		const n, rounds = 100, 5 // rounds: more chances to hit a racy store
		for round := range rounds {
			tok, err := m.Begin(ctx, "mcp-authorize", "", []byte("x"), 0)
			if err != nil {
				t.Fatal(err)
			}
			var wins, replays atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range n {
				wg.Go(func() {
					<-start
					_, err := m.Finish(ctx, tok, "mcp-authorize")
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, ErrReplayed):
						replays.Add(1)
					default:
						t.Errorf("unexpected error: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			if wins.Load() != 1 || replays.Load() != n-1 {
				t.Errorf("round %d: %d of %d concurrent Finish calls succeeded and %d replayed, want 1 and %d",
					round, wins.Load(), n, replays.Load(), n-1)
			}
		}
	})
}

func TestStateBeginOrReuse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, states store.States) {
		ctx := context.Background()
		m, c := newManager(t, states)
		const who = "slack:T1:U1"

		first, err := m.BeginOrReuse(ctx, "connect-link", who, []byte("d"), 0)
		if err != nil {
			t.Fatal(err)
		}
		p1, _, exp1 := payloadOf(t, first)
		if exp1 != c.Now().Add(DefaultStateTTL).Unix() || p1.Principal != who {
			t.Errorf("first token %+v exp %d", p1, exp1)
		}

		c.Advance(3 * time.Minute)
		again, err := m.BeginOrReuse(ctx, "connect-link", who, []byte("other data"), 0)
		if err != nil {
			t.Fatal(err)
		}
		p2, iat2, exp2 := payloadOf(t, again)
		if p2 != p1 {
			t.Errorf("reused %+v, want the same state %+v", p2, p1)
		}
		if exp2 != exp1 || iat2 != c.Now().Unix() {
			t.Errorf("reused iat %d exp %d, want iat now (%d) and the state's exp %d", iat2, exp2, c.Now().Unix(), exp1)
		}
		// Other principals and kinds get their own.
		other, err := m.BeginOrReuse(ctx, "connect-link", "slack:T1:U2", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p, _, _ := payloadOf(t, other); p.ID == p1.ID {
			t.Error("another principal got the same state")
		}
		otherKind, err := m.BeginOrReuse(ctx, "connect", who, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p, _, _ := payloadOf(t, otherKind); p.ID == p1.ID {
			t.Error("another kind got the same state")
		}

		// Either token finishes the flow, once, with the first data.
		st, err := m.Finish(ctx, again, "connect-link")
		if err != nil || st.ID != p1.ID || string(st.Data) != "d" {
			t.Fatalf("Finish reused: %+v %v", st, err)
		}
		if _, err := m.Finish(ctx, first, "connect-link"); !errors.Is(err, ErrReplayed) {
			t.Errorf("original after reused: err = %v, want ErrReplayed", err)
		}
		// Consumed: a new one.
		next, err := m.BeginOrReuse(ctx, "connect-link", who, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p, _, _ := payloadOf(t, next); p.ID == p1.ID {
			t.Error("a consumed state was handed out again")
		}
	})
}

func TestStateBeginOrReuseNearExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, states store.States) {
		ctx := context.Background()
		m, c := newManager(t, states)
		first, err := m.BeginOrReuse(ctx, "connect-link", "u", nil, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(90 * time.Second)
		again, err := m.BeginOrReuse(ctx, "connect-link", "u", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p1, _, _ := payloadOf(t, first); p1.ID == func() string { p, _, _ := payloadOf(t, again); return p.ID }() {
			t.Error("a state with 30 s left was reused; want a fresh one")
		}
	})
}

func TestStateBeginOrReuseNeedsPrincipal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, states store.States) {
		ctx := context.Background()
		m, _ := newManager(t, states)
		// Someone's MCP flow, begun before the principal is known.
		if _, err := m.Begin(ctx, "mcp-authorize", "", []byte("their verifier"), 0); err != nil {
			t.Fatal(err)
		}
		if tok, err := m.BeginOrReuse(ctx, "mcp-authorize", "", nil, 0); tok != "" || err == nil {
			t.Errorf("BeginOrReuse with no principal: %q err=%v", tok, err)
		}
	})
}

func TestStateErrorsHoldNoSecrets(t *testing.T) {
	ctx := context.Background()
	m, c := newManager(t, newMemStates())
	tok, _ := m.Begin(ctx, "k", "p", []byte("PKCE-VERIFIER-in-data"), time.Minute)
	var errs []error
	for _, f := range []func() error{
		func() error { _, err := m.Finish(ctx, tok+"x", "k"); return err },
		func() error { _, err := m.Finish(ctx, tok, "other"); return err },
		func() error { _, err := m.Finish(ctx, tok, "k"); return err },
		func() error { _, err := m.Finish(ctx, tok, "k"); return err },
		func() error { c.Advance(time.Hour); _, err := m.Finish(ctx, tok, "k"); return err },
	} {
		if err := f(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 4 {
		t.Fatalf("%d errors, want 4: %v", len(errs), errs)
	}
	for _, err := range errs {
		assertNoSignerSecrets(t, m.Signer, err)
		if strings.Contains(err.Error(), "PKCE-VERIFIER") || strings.Contains(err.Error(), tok) {
			t.Errorf("error %q shows state data or the token", err)
		}
	}
}

// Peek names the flow's principal without consuming the state; a forged,
// expired or other-kind token is refused.
func TestStatePeek(t *testing.T) {
	ctx := context.Background()
	m, c := newManager(t, newMemStates())
	tok, err := m.Begin(ctx, "slack-link", "slack:T1:U1", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if p, err := m.Peek(tok, "slack-link"); err != nil || p != "slack:T1:U1" {
			t.Fatalf("Peek = %q, %v", p, err)
		}
	}
	if _, err := m.Peek(tok, "mcp-authorize"); !errors.Is(err, ErrTampered) {
		t.Errorf("other kind: %v", err)
	}
	if _, err := m.Peek(tok[:len(tok)-2]+"xx", "slack-link"); !errors.Is(err, ErrTampered) {
		t.Errorf("tampered: %v", err)
	}
	if _, err := m.Finish(ctx, tok, "slack-link"); err != nil {
		t.Fatalf("Finish after Peek: %v", err)
	}
	c.Advance(DefaultStateTTL + time.Minute)
	if _, err := m.Peek(tok, "slack-link"); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
}
