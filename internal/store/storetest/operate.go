package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// The store side of running lookout for real: grant metadata the
// background refresher, `lookout admin` and the connections page query
// without decrypting, named leases, client usage and audit search.

// described is a grant row as the vault writes it.
func described(principal, user string, expires time.Time) store.Grant {
	return store.Grant{Principal: principal, KeyID: "k", Ciphertext: []byte("c-" + principal), UpdatedAt: t0,
		SentryUserID: user, ExpiresAt: expires, Described: true}
}

func testGrantMetadata(t *testing.T, s store.Store) {
	in := described("p", "42", at(time.Hour))
	in.CreatedAt = t0
	got, err := s.PutGrant(ctx(t), in)
	is(t, "put", err, nil)
	want := in
	want.Version = 1
	same(t, "put", got, want)
	got, err = s.GetGrant(ctx(t), "p")
	is(t, "get", err, nil)
	same(t, "get", got, want)

	// Swap writes the metadata it is given: marked stale, expiry unchanged.
	next := want
	next.Stale, next.Ciphertext, next.UpdatedAt = true, []byte("stale"), at(time.Minute)
	got, err = s.SwapGrant(ctx(t), next)
	is(t, "swap", err, nil)
	want = next
	want.Version = 2
	same(t, "swapped", got, want)

	// A zero expiry (does not expire) is kept as zero; a writer that does
	// not describe the grant leaves it undescribed.
	got, err = s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("plain"), UpdatedAt: at(2 * time.Minute)})
	is(t, "put undescribed", err, nil)
	same(t, "undescribed", got, store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("plain"), Version: 3,
		CreatedAt: t0, UpdatedAt: at(2 * time.Minute)})
}

func testGrantListExpiring(t *testing.T, s store.Store) {
	put := func(g store.Grant) {
		t.Helper()
		_, err := s.PutGrant(ctx(t), g)
		is(t, "put "+g.Principal, err, nil)
	}
	put(described("in-1h", "1", at(time.Hour)))
	put(described("in-2h-b", "1", at(2*time.Hour)))
	put(described("in-2h-a", "2", at(2*time.Hour)))
	put(described("expired", "3", at(-time.Hour)))
	put(described("in-3h", "3", at(3*time.Hour)))
	put(described("in-a-week", "3", at(7*24*time.Hour)))
	put(described("never", "3", time.Time{}))
	stale := described("stale-in-1h", "4", at(time.Hour))
	stale.Stale = true
	put(stale)
	undescribed := described("undescribed", "", time.Time{})
	undescribed.Described = false
	put(undescribed)

	gs, err := s.ListExpiringGrants(ctx(t), at(2*time.Hour), 0)
	is(t, "list", err, nil)
	// Soonest first; ties by principal; the bound is inclusive.
	if got, want := principals(gs), []string{"expired", "in-1h", "in-2h-a", "in-2h-b"}; !slices.Equal(got, want) {
		t.Errorf("expiring by +2h: %q, want %q", got, want)
	}
	for _, g := range gs {
		if !g.Described || g.Stale || g.ExpiresAt.IsZero() {
			t.Errorf("listed %+v", g)
		}
	}
	gs, err = s.ListExpiringGrants(ctx(t), at(30*24*time.Hour), 2)
	is(t, "list with limit", err, nil)
	if got, want := principals(gs), []string{"expired", "in-1h"}; !slices.Equal(got, want) {
		t.Errorf("first 2 by +30d: %q, want %q", got, want)
	}
	gs, err = s.ListExpiringGrants(ctx(t), at(-2*time.Hour), 0)
	is(t, "list none", err, nil)
	if len(gs) != 0 {
		t.Errorf("nothing expires by -2h, listed %q", principals(gs))
	}
}

func testGrantBySentryUser(t *testing.T, s store.Store) {
	for _, g := range []store.Grant{
		described("slack:T1:U1", "42", at(time.Hour)),
		described("mcp:b", "42", at(time.Hour)),
		described("mcp:a", "42", time.Time{}),
		described("mcp:other", "7", at(time.Hour)),
		{Principal: "mcp:old", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0}, // undescribed
	} {
		_, err := s.PutGrant(ctx(t), g)
		is(t, "put", err, nil)
	}
	gs, err := s.ListGrantsBySentryUser(ctx(t), "42")
	is(t, "list 42", err, nil)
	if got, want := principals(gs), []string{"mcp:a", "mcp:b", "slack:T1:U1"}; !slices.Equal(got, want) {
		t.Errorf("grants of 42: %q, want %q", got, want)
	}
	for _, id := range []string{"", "4", "nobody"} {
		gs, err := s.ListGrantsBySentryUser(ctx(t), id)
		is(t, "list "+id, err, nil)
		if len(gs) != 0 {
			t.Errorf("grants of %q: %q, want none", id, principals(gs))
		}
	}
}

