package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// record stores a received inbox item of kind k, created at t0+created and
// expiring at t0+expires, and returns it as the store should return it.
func record(t *testing.T, s store.Store, id, kind string, created, expires time.Duration) store.InboxItem {
	t.Helper()
	in := store.InboxItem{ID: id, Kind: kind, Payload: []byte("payload of " + id), CreatedAt: at(created), ExpiresAt: at(expires)}
	got, err := s.RecordInbox(ctx(t), in)
	is(t, "record "+id, err, nil)
	want := in
	want.State, want.AvailableAt, want.UpdatedAt = store.InboxReceived, in.CreatedAt, in.CreatedAt
	same(t, "recorded "+id, got, want)
	return got
}

// claimedBy is it as a claim by owner at now until until leaves it.
func claimedBy(it store.InboxItem, owner string, now, until time.Time) store.InboxItem {
	it.State, it.LeaseOwner, it.LeaseUntil, it.UpdatedAt = store.InboxClaimed, owner, until, now
	it.Attempts++
	return it
}

func testInboxRecord(t *testing.T, s store.Store) {
	first := record(t, s, "slack-event:Ev1", "slack-message", 0, time.Hour)

	// A redelivery finds the first delivery, whatever it carries.
	again := store.InboxItem{ID: first.ID, Kind: "slack-message", Payload: []byte("second copy"), CreatedAt: at(time.Minute), ExpiresAt: at(2 * time.Hour)}
	got, err := s.RecordInbox(ctx(t), again)
	is(t, "record again", err, store.ErrAlreadyExists)
	same(t, "the first delivery", got, first)
	noLeak(t, err, "second copy")

	// Already claimed at record time: the receiving process runs it.
	owned := store.InboxItem{ID: "owned", Kind: "k", CreatedAt: t0, ExpiresAt: at(time.Hour), LeaseOwner: "w1", LeaseUntil: at(10 * time.Second)}
	got, err = s.RecordInbox(ctx(t), owned)
	is(t, "record claimed", err, nil)
	if got.State != store.InboxClaimed || got.LeaseOwner != "w1" || !got.LeaseUntil.Equal(at(10*time.Second)) || got.Attempts != 1 {
		t.Errorf("recorded claimed: %+v", got)
	}
	_, err = s.ClaimInboxItem(ctx(t), "owned", "w2", at(time.Second), at(time.Minute))
	is(t, "claim an item recorded claimed", err, store.ErrLeaseHeld)

	// A later AvailableAt holds it back.
	later := store.InboxItem{ID: "later", Kind: "k", CreatedAt: t0, AvailableAt: at(time.Minute), ExpiresAt: at(time.Hour)}
	_, err = s.RecordInbox(ctx(t), later)
	is(t, "record later", err, nil)
	_, err = s.ClaimInboxItem(ctx(t), "later", "w", at(time.Minute-time.Microsecond), at(2*time.Minute))
	is(t, "claim before it is available", err, store.ErrLeaseHeld)
	_, err = s.ClaimInboxItem(ctx(t), "later", "w", at(time.Minute), at(2*time.Minute))
	is(t, "claim when available", err, nil)

	// Get and List see unexpired items only.
	_, err = s.GetInbox(ctx(t), first.ID, at(time.Hour))
	is(t, "get at expiry", err, store.ErrNotFound)
	_, err = s.GetInbox(ctx(t), "unknown", t0)
	is(t, "get unknown", err, store.ErrNotFound)
	items, err := s.ListInbox(ctx(t), "", at(30*time.Minute), 0)
	is(t, "list", err, nil)
	if len(items) != 3 || items[0].ID != "later" || items[1].ID != "owned" || items[2].ID != first.ID {
		t.Errorf("list: %+v", items)
	}
	items, err = s.ListInbox(ctx(t), "later", at(30*time.Minute), 1)
	is(t, "list after", err, nil)
	if len(items) != 1 || items[0].ID != "owned" {
		t.Errorf("list after later, limit 1: %+v", items)
	}

	// Expired, the id is free again, and a new delivery starts afresh.
	got, err = s.RecordInbox(ctx(t), store.InboxItem{ID: first.ID, Kind: "k2", Payload: []byte("new"), CreatedAt: at(time.Hour), ExpiresAt: at(3 * time.Hour)})
	is(t, "record after expiry", err, nil)
	if got.State != store.InboxReceived || got.Attempts != 0 || string(got.Payload) != "new" || got.Kind != "k2" || got.Progress != nil {
		t.Errorf("re-recorded after expiry: %+v", got)
	}
}

