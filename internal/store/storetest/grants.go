package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

func testGrantPutGet(t *testing.T, s store.Store) {
	_, err := s.GetGrant(ctx(t), "slack:T1:U1")
	is(t, "get before put", err, store.ErrNotFound)

	in := store.Grant{Principal: "slack:T1:U1", KeyID: "k1", Ciphertext: []byte{0, 1, 2, 0xff},
		Version: 42, CreatedAt: at(-time.Hour), UpdatedAt: t0}
	got, err := s.PutGrant(ctx(t), in)
	is(t, "put", err, nil)
	want := in
	want.Version = 1 // a new grant starts at 1 whatever the caller sent
	same(t, "put result", got, want)

	got, err = s.GetGrant(ctx(t), "slack:T1:U1")
	is(t, "get", err, nil)
	same(t, "get", got, want)

	// A zero CreatedAt means "now": the update time.
	got, err = s.PutGrant(ctx(t), store.Grant{Principal: "p2", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
	is(t, "put without CreatedAt", err, nil)
	if !got.CreatedAt.Equal(t0) {
		t.Errorf("CreatedAt = %v, want UpdatedAt %v", got.CreatedAt, t0)
	}
}

func testGrantPutReplace(t *testing.T, s store.Store) {
	first, err := s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k1", Ciphertext: []byte("one"),
		CreatedAt: at(-time.Hour), UpdatedAt: at(-time.Hour)})
	is(t, "put", err, nil)

	// A fresh consent replaces whatever is there, stale version or not.
	second, err := s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k2", Ciphertext: []byte("two"),
		Version: 7, CreatedAt: t0, UpdatedAt: t0})
	is(t, "replace", err, nil)
	same(t, "replaced", second, store.Grant{Principal: "p", KeyID: "k2", Ciphertext: []byte("two"),
		Version: first.Version + 1, CreatedAt: first.CreatedAt, UpdatedAt: t0})

	got, err := s.GetGrant(ctx(t), "p")
	is(t, "get", err, nil)
	same(t, "get after replace", got, second)
}

func testGrantSwap(t *testing.T, s store.Store) {
	_, err := s.SwapGrant(ctx(t), store.Grant{Principal: "none", KeyID: "k", Ciphertext: []byte("x"), Version: 1, UpdatedAt: t0})
	is(t, "swap missing grant", err, store.ErrNotFound)

	v1, err := s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k1", Ciphertext: []byte("one"), CreatedAt: t0, UpdatedAt: t0})
	is(t, "put", err, nil)

	next := store.Grant{Principal: "p", KeyID: "k2", Ciphertext: []byte("two"), Version: v1.Version, UpdatedAt: at(time.Minute)}
	v2, err := s.SwapGrant(ctx(t), next)
	is(t, "swap", err, nil)
	same(t, "swapped", v2, store.Grant{Principal: "p", KeyID: "k2", Ciphertext: []byte("two"),
		Version: v1.Version + 1, CreatedAt: t0, UpdatedAt: at(time.Minute)})

	// The same swap again carries a stale version: it must not apply.
	stale := next
	stale.Ciphertext = []byte("stale")
	_, err = s.SwapGrant(ctx(t), stale)
	is(t, "stale swap", err, store.ErrConflict)
	noLeak(t, err, "stale")
	got, err := s.GetGrant(ctx(t), "p")
	is(t, "get", err, nil)
	same(t, "after stale swap", got, v2)

	is(t, "delete", s.DeleteGrant(ctx(t), "p"), nil)
	_, err = s.SwapGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("x"), Version: v2.Version, UpdatedAt: t0})
	is(t, "swap deleted grant", err, store.ErrNotFound)
}