func testGrantTouch(t *testing.T, s store.Store) {
	is(t, "touch missing", s.TouchGrant(ctx(t), "p", t0), store.ErrNotFound)
	g, err := s.PutGrant(ctx(t), described("p", "42", at(time.Hour)))
	is(t, "put", err, nil)
	_, err = s.LeaseGrant(ctx(t), "p", "a", t0, at(time.Hour))
	is(t, "lease", err, nil)

	is(t, "touch", s.TouchGrant(ctx(t), "p", at(time.Minute)), nil)
	is(t, "touch earlier", s.TouchGrant(ctx(t), "p", at(30*time.Second)), nil)
	is(t, "touch at the same time", s.TouchGrant(ctx(t), "p", at(time.Minute)), nil)
	got, err := s.GetGrant(ctx(t), "p")
	is(t, "get", err, nil)
	want := g
	want.LastUsedAt = at(time.Minute)
	same(t, "touched (no new version, time never moves back)", got, want)
	_, err = s.LeaseGrant(ctx(t), "p", "b", t0, at(time.Hour))
	is(t, "a touch does not release the lease", err, store.ErrLeaseHeld)

	// Writes keep the last use.
	sw := got
	sw.Ciphertext = []byte("refreshed")
	got, err = s.SwapGrant(ctx(t), sw)
	is(t, "swap", err, nil)
	if !got.LastUsedAt.Equal(at(time.Minute)) {
		t.Errorf("after swap LastUsedAt = %v", got.LastUsedAt)
	}
	got, err = s.PutGrant(ctx(t), described("p", "42", at(2*time.Hour)))
	is(t, "put again", err, nil)
	if !got.LastUsedAt.Equal(at(time.Minute)) {
		t.Errorf("after put LastUsedAt = %v", got.LastUsedAt)
	}
}

func testLease(t *testing.T, s store.Store) {
	is(t, "a acquires", s.AcquireLease(ctx(t), "refresher", "a", t0, at(time.Minute)), nil)
	is(t, "b while a holds", s.AcquireLease(ctx(t), "refresher", "b", at(30*time.Second), at(2*time.Minute)), store.ErrLeaseHeld)
	is(t, "b takes another name", s.AcquireLease(ctx(t), "other", "b", t0, at(time.Minute)), nil)
	is(t, "a extends", s.AcquireLease(ctx(t), "refresher", "a", at(30*time.Second), at(2*time.Minute)), nil)
	is(t, "b before the extension ends", s.AcquireLease(ctx(t), "refresher", "b", at(2*time.Minute-time.Microsecond), at(3*time.Minute)), store.ErrLeaseHeld)
	is(t, "b when it ended", s.AcquireLease(ctx(t), "refresher", "b", at(2*time.Minute), at(3*time.Minute)), nil)
	is(t, "a after losing it", s.AcquireLease(ctx(t), "refresher", "a", at(2*time.Minute), at(3*time.Minute)), store.ErrLeaseHeld)

	is(t, "a releases what b holds", s.ReleaseLease(ctx(t), "refresher", "a"), nil)
	is(t, "c after a's release", s.AcquireLease(ctx(t), "refresher", "c", at(2*time.Minute), at(3*time.Minute)), store.ErrLeaseHeld)
	is(t, "b releases", s.ReleaseLease(ctx(t), "refresher", "b"), nil)
	is(t, "c after b's release", s.AcquireLease(ctx(t), "refresher", "c", at(2*time.Minute), at(3*time.Minute)), nil)
	is(t, "release unknown", s.ReleaseLease(ctx(t), "nothing", "a"), nil)
}

func testLeaseConcurrent(t *testing.T, s store.Store) {
	name := func(r int) string { return fmt.Sprintf("lease-%d", r) }
	owner := func(g int) string { return fmt.Sprintf("owner-%d", g) }
	errs := raceEach(func(r, g int) error { return s.AcquireLease(ctx(t), name(r), owner(g), t0, at(time.Minute)) })
	for r, w := range exactlyOneWins(t, errs, store.ErrLeaseHeld) {
		if w < 0 {
			continue
		}
		is(t, "winner extends", s.AcquireLease(ctx(t), name(r), owner(w), t0, at(time.Minute)), nil)
		is(t, "loser after the race", s.AcquireLease(ctx(t), name(r), owner((w+1)%contenders), t0, at(time.Minute)), store.ErrLeaseHeld)
	}
}