// testInboxLifecycle walks an item through received -> claimed ->
// progress -> released -> claimed again -> answered, with the lease rules
// at every step.
func testInboxLifecycle(t *testing.T, s store.Store) {
	it := record(t, s, "q1", "slack-message", 0, time.Hour)
	c := ctx(t)

	got, err := s.ClaimInboxItem(c, "q1", "w1", at(time.Second), at(11*time.Second))
	is(t, "w1 claims", err, nil)
	it = claimedBy(it, "w1", at(time.Second), at(11*time.Second))
	same(t, "claimed", got, it)
	_, err = s.ClaimInboxItem(c, "q1", "w2", at(10*time.Second), at(20*time.Second))
	is(t, "w2 claims during w1's lease", err, store.ErrLeaseHeld)
	batch, err := s.ClaimInbox(c, "w2", at(10*time.Second), at(20*time.Second), 10)
	is(t, "w2 batch-claims during w1's lease", err, nil)
	if len(batch) != 0 {
		t.Errorf("w2 claimed %d leased items", len(batch))
	}

	// The heartbeat keeps it; progress is saved with it.
	is(t, "w1 extends", s.ExtendInboxLease(c, "q1", "w1", at(10*time.Second), at(20*time.Second)), nil)
	is(t, "w1 saves progress", s.SaveInboxProgress(c, "q1", "w1", []byte(`{"answer":"42"}`), at(12*time.Second)), nil)
	_, err = s.ClaimInboxItem(c, "q1", "w2", at(15*time.Second), at(25*time.Second))
	is(t, "w2 claims within the extended lease", err, store.ErrLeaseHeld)
	is(t, "w2 saves progress", s.SaveInboxProgress(c, "q1", "w2", []byte("x"), at(15*time.Second)), store.ErrLeaseHeld)
	is(t, "w2 extends", s.ExtendInboxLease(c, "q1", "w2", at(15*time.Second), at(25*time.Second)), store.ErrLeaseHeld)
	is(t, "w2 finishes", s.FinishInbox(c, "q1", "w2", store.InboxAnswered, at(15*time.Second)), store.ErrLeaseHeld)

	// w1 gives it back for a retry in a minute; the progress stays.
	is(t, "w1 releases", s.ReleaseInbox(c, "q1", "w1", at(16*time.Second), at(time.Minute)), nil)
	is(t, "w1 extends after release", s.ExtendInboxLease(c, "q1", "w1", at(16*time.Second), at(26*time.Second)), store.ErrLeaseHeld)
	got, err = s.GetInbox(c, "q1", at(16*time.Second))
	is(t, "get released", err, nil)
	if got.State != store.InboxReceived || got.LeaseOwner != "" || !got.LeaseUntil.IsZero() || !got.AvailableAt.Equal(at(time.Minute)) ||
		string(got.Progress) != `{"answer":"42"}` || got.Attempts != 1 {
		t.Errorf("released: %+v", got)
	}
	_, err = s.ClaimInboxItem(c, "q1", "w2", at(59*time.Second), at(2*time.Minute))
	is(t, "claim before the retry time", err, store.ErrLeaseHeld)
	got, err = s.ClaimInboxItem(c, "q1", "w2", at(time.Minute), at(2*time.Minute))
	is(t, "w2 claims at the retry time", err, nil)
	if got.Attempts != 2 || string(got.Progress) != `{"answer":"42"}` || got.LeaseOwner != "w2" {
		t.Errorf("second claim: %+v", got)
	}

	is(t, "finish with a bad state", errOnly(s.FinishInbox(c, "q1", "w2", store.InboxClaimed, at(time.Minute))), errAny)
	is(t, "w2 answers", s.FinishInbox(c, "q1", "w2", store.InboxAnswered, at(61*time.Second)), nil)
	got, err = s.GetInbox(c, "q1", at(62*time.Second))
	is(t, "get answered", err, nil)
	if got.State != store.InboxAnswered || !got.FinishedAt.Equal(at(61*time.Second)) || got.LeaseOwner != "" {
		t.Errorf("answered: %+v", got)
	}
	_, err = s.ClaimInboxItem(c, "q1", "w3", at(time.Hour-time.Second), at(time.Hour))
	is(t, "claim answered", err, store.ErrAlreadyUsed)
	is(t, "answer again", s.FinishInbox(c, "q1", "w2", store.InboxAnswered, at(62*time.Second)), store.ErrLeaseHeld)
	_, err = s.RecordInbox(c, store.InboxItem{ID: "q1", Kind: "slack-message", CreatedAt: at(2 * time.Minute), ExpiresAt: at(2 * time.Hour)})
	is(t, "a redelivery of an answered item", err, store.ErrAlreadyExists)

	// Unknown items.
	_, err = s.ClaimInboxItem(c, "nope", "w", t0, at(time.Minute))
	is(t, "claim unknown", err, store.ErrNotFound)
	is(t, "extend unknown", s.ExtendInboxLease(c, "nope", "w", t0, at(time.Minute)), store.ErrNotFound)
	is(t, "finish unknown", s.FinishInbox(c, "nope", "w", store.InboxFailed, t0), store.ErrNotFound)
}