// testGrantSwapConcurrent is the refresh race: everyone read version 1,
// only one write may land.
func testGrantSwapConcurrent(t *testing.T, s store.Store) {
	principal := func(r int) string { return fmt.Sprintf("p%d", r) }
	for r := range records {
		_, err := s.PutGrant(ctx(t), store.Grant{Principal: principal(r), KeyID: "k", Ciphertext: []byte("v1"), UpdatedAt: t0})
		is(t, "put", err, nil)
	}
	errs := raceEach(func(r, g int) error {
		_, err := s.SwapGrant(ctx(t), store.Grant{Principal: principal(r), KeyID: "k",
			Ciphertext: fmt.Appendf(nil, "by %d", g), Version: 1, UpdatedAt: t0})
		return err
	})
	for r, w := range exactlyOneWins(t, errs, store.ErrConflict) {
		got, err := s.GetGrant(ctx(t), principal(r))
		is(t, "get", err, nil)
		if got.Version != 2 || string(got.Ciphertext) != fmt.Sprintf("by %d", w) {
			t.Errorf("%s after the race: version %d, ciphertext %q; want 2 and the winner's (%d)", principal(r), got.Version, got.Ciphertext, w)
		}
	}
}

func testGrantDelete(t *testing.T, s store.Store) {
	is(t, "delete missing", s.DeleteGrant(ctx(t), "p"), store.ErrNotFound)
	for _, p := range []string{"p", "q"} {
		_, err := s.PutGrant(ctx(t), store.Grant{Principal: p, KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
		is(t, "put", err, nil)
	}
	is(t, "delete", s.DeleteGrant(ctx(t), "p"), nil)
	_, err := s.GetGrant(ctx(t), "p")
	is(t, "get deleted", err, store.ErrNotFound)
	is(t, "delete again", s.DeleteGrant(ctx(t), "p"), store.ErrNotFound)
	_, err = s.GetGrant(ctx(t), "q")
	is(t, "the other grant", err, nil)

	// A deleted grant starts over at version 1.
	g, err := s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
	is(t, "put again", err, nil)
	if g.Version != 1 {
		t.Errorf("version after delete and put = %d, want 1", g.Version)
	}
}

func testGrantList(t *testing.T, s store.Store) {
	gs, err := s.ListGrants(ctx(t), "", 10)
	is(t, "list empty", err, nil)
	if len(gs) != 0 {
		t.Errorf("empty store lists %d grants", len(gs))
	}
	// Bytewise order: upper case before lower, ':' between digits and letters.
	want := []string{"B", "a", "slack:T10:U1", "slack:T1:U1", "slack:T1:U2", "slack:T1A:U1"}
	for _, p := range []string{"slack:T1A:U1", "a", "slack:T10:U1", "B", "slack:T1:U2", "slack:T1:U1"} {
		_, err := s.PutGrant(ctx(t), store.Grant{Principal: p, KeyID: "k", Ciphertext: []byte(p), UpdatedAt: t0})
		is(t, "put", err, nil)
	}
	var scanned []string
	after := ""
	for page := 0; ; page++ {
		gs, err := s.ListGrants(ctx(t), after, 4)
		is(t, "list", err, nil)
		if len(gs) > 4 {
			t.Fatalf("page of %d grants, limit 4", len(gs))
		}
		if len(gs) == 0 {
			break
		}
		for _, g := range gs {
			if string(g.Ciphertext) != g.Principal || g.Version != 1 {
				t.Errorf("listed %+v", g)
			}
			scanned = append(scanned, g.Principal)
		}
		after = gs[len(gs)-1].Principal
		if page > len(want) {
			t.Fatal("scan does not end")
		}
	}
	if fmt.Sprint(scanned) != fmt.Sprint(want) {
		t.Errorf("scan = %q, want %q", scanned, want)
	}
	gs, err = s.ListGrants(ctx(t), "slack:T1:U1", 2)
	is(t, "list after", err, nil)
	if len(gs) != 2 || gs[0].Principal != "slack:T1:U2" || gs[1].Principal != "slack:T1A:U1" {
		t.Errorf("after slack:T1:U1 limit 2: %v", principals(gs))
	}
	gs, err = s.ListGrants(ctx(t), "", 0)
	is(t, "list without limit", err, nil)
	if len(gs) != len(want) {
		t.Errorf("limit 0 lists %d grants, want all %d", len(gs), len(want))
	}
}

func principals(gs []store.Grant) []string {
	var ps []string
	for _, g := range gs {
		ps = append(ps, g.Principal)
	}
	return ps
}

func testGrantLease(t *testing.T, s store.Store) {
	_, err := s.LeaseGrant(ctx(t), "none", "a", t0, at(time.Minute))
	is(t, "lease missing grant", err, store.ErrNotFound)

	g, err := s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
	is(t, "put", err, nil)

	got, err := s.LeaseGrant(ctx(t), "p", "a", t0, at(time.Minute))
	is(t, "a leases", err, nil)
	same(t, "leased grant", got, g) // a lease is not a write: same version

	_, err = s.LeaseGrant(ctx(t), "p", "b", at(30*time.Second), at(2*time.Minute))
	is(t, "b while a holds", err, store.ErrLeaseHeld)

	_, err = s.LeaseGrant(ctx(t), "p", "a", at(30*time.Second), at(2*time.Minute))
	is(t, "a extends", err, nil)
	_, err = s.LeaseGrant(ctx(t), "p", "b", at(time.Minute+59*time.Second), at(3*time.Minute))
	is(t, "b before the extended lease ends", err, store.ErrLeaseHeld)

	// The lease ends at `until` exactly.
	_, err = s.LeaseGrant(ctx(t), "p", "b", at(2*time.Minute), at(3*time.Minute))
	is(t, "b when a's lease ended", err, nil)
	_, err = s.LeaseGrant(ctx(t), "p", "a", at(2*time.Minute), at(3*time.Minute))
	is(t, "a after losing it", err, store.ErrLeaseHeld)

	// Releasing a lease one does not hold changes nothing.
	is(t, "a releases b's lease", s.ReleaseGrantLease(ctx(t), "p", "a"), nil)
	_, err = s.LeaseGrant(ctx(t), "p", "c", at(2*time.Minute), at(3*time.Minute))
	is(t, "c after a's release", err, store.ErrLeaseHeld)

	is(t, "b releases", s.ReleaseGrantLease(ctx(t), "p", "b"), nil)
	_, err = s.LeaseGrant(ctx(t), "p", "c", at(2*time.Minute), at(3*time.Minute))
	is(t, "c after b's release", err, nil)

	is(t, "release on a missing grant", s.ReleaseGrantLease(ctx(t), "none", "a"), nil)
	after, err := s.GetGrant(ctx(t), "p")
	is(t, "get", err, nil)
	same(t, "grant after leases", after, g)
}

func testGrantLeaseReleasedByWrites(t *testing.T, s store.Store) {
	g, err := s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
	is(t, "put", err, nil)

	_, err = s.LeaseGrant(ctx(t), "p", "a", t0, at(time.Hour))
	is(t, "a leases", err, nil)
	g, err = s.SwapGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("refreshed"), Version: g.Version, UpdatedAt: t0})
	is(t, "swap", err, nil)
	_, err = s.LeaseGrant(ctx(t), "p", "b", t0, at(time.Hour))
	is(t, "b after swap released a's lease", err, nil)

	_, err = s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("reconnected"), UpdatedAt: t0})
	is(t, "put", err, nil)
	_, err = s.LeaseGrant(ctx(t), "p", "c", t0, at(time.Hour))
	is(t, "c after put released b's lease", err, nil)
}

func testGrantLeaseConcurrent(t *testing.T, s store.Store) {
	principal := func(r int) string { return fmt.Sprintf("p%d", r) }
	owner := func(g int) string { return fmt.Sprintf("owner-%d", g) }
	for r := range records {
		_, err := s.PutGrant(ctx(t), store.Grant{Principal: principal(r), KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
		is(t, "put", err, nil)
	}
	errs := raceEach(func(r, g int) error {
		_, err := s.LeaseGrant(ctx(t), principal(r), owner(g), t0, at(time.Minute))
		return err
	})
	for r, w := range exactlyOneWins(t, errs, store.ErrLeaseHeld) {
		if w < 0 {
			continue
		}
		// The winner holds it: it may extend, a loser may not take it.
		_, err := s.LeaseGrant(ctx(t), principal(r), owner(w), t0, at(time.Minute))
		is(t, "winner extends", err, nil)
		_, err = s.LeaseGrant(ctx(t), principal(r), owner((w+1)%contenders), t0, at(time.Minute))
		if !errors.Is(err, store.ErrLeaseHeld) {
			t.Errorf("%s: a loser leases after the race: %v", principal(r), err)
		}
	}
}