func testAuditSearch(t *testing.T, s store.Store) {
	for i, e := range []struct{ p, a string }{
		{"p", "grant.connected"}, {"q", "grant.refreshed"}, {"p", "grant.stale"},
		{"p", "client.registered"}, {"", "keys.rotated"}, {"p", "grant_x"},
	} {
		is(t, "append", s.AppendAudit(ctx(t), store.AuditEvent{Time: at(time.Duration(i) * time.Hour), Principal: e.p, Action: e.a, Detail: fmt.Sprint(i)}), nil)
	}
	details := func(es []store.AuditEvent) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Detail)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    store.AuditQuery
		want []string
	}{
		{"all", store.AuditQuery{}, []string{"5", "4", "3", "2", "1", "0"}},
		{"principal", store.AuditQuery{Principal: "p"}, []string{"5", "3", "2", "0"}},
		{"action", store.AuditQuery{Action: "grant.stale"}, []string{"2"}},
		{"action prefix", store.AuditQuery{Action: "grant.*"}, []string{"2", "1", "0"}},
		{"prefix is not a LIKE pattern", store.AuditQuery{Action: "grant_*"}, []string{"5"}},
		{"since (inclusive)", store.AuditQuery{Since: at(3 * time.Hour)}, []string{"5", "4", "3"}},
		{"all filters", store.AuditQuery{Principal: "p", Action: "grant.*", Since: at(time.Hour)}, []string{"2"}},
		{"limit", store.AuditQuery{Limit: 2}, []string{"5", "4"}},
		{"no match", store.AuditQuery{Principal: "q", Action: "grant.stale"}, nil},
	} {
		es, err := s.SearchAudit(ctx(t), tc.q)
		is(t, tc.name, err, nil)
		if got := details(es); !slices.Equal(got, tc.want) {
			t.Errorf("%s: events %q, want %q", tc.name, got, tc.want)
		}
	}
}