// errAny matches any error (errOnly maps nil to nil).
var errAny = errors.New("any error")

func errOnly(err error) error {
	if err != nil {
		return fmt.Errorf("%w: %w", errAny, err)
	}
	return nil
}

// testInboxLeaseLapse: a claimant that stops heart-beating (killed) loses
// the item when its lease ends; another claims it; the first can no
// longer write, also not "answered".
func testInboxLeaseLapse(t *testing.T, s store.Store) {
	c := ctx(t)
	record(t, s, "q", "slack-message", 0, time.Hour)
	_, err := s.ClaimInboxItem(c, "q", "dead", t0, at(10*time.Second))
	is(t, "dead claims", err, nil)
	// The lease ends at leaseUntil exactly, for both kinds of claim.
	_, err = s.ClaimInboxItem(c, "q", "live", at(10*time.Second-time.Microsecond), at(20*time.Second))
	is(t, "claim just before the lease ends", err, store.ErrLeaseHeld)
	got, err := s.ClaimInbox(c, "live", at(10*time.Second), at(20*time.Second), 5)
	is(t, "live claims when the lease ends", err, nil)
	if len(got) != 1 || got[0].ID != "q" || got[0].Attempts != 2 || got[0].LeaseOwner != "live" {
		t.Fatalf("claimed after the lease ended: %+v", got)
	}
	is(t, "dead extends", s.ExtendInboxLease(c, "q", "dead", at(11*time.Second), at(21*time.Second)), store.ErrLeaseHeld)
	is(t, "dead answers", s.FinishInbox(c, "q", "dead", store.InboxAnswered, at(11*time.Second)), store.ErrLeaseHeld)
	is(t, "dead releases", s.ReleaseInbox(c, "q", "dead", at(11*time.Second), at(11*time.Second)), store.ErrLeaseHeld)

	// An owner whose lease ended but whom nobody replaced may carry on.
	record(t, s, "slow", "slack-message", 0, time.Hour)
	_, err = s.ClaimInboxItem(c, "slow", "w", t0, at(time.Second))
	is(t, "claim", err, nil)
	is(t, "extend after the lease ended", s.ExtendInboxLease(c, "slow", "w", at(5*time.Second), at(15*time.Second)), nil)
	is(t, "answer", s.FinishInbox(c, "slow", "w", store.InboxFailed, at(6*time.Second)), nil)
	it, err := s.GetInbox(c, "slow", at(7*time.Second))
	is(t, "get", err, nil)
	if it.State != store.InboxFailed {
		t.Errorf("state %q, want failed", it.State)
	}
}

