package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

func testStateConsume(t *testing.T, s store.Store) {
	_, err := s.ConsumeState(ctx(t), "unknown", t0)
	is(t, "consume unknown", err, store.ErrNotFound)

	in := store.State{ID: "state-secret-id", Kind: "slack-connect", Principal: "slack:T1:U1",
		Data: []byte(`{"verifier":"pkce-secret"}`), CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	is(t, "create", s.CreateState(ctx(t), in), nil)
	got, err := s.ConsumeState(ctx(t), in.ID, at(time.Minute))
	is(t, "consume", err, nil)
	same(t, "consumed", got, in)

	got, err = s.ConsumeState(ctx(t), in.ID, at(2*time.Minute))
	is(t, "consume again", err, store.ErrAlreadyUsed)
	same(t, "second consume", got, store.State{})
	noLeak(t, err, in.ID, "pkce-secret")
}

func testStateDuplicate(t *testing.T, s store.Store) {
	in := store.State{ID: "s", Kind: "k", Principal: "p", Data: []byte("first"), CreatedAt: t0, ExpiresAt: at(time.Hour)}
	is(t, "create", s.CreateState(ctx(t), in), nil)
	dup := in
	dup.Data = []byte("second")
	err := s.CreateState(ctx(t), dup)
	is(t, "create duplicate", err, store.ErrAlreadyExists)
	noLeak(t, err, "second")
	got, err := s.ConsumeState(ctx(t), "s", t0)
	is(t, "consume", err, nil)
	same(t, "the first state survives", got, in)
}

func testStateExpiry(t *testing.T, s store.Store) {
	in := store.State{ID: "s", Kind: "k", Principal: "p", CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
	is(t, "create", s.CreateState(ctx(t), in), nil)
	// Expired means ExpiresAt <= now.
	_, err := s.ConsumeState(ctx(t), "s", at(10*time.Minute))
	is(t, "consume at expiry", err, store.ErrNotFound)
	_, err = s.ConsumeState(ctx(t), "s", at(time.Hour))
	is(t, "consume after expiry", err, store.ErrNotFound)
	// Failed attempts did not use it up.
	got, err := s.ConsumeState(ctx(t), "s", at(10*time.Minute-time.Microsecond))
	is(t, "consume just before expiry", err, nil)
	same(t, "consumed", got, in)
	// Used and then expired: gone, not "used".
	_, err = s.ConsumeState(ctx(t), "s", at(time.Hour))
	is(t, "consume used and expired", err, store.ErrNotFound)
}

func testStateConsumeConcurrent(t *testing.T, s store.Store) {
	in := make([]store.State, records)
	for r := range in {
		in[r] = store.State{ID: fmt.Sprintf("s%d", r), Kind: "k", Principal: "p", Data: []byte{byte(r)}, CreatedAt: t0, ExpiresAt: at(time.Hour)}
		is(t, "create", s.CreateState(ctx(t), in[r]), nil)
	}
	got := make([][contenders]store.State, records)
	errs := raceEach(func(r, g int) (err error) {
		got[r][g], err = s.ConsumeState(ctx(t), in[r].ID, t0)
		return err
	})
	for r, w := range exactlyOneWins(t, errs, store.ErrAlreadyUsed) {
		if w >= 0 {
			same(t, "winner's state", got[r][w], in[r])
		}
	}
}

func testStatePendingOrCreate(t *testing.T, s store.Store) {
	mk := func(id, kind, principal string, created, expires time.Duration) store.State {
		st := store.State{ID: id, Kind: kind, Principal: principal, Data: []byte(id), CreatedAt: at(created), ExpiresAt: at(expires)}
		is(t, "create "+id, s.CreateState(ctx(t), st), nil)
		return st
	}
	candidate := func(id string, expires time.Duration) store.State {
		return store.State{ID: id, Kind: "connect", Principal: "p", Data: []byte(id), CreatedAt: t0, ExpiresAt: at(expires)}
	}
	old := mk("old", "connect", "p", -3*time.Minute, 10*time.Minute)
	mid := mk("mid", "connect", "p", -2*time.Minute, 10*time.Minute)
	newest := mk("newest", "connect", "p", -1*time.Minute, 5*time.Minute)
	mk("other-kind", "authorize", "p", 0, 20*time.Minute)
	mk("other-principal", "connect", "q", 0, 20*time.Minute)
	mk("expired", "connect", "p", 0, 0)

	got, created, err := s.PendingOrCreateState(ctx(t), candidate("c1", 10*time.Minute), at(time.Minute))
	is(t, "pending", err, nil)
	if created {
		t.Error("created a state although one is pending")
	}
	same(t, "newest pending", got, newest)

	// The newest is not valid long enough: the next newest.
	got, created, err = s.PendingOrCreateState(ctx(t), candidate("c2", 10*time.Minute), at(5*time.Minute))
	is(t, "pending after newest expired", err, nil)
	if created {
		t.Error("created a state although one is pending")
	}
	same(t, "pending after newest expired", got, mid)

	// Consumed: the next newest.
	_, err = s.ConsumeState(ctx(t), "mid", t0)
	is(t, "consume mid", err, nil)
	got, _, err = s.PendingOrCreateState(ctx(t), candidate("c3", 10*time.Minute), at(5*time.Minute))
	is(t, "pending after mid consumed", err, nil)
	same(t, "pending after mid consumed", got, old)

	// None left valid at reuseUntil: the candidate is created, and then it
	// is the pending one.
	fresh := candidate("fresh", 30*time.Minute)
	got, created, err = s.PendingOrCreateState(ctx(t), fresh, at(10*time.Minute))
	is(t, "create", err, nil)
	if !created {
		t.Error("nothing pending, yet created is false")
	}
	same(t, "created", got, fresh)
	got, created, err = s.PendingOrCreateState(ctx(t), candidate("c4", 30*time.Minute), at(10*time.Minute))
	is(t, "pending after create", err, nil)
	if created {
		t.Error("created a second state")
	}
	same(t, "pending after create", got, fresh)
	consumed, err := s.ConsumeState(ctx(t), "fresh", at(time.Minute))
	is(t, "consume the created state", err, nil)
	same(t, "consumed", consumed, fresh)

	// A candidate whose id exists is refused, not returned.
	_, _, err = s.PendingOrCreateState(ctx(t), candidate("fresh", 30*time.Minute), at(10*time.Minute))
	is(t, "create with a taken id", err, store.ErrAlreadyExists)
	noLeak(t, err, "fresh")
}

// testStatePendingOrCreateConcurrent: many callers (on PostgreSQL, on many
// connections, as replicas are) asking for the same principal's pending
// state at once create one between them, and all get it.
func testStatePendingOrCreateConcurrent(t *testing.T, s store.Store) {
	for r := range records {
		principal := fmt.Sprintf("slack:T:U%d", r)
		got := make([]store.State, contenders)
		created := make([]bool, contenders)
		errs := race(contenders, func(g int) (err error) {
			st := store.State{ID: fmt.Sprintf("r%d-g%d", r, g), Kind: "connect", Principal: principal,
				CreatedAt: t0, ExpiresAt: at(10 * time.Minute)}
			got[g], created[g], err = s.PendingOrCreateState(ctx(t), st, at(time.Minute))
			return err
		})
		creators := 0
		for g, err := range errs {
			if err != nil {
				t.Fatalf("record %d, goroutine %d: %v", r, g, err)
			}
			if created[g] {
				creators++
			}
			if got[g].ID != got[0].ID {
				t.Fatalf("record %d: goroutines got states %s and %s", r, got[0].ID, got[g].ID)
			}
		}
		if creators != 1 {
			t.Fatalf("record %d: %d goroutines created a state, want 1", r, creators)
		}
	}
}

func park(t *testing.T, s store.Store, id, principal string, created, expires time.Duration) store.ParkedRequest {
	t.Helper()
	p := store.ParkedRequest{ID: id, Principal: principal, Data: []byte("ask " + id), CreatedAt: at(created), ExpiresAt: at(expires)}
	is(t, "park "+id, s.ParkRequest(ctx(t), p), nil)
	return p
}

func ready(ps ...store.ParkedRequest) []store.ParkedRequest {
	out := make([]store.ParkedRequest, len(ps))
	for i, p := range ps {
		p.Ready = true
		out[i] = p
	}
	return out
}

func testParkedLifecycle(t *testing.T, s store.Store) {
	first := park(t, s, "r1", "p", -2*time.Minute, time.Hour)
	second := park(t, s, "r2", "p", -1*time.Minute, time.Hour)
	park(t, s, "other", "q", -3*time.Minute, time.Hour)

	dup := first
	dup.Data = []byte("again")
	is(t, "park duplicate", s.ParkRequest(ctx(t), dup), store.ErrAlreadyExists)
	// Ready in the input is ignored: a request is parked not ready.
	sneaky := store.ParkedRequest{ID: "sneaky", Principal: "z", Ready: true, CreatedAt: t0, ExpiresAt: at(time.Hour)}
	is(t, "park ready", s.ParkRequest(ctx(t), sneaky), nil)
	ps, err := s.ListParkedRequests(ctx(t), "z", t0)
	is(t, "list z", err, nil)
	sneaky.Ready = false
	same(t, "parked ready", ps, []store.ParkedRequest{sneaky})

	ps, err = s.ListParkedRequests(ctx(t), "p", t0)
	is(t, "list", err, nil)
	same(t, "listed before ready", ps, []store.ParkedRequest{first, second})

	claimed, err := s.ClaimParkedRequests(ctx(t), "w1", t0, at(time.Minute), 10)
	is(t, "claim before ready", err, nil)
	if len(claimed) != 0 {
		t.Fatalf("claimed %d requests nobody marked ready", len(claimed))
	}

	n, err := s.MarkParkedReady(ctx(t), "p", t0)
	is(t, "mark ready", err, nil)
	if n != 2 {
		t.Errorf("marked %d ready, want 2", n)
	}
	ps, err = s.ListParkedRequests(ctx(t), "p", t0)
	is(t, "list", err, nil)
	same(t, "listed after ready", ps, ready(first, second))
	ps, err = s.ListParkedRequests(ctx(t), "q", t0)
	is(t, "list other principal", err, nil)
	if len(ps) != 1 || ps[0].Ready {
		t.Errorf("other principal's request: %+v, want one, not ready", ps)
	}

	claimed, err = s.ClaimParkedRequests(ctx(t), "w1", t0, at(time.Minute), 1)
	is(t, "w1 claims", err, nil)
	same(t, "w1 claims the oldest", claimed, ready(first))
	claimed, err = s.ClaimParkedRequests(ctx(t), "w2", t0, at(time.Minute), 10)
	is(t, "w2 claims", err, nil)
	same(t, "w2 claims the rest", claimed, ready(second))
	claimed, err = s.ClaimParkedRequests(ctx(t), "w3", at(30*time.Second), at(time.Minute), 10)
	is(t, "w3 claims", err, nil)
	if len(claimed) != 0 {
		t.Errorf("w3 claimed %d leased requests", len(claimed))
	}

	// w1 completes; w2 crashes, and its lease ends at leaseUntil exactly.
	is(t, "complete r1", s.CompleteParkedRequest(ctx(t), "r1"), nil)
	is(t, "complete r1 again", s.CompleteParkedRequest(ctx(t), "r1"), store.ErrNotFound)
	claimed, err = s.ClaimParkedRequests(ctx(t), "w3", at(time.Minute), at(2*time.Minute), 10)
	is(t, "w3 claims after the lease ended", err, nil)
	same(t, "w3 reclaims r2", claimed, ready(second))

	ps, err = s.ListParkedRequests(ctx(t), "p", t0)
	is(t, "list", err, nil)
	same(t, "listed after completion", ps, ready(second))
	is(t, "complete unknown", s.CompleteParkedRequest(ctx(t), "unknown"), store.ErrNotFound)
}

func testParkedExpiry(t *testing.T, s store.Store) {
	live := park(t, s, "live", "p", -time.Minute, time.Hour)
	park(t, s, "expired", "p", -2*time.Minute, 0)

	n, err := s.MarkParkedReady(ctx(t), "p", t0)
	is(t, "mark ready", err, nil)
	if n != 1 {
		t.Errorf("marked %d ready, want only the unexpired 1", n)
	}
	ps, err := s.ListParkedRequests(ctx(t), "p", t0)
	is(t, "list", err, nil)
	same(t, "listed", ps, ready(live))

	claimed, err := s.ClaimParkedRequests(ctx(t), "w", at(time.Hour), at(2*time.Hour), 10)
	is(t, "claim after expiry", err, nil)
	if len(claimed) != 0 {
		t.Errorf("claimed %d expired requests", len(claimed))
	}
	n, err = s.MarkParkedReady(ctx(t), "nobody", t0)
	is(t, "mark ready for nobody", err, nil)
	if n != 0 {
		t.Errorf("marked %d ready for a principal with none", n)
	}
}

func testParkedClaimLimitOrder(t *testing.T, s store.Store) {
	var all []store.ParkedRequest
	// Parked out of order; claims come oldest first.
	for _, i := range []int{3, 0, 4, 1, 2} {
		all = append(all, park(t, s, fmt.Sprintf("r%d", i), "p", time.Duration(i)*time.Second, time.Hour))
	}
	byAge := func(ids ...int) []store.ParkedRequest {
		var out []store.ParkedRequest
		for _, id := range ids {
			for _, p := range all {
				if p.ID == fmt.Sprintf("r%d", id) {
					out = append(out, p)
				}
			}
		}
		return ready(out...)
	}
	_, err := s.MarkParkedReady(ctx(t), "p", t0)
	is(t, "mark ready", err, nil)
	claimed, err := s.ClaimParkedRequests(ctx(t), "w", t0, at(time.Minute), 2)
	is(t, "claim 2", err, nil)
	same(t, "first claim", claimed, byAge(0, 1))
	claimed, err = s.ClaimParkedRequests(ctx(t), "w", t0, at(time.Minute), 0)
	is(t, "claim without limit", err, nil)
	same(t, "second claim", claimed, byAge(2, 3, 4))
}

// testParkedClaimConcurrent: workers claim until nothing is left; every
// request must be handed out exactly once. Three rounds, because one round
// let a broken claim (no SKIP LOCKED) through about one time in ten.
func testParkedClaimConcurrent(t *testing.T, s store.Store) {
	const rounds, requests, workers = 3, 50, 20
	for round := range rounds {
		principal := fmt.Sprintf("p%d", round)
		for i := range requests {
			park(t, s, fmt.Sprintf("%s-r%02d", principal, i), principal, time.Duration(i)*time.Millisecond, time.Hour)
		}
		n, err := s.MarkParkedReady(ctx(t), principal, t0)
		is(t, "mark ready", err, nil)
		if n != requests {
			t.Fatalf("marked %d ready, want %d", n, requests)
		}
		var mu sync.Mutex
		claims := map[string][]int{}
		errs := race(workers, func(w int) error {
			for {
				got, err := s.ClaimParkedRequests(ctx(t), fmt.Sprintf("w%d", w), t0, at(time.Hour), 3)
				if err != nil || len(got) == 0 {
					return err
				}
				if len(got) > 3 {
					return fmt.Errorf("claimed %d, limit 3", len(got))
				}
				mu.Lock()
				for _, p := range got {
					claims[p.ID] = append(claims[p.ID], w)
				}
				mu.Unlock()
			}
		})
		for w, err := range errs {
			if err != nil {
				t.Errorf("round %d, worker %d: %v", round, w, err)
			}
		}
		if len(claims) != requests {
			t.Errorf("round %d: %d requests claimed, want %d", round, len(claims), requests)
		}
		for id, by := range claims {
			if len(by) != 1 {
				t.Errorf("request %s claimed by workers %v", id, by)
			}
		}
	}
}