func testClientUsage(t *testing.T, s store.Store) {
	cs, err := s.ListClientUsage(ctx(t), t0)
	is(t, "list empty", err, nil)
	if len(cs) != 0 {
		t.Errorf("empty store lists %d clients", len(cs))
	}
	reg := store.Client{ID: "reg", Metadata: []byte(`{"client_name":"Registered"}`), CreatedAt: at(-time.Hour), LastUsedAt: at(-time.Minute)}
	idle := store.Client{ID: "idle", Metadata: []byte(`{}`), CreatedAt: at(-time.Hour), ExpiresAt: at(time.Hour)}
	lapsed := store.Client{ID: "lapsed", Metadata: []byte(`{}`), CreatedAt: at(-2 * time.Hour), ExpiresAt: at(-time.Hour)}
	for _, c := range []store.Client{reg, idle, lapsed} {
		is(t, "create "+c.ID, s.CreateClient(ctx(t), c), nil)
	}
	tok := func(hash, client, principal string, created, expires time.Duration) store.Token {
		tk := newToken(hash, store.AccessToken, "f-"+hash, principal, expires)
		tk.ClientID, tk.CreatedAt = client, at(created)
		return tk
	}
	const doc = "https://client.example/meta.json"
	createTokens(t, s,
		tok("r1", "reg", "mcp:1", -30*time.Minute, time.Hour),
		tok("r2", "reg", "mcp:2", -10*time.Minute, time.Hour),
		tok("r3", "reg", "mcp:2", -5*time.Minute, time.Hour),
		tok("r-revoked", "reg", "mcp:3", -time.Minute, time.Hour),
		tok("d1", doc, "mcp:4", -20*time.Minute, time.Hour),
		tok("gone", "lapsed", "mcp:5", -90*time.Minute, -time.Minute), // expired: lapsed stays unlisted
	)
	is(t, "revoke", s.RevokeToken(ctx(t), "r-revoked"), nil)
	for i, a := range []store.Approval{
		{ID: "a1", ClientID: "reg", Scope: "read", CreatedAt: t0, ExpiresAt: at(time.Hour)},
		{ID: "a2", ClientID: "reg", Scope: "read", CreatedAt: t0, ExpiresAt: at(-time.Second)}, // expired
		{ID: "a3", ClientID: "https://approved.example/c", Scope: "read", CreatedAt: t0, ExpiresAt: at(time.Hour)},
	} {
		is(t, fmt.Sprint("approval ", i), s.CreateApproval(ctx(t), a), nil)
	}

	cs, err = s.ListClientUsage(ctx(t), t0)
	is(t, "list", err, nil)
	same(t, "clients", cs, []store.ClientUsage{
		{ID: "https://approved.example/c", Approvals: 1},
		{ID: doc, LastTokenAt: at(-20 * time.Minute), Tokens: 1, Principals: 1},
		{ID: "idle", Registered: true, Metadata: idle.Metadata, CreatedAt: idle.CreatedAt, ExpiresAt: idle.ExpiresAt},
		{ID: "reg", Registered: true, Metadata: reg.Metadata, CreatedAt: reg.CreatedAt, LastUsedAt: reg.LastUsedAt,
			LastTokenAt: at(-time.Minute), Approvals: 1, Tokens: 3, Principals: 2},
	})

	// Revoking the client's tokens and approvals leaves only its
	// registration; revoking twice revokes nothing new.
	n, ps, err := s.RevokeClientTokens(ctx(t), "reg")
	is(t, "revoke client tokens", err, nil)
	if n != 3 || !slices.Equal(ps, []string{"mcp:1", "mcp:2", "mcp:3"}) {
		t.Errorf("revoked %d tokens of %q, want 3 of mcp:1, mcp:2, mcp:3", n, ps)
	}
	n, ps, err = s.RevokeClientTokens(ctx(t), "reg")
	is(t, "revoke again", err, nil)
	if n != 0 || len(ps) != 3 {
		t.Errorf("again: revoked %d tokens of %q, want 0 of the same 3", n, ps)
	}
	_, err = s.GetToken(ctx(t), "d1", t0)
	is(t, "another client's token", err, nil)
	na, err := s.DeleteClientApprovals(ctx(t), "reg")
	is(t, "delete approvals", err, nil)
	if na != 2 {
		t.Errorf("deleted %d approvals, want 2 (live and expired)", na)
	}
	_, err = s.GetApproval(ctx(t), "a3", t0)
	is(t, "another client's approval", err, nil)
	cs, err = s.ListClientUsage(ctx(t), t0)
	is(t, "list after revoke", err, nil)
	if len(cs) != 4 || cs[3].ID != "reg" || cs[3].Tokens != 0 || cs[3].Approvals != 0 || !cs[3].Registered {
		t.Errorf("after revoking reg: %+v", cs)
	}
}

func testTokenHolders(t *testing.T, s store.Store) {
	tok := func(hash, client, resource string, kind store.TokenKind, created time.Duration) store.Token {
		tk := newToken(hash, kind, "f", "mcp:1", time.Hour)
		tk.ClientID, tk.Resource, tk.CreatedAt = client, resource, at(created)
		return tk
	}
	createTokens(t, s,
		tok("a1", "c2", "https://l.example/mcp", store.AccessToken, -3*time.Minute),
		tok("r1", "c2", "https://l.example/mcp", store.RefreshToken, -2*time.Minute),
		tok("a2", "c1", "https://l.example/mcp/acme", store.AccessToken, -time.Minute),
		tok("spent", "c1", "https://l.example/mcp/acme", store.RefreshToken, -time.Second),
		tok("revoked", "c3", "https://l.example/mcp", store.AccessToken, 0),
	)
	other := newToken("other", store.AccessToken, "g", "mcp:2", time.Hour)
	createTokens(t, s, other)
	_, err := s.UseRefreshToken(ctx(t), "spent", t0, "seed")
	is(t, "spend", err, nil)
	is(t, "revoke", s.RevokeToken(ctx(t), "revoked"), nil)

	hs, err := s.ListTokenHolders(ctx(t), "mcp:1", t0)
	is(t, "holders", err, nil)
	same(t, "holders", hs, []store.TokenHolder{
		{Principal: "mcp:1", ClientID: "c1", Resource: "https://l.example/mcp/acme", Tokens: 1, LastIssuedAt: at(-time.Minute)},
		{Principal: "mcp:1", ClientID: "c2", Resource: "https://l.example/mcp", Tokens: 2, LastIssuedAt: at(-2 * time.Minute)},
	})
	hs, err = s.ListTokenHolders(ctx(t), "mcp:1", at(time.Hour))
	is(t, "holders at expiry", err, nil)
	if len(hs) != 0 {
		t.Errorf("expired tokens still held: %+v", hs)
	}
}