func testInboxClaimKindsOrder(t *testing.T, s store.Store) {
	c := ctx(t)
	// Recorded out of order; claims come earliest available first.
	for _, i := range []int{3, 0, 4, 1, 2} {
		kind := "a"
		if i%2 == 1 {
			kind = "b"
		}
		record(t, s, fmt.Sprintf("i%d", i), kind, time.Duration(i)*time.Second, time.Hour)
	}
	record(t, s, "expired", "a", -time.Hour, time.Minute)
	ids := func(items []store.InboxItem) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	now := at(time.Minute)
	got, err := s.ClaimInbox(c, "w", now, at(2*time.Minute), 0, "b")
	is(t, "claim kind b", err, nil)
	if fmt.Sprint(ids(got)) != "[i1 i3]" {
		t.Errorf("kind b: %v, want [i1 i3]", ids(got))
	}
	got, err = s.ClaimInbox(c, "w", now, at(2*time.Minute), 2)
	is(t, "claim 2 of any kind", err, nil)
	if fmt.Sprint(ids(got)) != "[i0 i2]" {
		t.Errorf("first two: %v, want [i0 i2]", ids(got))
	}
	got, err = s.ClaimInbox(c, "w", now, at(2*time.Minute), 10, "a", "b", "c")
	is(t, "claim the rest", err, nil)
	if fmt.Sprint(ids(got)) != "[i4]" {
		t.Errorf("the rest: %v, want [i4] (not the expired one)", ids(got))
	}
}

// testInboxClaimConcurrent: contenders race for each item with the
// targeted claim; exactly one wins each, and the losers hear ErrLeaseHeld.
func testInboxClaimConcurrent(t *testing.T, s store.Store) {
	for r := range records {
		record(t, s, fmt.Sprintf("q%d", r), "k", 0, time.Hour)
	}
	errs := raceEach(func(r, g int) error {
		_, err := s.ClaimInboxItem(ctx(t), fmt.Sprintf("q%d", r), fmt.Sprintf("w%d", g), t0, at(time.Minute))
		return err
	})
	exactlyOneWins(t, errs, store.ErrLeaseHeld)

	// Taking over after the lease ended is just as exclusive.
	errs = raceEach(func(r, g int) error {
		_, err := s.ClaimInboxItem(ctx(t), fmt.Sprintf("q%d", r), fmt.Sprintf("v%d", g), at(time.Minute), at(2*time.Minute))
		return err
	})
	exactlyOneWins(t, errs, store.ErrLeaseHeld)

	// And recording: one delivery creates, the others find it.
	errs = raceEach(func(r, g int) error {
		_, err := s.RecordInbox(ctx(t), store.InboxItem{ID: fmt.Sprintf("new%d", r), Kind: "k", CreatedAt: t0, ExpiresAt: at(time.Hour)})
		return err
	})
	exactlyOneWins(t, errs, store.ErrAlreadyExists)
}

// testInboxClaimBatchConcurrent: workers claim batches until nothing is
// left; every item is handed out exactly once. Three rounds, as for parked
// requests.
func testInboxClaimBatchConcurrent(t *testing.T, s store.Store) {
	const rounds, items, workers = 3, 50, 20
	for round := range rounds {
		now := at(time.Duration(round) * time.Minute)
		for i := range items {
			record(t, s, fmt.Sprintf("r%d-%02d", round, i), "k", time.Duration(round)*time.Minute+time.Duration(i)*time.Millisecond-time.Second, time.Hour)
		}
		var mu sync.Mutex
		claims := map[string][]int{}
		errs := race(workers, func(w int) error {
			for {
				got, err := s.ClaimInbox(ctx(t), fmt.Sprintf("w%d", w), now, now.Add(time.Hour), 3)
				if err != nil || len(got) == 0 {
					return err
				}
				if len(got) > 3 {
					return fmt.Errorf("claimed %d, limit 3", len(got))
				}
				mu.Lock()
				for _, it := range got {
					claims[it.ID] = append(claims[it.ID], w)
				}
				mu.Unlock()
			}
		})
		for w, err := range errs {
			if err != nil {
				t.Errorf("round %d, worker %d: %v", round, w, err)
			}
		}
		if len(claims) != items {
			t.Errorf("round %d: %d items claimed, want %d", round, len(claims), items)
		}
		for id, by := range claims {
			if len(by) != 1 {
				t.Errorf("item %s claimed by workers %v", id, by)
			}
		}
	}
}
