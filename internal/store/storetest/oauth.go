package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

func testClientCRUD(t *testing.T, s store.Store) {
	_, err := s.GetClient(ctx(t), "c1", t0)
	is(t, "get unknown", err, store.ErrNotFound)

	// Zero ExpiresAt: never expires.
	in := store.Client{ID: "c1", SecretHash: []byte("secret-hash"), Metadata: []byte(`{"client_name":"Claude"}`), CreatedAt: t0}
	is(t, "create", s.CreateClient(ctx(t), in), nil)
	dup := in
	dup.Metadata = []byte(`{}`)
	is(t, "create duplicate", s.CreateClient(ctx(t), dup), store.ErrAlreadyExists)

	got, err := s.GetClient(ctx(t), "c1", t0)
	is(t, "get", err, nil)
	same(t, "client", got, in)
	got, err = s.GetClient(ctx(t), "c1", at(100*365*24*time.Hour))
	is(t, "get a century later", err, nil)
	same(t, "client a century later", got, in)

	// Touch with zero expiresAt keeps "never".
	is(t, "touch", s.TouchClient(ctx(t), "c1", at(time.Minute), time.Time{}), nil)
	got, err = s.GetClient(ctx(t), "c1", at(time.Minute))
	is(t, "get after touch", err, nil)
	want := in
	want.LastUsedAt = at(time.Minute)
	same(t, "touched client", got, want)

	public := store.Client{ID: "public", Metadata: []byte(`{}`), CreatedAt: t0}
	is(t, "create public client", s.CreateClient(ctx(t), public), nil)
	got, err = s.GetClient(ctx(t), "public", t0)
	is(t, "get public client", err, nil)
	same(t, "public client", got, public)
	if got.SecretHash != nil && len(got.SecretHash) != 0 {
		t.Errorf("public client has SecretHash %q", got.SecretHash)
	}

	is(t, "delete", s.DeleteClient(ctx(t), "c1"), nil)
	_, err = s.GetClient(ctx(t), "c1", t0)
	is(t, "get deleted", err, store.ErrNotFound)
	is(t, "delete again", s.DeleteClient(ctx(t), "c1"), store.ErrNotFound)
	is(t, "touch deleted", s.TouchClient(ctx(t), "c1", t0, time.Time{}), store.ErrNotFound)
}

func testClientExpiry(t *testing.T, s store.Store) {
	in := store.Client{ID: "c", Metadata: []byte(`{}`), CreatedAt: t0, ExpiresAt: at(time.Hour)}
	is(t, "create", s.CreateClient(ctx(t), in), nil)
	got, err := s.GetClient(ctx(t), "c", at(time.Hour-time.Microsecond))
	is(t, "get before expiry", err, nil)
	same(t, "client", got, in)
	_, err = s.GetClient(ctx(t), "c", at(time.Hour))
	is(t, "get at expiry", err, store.ErrNotFound)

	// Use moves the expiry.
	is(t, "touch", s.TouchClient(ctx(t), "c", at(30*time.Minute), at(2*time.Hour)), nil)
	got, err = s.GetClient(ctx(t), "c", at(time.Hour))
	is(t, "get after touch", err, nil)
	want := in
	want.LastUsedAt, want.ExpiresAt = at(30*time.Minute), at(2*time.Hour)
	same(t, "touched client", got, want)

	// A lapsed registration is not revived by use.
	is(t, "touch expired", s.TouchClient(ctx(t), "c", at(2*time.Hour), at(3*time.Hour)), store.ErrNotFound)
	_, err = s.GetClient(ctx(t), "c", at(2*time.Hour))
	is(t, "get after touching expired", err, store.ErrNotFound)
}

func newCode(hash string, expires time.Duration) store.AuthCode {
	return store.AuthCode{Hash: hash, ClientID: "client-1", Principal: "mcp:g1", RedirectURI: "https://app.example/cb",
		CodeChallenge: "challenge", Resource: "https://lookout.example/mcp", Scope: "read", FamilyID: "fam-" + hash,
		CreatedAt: t0, ExpiresAt: at(expires)}
}

func testAuthCodeConsume(t *testing.T, s store.Store) {
	_, err := s.ConsumeAuthCode(ctx(t), "unknown", t0)
	is(t, "consume unknown", err, store.ErrNotFound)

	in := newCode("code-hash-secret", 10*time.Minute)
	is(t, "create", s.CreateAuthCode(ctx(t), in), nil)
	dup := newCode("code-hash-secret", time.Hour)
	dup.ClientID = "other"
	is(t, "create duplicate", s.CreateAuthCode(ctx(t), dup), store.ErrAlreadyExists)

	got, err := s.ConsumeAuthCode(ctx(t), in.Hash, at(time.Minute))
	is(t, "consume", err, nil)
	same(t, "consumed", got, in)

	// Reuse returns the code too, so the caller can revoke its family.
	got, err = s.ConsumeAuthCode(ctx(t), in.Hash, at(2*time.Minute))
	is(t, "consume again", err, store.ErrAlreadyUsed)
	same(t, "reused code", got, in)
	noLeak(t, err, in.Hash)

	// Expired, used or not: not found.
	_, err = s.ConsumeAuthCode(ctx(t), in.Hash, at(10*time.Minute))
	is(t, "consume used and expired", err, store.ErrNotFound)
	fresh := newCode("fresh", 10*time.Minute)
	is(t, "create", s.CreateAuthCode(ctx(t), fresh), nil)
	_, err = s.ConsumeAuthCode(ctx(t), "fresh", at(10*time.Minute))
	is(t, "consume at expiry", err, store.ErrNotFound)
}

func testAuthCodeGet(t *testing.T, s store.Store) {
	_, err := s.GetAuthCode(ctx(t), "unknown", t0)
	is(t, "get unknown", err, store.ErrNotFound)
	in := newCode("code-hash-secret", 10*time.Minute)
	is(t, "create", s.CreateAuthCode(ctx(t), in), nil)
	for range 2 { // reading does not use it
		got, err := s.GetAuthCode(ctx(t), in.Hash, at(time.Minute))
		is(t, "get", err, nil)
		same(t, "code", got, in)
	}
	_, err = s.ConsumeAuthCode(ctx(t), in.Hash, at(time.Minute))
	is(t, "consume after reads", err, nil)
	got, err := s.GetAuthCode(ctx(t), in.Hash, at(2*time.Minute))
	is(t, "get a used code", err, nil)
	same(t, "used code", got, in)
	_, err = s.GetAuthCode(ctx(t), in.Hash, at(10*time.Minute))
	is(t, "get at expiry", err, store.ErrNotFound)
	noLeak(t, err, in.Hash)
}

func testAuthCodeConsumeConcurrent(t *testing.T, s store.Store) {
	in := make([]store.AuthCode, records)
	for r := range in {
		in[r] = newCode(fmt.Sprintf("h%d", r), time.Hour)
		is(t, "create", s.CreateAuthCode(ctx(t), in[r]), nil)
	}
	got := make([][contenders]store.AuthCode, records)
	errs := raceEach(func(r, g int) (err error) {
		got[r][g], err = s.ConsumeAuthCode(ctx(t), in[r].Hash, t0)
		return err
	})
	exactlyOneWins(t, errs, store.ErrAlreadyUsed)
	for r := range got {
		for _, c := range got[r] { // losers get the code as well
			same(t, "code", c, in[r])
		}
	}
}

func newToken(hash string, kind store.TokenKind, family, principal string, expires time.Duration) store.Token {
	return store.Token{Hash: hash, Kind: kind, ClientID: "client-1", Principal: principal, FamilyID: family,
		Resource: "https://lookout.example/mcp", Scope: "read", CreatedAt: t0, ExpiresAt: at(expires)}
}

func createTokens(t *testing.T, s store.Store, ts ...store.Token) {
	t.Helper()
	for _, tok := range ts {
		is(t, "create token", s.CreateToken(ctx(t), tok), nil)
	}
}

func testTokenCreateGet(t *testing.T, s store.Store) {
	access := newToken("a1", store.AccessToken, "f", "p", time.Hour)
	refresh := newToken("r1", store.RefreshToken, "f", "p", 24*time.Hour)
	createTokens(t, s, access, refresh)
	dup := newToken("a1", store.RefreshToken, "g", "q", time.Hour)
	is(t, "create duplicate", s.CreateToken(ctx(t), dup), store.ErrAlreadyExists)

	for _, want := range []store.Token{access, refresh} {
		got, err := s.GetToken(ctx(t), want.Hash, t0)
		is(t, "get "+want.Hash, err, nil)
		same(t, "token "+want.Hash, got, want)
	}
	_, err := s.GetToken(ctx(t), "a1", at(time.Hour))
	is(t, "get at expiry", err, store.ErrNotFound)
	_, err = s.GetToken(ctx(t), "unknown", t0)
	is(t, "get unknown", err, store.ErrNotFound)
}

// GetTokenGrant reads a token with its principal's grant exactly as
// GetToken and GetGrant read them, and refuses what GetToken refuses.
func testTokenGrant(t *testing.T, s store.Store) {
	access := newToken("a1", store.AccessToken, "f", "p", time.Hour)
	orphan := newToken("a2", store.AccessToken, "g", "q", time.Hour)
	revoked := newToken("a3", store.AccessToken, "h", "p", time.Hour)
	createTokens(t, s, access, orphan, revoked)
	is(t, "revoke", s.RevokeToken(ctx(t), "a3"), nil)
	g := described("p", "42", at(30*time.Minute))
	g.CreatedAt = t0
	_, err := s.PutGrant(ctx(t), g)
	is(t, "put grant", err, nil)
	is(t, "touch", s.TouchGrant(ctx(t), "p", at(time.Minute)), nil)
	wantGrant, err := s.GetGrant(ctx(t), "p")
	is(t, "get grant", err, nil)

	got, err := s.GetTokenGrant(ctx(t), "a1", t0)
	is(t, "get a1 with grant", err, nil)
	same(t, "token a1", got.Token, access)
	same(t, "grant of a1", got.Grant, wantGrant)
	if !got.HasGrant {
		t.Error("a1: HasGrant false")
	}

	got, err = s.GetTokenGrant(ctx(t), "a2", t0)
	is(t, "get a2, whose principal has no grant", err, nil)
	same(t, "token a2", got.Token, orphan)
	if got.HasGrant || !reflect.DeepEqual(got.Grant, store.Grant{}) {
		t.Errorf("a2: HasGrant %v, grant %+v; want none", got.HasGrant, got.Grant)
	}

	// An undescribed grant (written before the metadata columns) comes back
	// undescribed, zero metadata and all.
	_, err = s.PutGrant(ctx(t), store.Grant{Principal: "q", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
	is(t, "put undescribed", err, nil)
	got, err = s.GetTokenGrant(ctx(t), "a2", t0)
	is(t, "get a2 with its undescribed grant", err, nil)
	if !got.HasGrant || got.Grant.Described || got.Grant.Principal != "q" || got.Grant.Version != 1 || !got.Grant.ExpiresAt.IsZero() {
		t.Errorf("a2: %+v", got)
	}

	for _, c := range []struct {
		hash string
		now  time.Time
	}{{"a1", at(time.Hour)}, {"a3", t0}, {"unknown", t0}} {
		_, err := s.GetTokenGrant(ctx(t), c.hash, c.now)
		is(t, "get "+c.hash+" (expired, revoked or unknown)", err, store.ErrNotFound)
	}
}

// GetTokenGrant answers every bearer check, so a backend may keep its
// answers for a moment (sqlstore does); whatever it keeps, a write made
// through the same store is seen by the very next read: a revoked token is
// refused, a removed grant is gone, a refreshed grant is the new one.
func testTokenGrantSeesWrites(t *testing.T, s store.Store) {
	principals := map[string]string{"revoke": "p1", "family": "p2", "principal": "p3", "client": "p4", "put": "p5", "swap": "p6", "delete": "p7"}
	for _, p := range principals {
		tok := newToken("tok-"+p, store.AccessToken, "fam-"+p, p, time.Hour)
		tok.ClientID = "client-" + p
		createTokens(t, s, tok)
		_, err := s.PutGrant(ctx(t), described(p, "42", at(time.Hour)))
		is(t, "put grant of "+p, err, nil)
	}
	read := func(p string) (store.TokenGrant, error) {
		t.Helper()
		return s.GetTokenGrant(ctx(t), "tok-"+p, t0)
	}
	for what, write := range map[string]func(p string) error{
		"revoke":    func(p string) error { return s.RevokeToken(ctx(t), "tok-"+p) },
		"family":    func(p string) error { _, err := s.RevokeFamily(ctx(t), "fam-"+p); return err },
		"principal": func(p string) error { _, err := s.RevokePrincipal(ctx(t), p); return err },
		"client":    func(p string) error { _, _, err := s.RevokeClientTokens(ctx(t), "client-"+p); return err },
		"delete":    func(p string) error { return s.DeleteGrant(ctx(t), p) },
	} {
		p := principals[what]
		for range 2 { // a second read may be served from what the first kept
			if _, err := read(p); err != nil {
				t.Fatalf("%s: read before: %v", what, err)
			}
		}
		is(t, what, write(p), nil)
		got, err := read(p)
		if what == "delete" {
			is(t, "read after delete", err, nil)
			if got.HasGrant {
				t.Errorf("after DeleteGrant: the token still comes with grant %+v", got.Grant)
			}
			continue
		}
		is(t, "read after "+what, err, store.ErrNotFound)
	}

	for what, write := range map[string]func(g store.Grant) (store.Grant, error){
		"put": func(g store.Grant) (store.Grant, error) {
			g.Ciphertext = []byte("refreshed")
			return s.PutGrant(ctx(t), g)
		},
		"swap": func(g store.Grant) (store.Grant, error) {
			g.Ciphertext = []byte("refreshed")
			return s.SwapGrant(ctx(t), g)
		},
	} {
		p := principals[what]
		before, err := read(p)
		is(t, what+": read before", err, nil)
		_, _ = read(p)
		after, err := write(before.Grant)
		is(t, what, err, nil)
		got, err := read(p)
		is(t, what+": read after", err, nil)
		if got.Grant.Version != after.Version || string(got.Grant.Ciphertext) != "refreshed" {
			t.Errorf("after %s: read version %d %q, want version %d %q", what, got.Grant.Version, got.Grant.Ciphertext, after.Version, "refreshed")
		}
	}
}

func testTokenRevoke(t *testing.T, s store.Store) {
	createTokens(t, s, newToken("a1", store.AccessToken, "f", "p", time.Hour), newToken("a2", store.AccessToken, "f", "p", time.Hour))
	is(t, "revoke", s.RevokeToken(ctx(t), "a1"), nil)
	_, err := s.GetToken(ctx(t), "a1", t0)
	is(t, "get revoked", err, store.ErrNotFound)
	_, err = s.GetToken(ctx(t), "a2", t0)
	is(t, "get the other token", err, nil)
	is(t, "revoke again", s.RevokeToken(ctx(t), "a1"), nil)
	is(t, "revoke unknown", s.RevokeToken(ctx(t), "unknown"), store.ErrNotFound)
}

func testTokenUseRefresh(t *testing.T, s store.Store) {
	refresh := newToken("refresh-hash-secret", store.RefreshToken, "f", "p", time.Hour)
	createTokens(t, s, refresh,
		newToken("access", store.AccessToken, "f", "p", time.Hour),
		newToken("revoked", store.RefreshToken, "f", "p", time.Hour),
		newToken("expiring", store.RefreshToken, "f", "p", time.Minute))
	is(t, "revoke", s.RevokeToken(ctx(t), "revoked"), nil)

	got, err := s.GetToken(ctx(t), refresh.Hash, t0)
	is(t, "get unused", err, nil)
	same(t, "unused token", got, refresh)
	got, err = s.UseRefreshToken(ctx(t), refresh.Hash, t0, "seed-1")
	is(t, "use", err, nil)
	used := refresh
	used.UsedAt, used.SuccessorSeed = t0, "seed-1"
	same(t, "used token", got, used)
	got, err = s.UseRefreshToken(ctx(t), refresh.Hash, at(time.Second), "seed-2")
	is(t, "reuse", err, store.ErrAlreadyUsed)
	same(t, "reused token (UsedAt and seed are the first use's)", got, used)
	noLeak(t, err, refresh.Hash, "seed-1")
	got, err = s.GetToken(ctx(t), refresh.Hash, at(time.Second))
	is(t, "get used", err, nil)
	same(t, "used token read back", got, used)

	_, err = s.UseRefreshToken(ctx(t), "access", t0, "s")
	is(t, "use an access token", err, store.ErrNotFound)
	_, err = s.UseRefreshToken(ctx(t), "revoked", t0, "s")
	is(t, "use a revoked token", err, store.ErrNotFound)
	_, err = s.UseRefreshToken(ctx(t), "expiring", at(time.Minute), "s")
	is(t, "use at expiry", err, store.ErrNotFound)
	_, err = s.UseRefreshToken(ctx(t), "unknown", t0, "s")
	is(t, "use unknown", err, store.ErrNotFound)

	// Reuse after the family was revoked: gone.
	_, err = s.RevokeFamily(ctx(t), "f")
	is(t, "revoke family", err, nil)
	_, err = s.UseRefreshToken(ctx(t), refresh.Hash, at(2*time.Second), "s")
	is(t, "reuse after revocation", err, store.ErrNotFound)
}

func testTokenUseRefreshConcurrent(t *testing.T, s store.Store) {
	in := make([]store.Token, records)
	for r := range in {
		in[r] = newToken(fmt.Sprintf("r%d", r), store.RefreshToken, "f", "p", time.Hour)
		createTokens(t, s, in[r])
	}
	got := make([][contenders]store.Token, records)
	errs := raceEach(func(r, g int) (err error) {
		got[r][g], err = s.UseRefreshToken(ctx(t), in[r].Hash, t0, fmt.Sprintf("seed-%d", g))
		return err
	})
	for r, w := range exactlyOneWins(t, errs, store.ErrAlreadyUsed) {
		if w < 0 {
			continue
		}
		want := in[r]
		want.UsedAt, want.SuccessorSeed = t0, fmt.Sprintf("seed-%d", w)
		for _, tok := range got[r] { // reuse returns the token, with the winner's seed
			same(t, "token", tok, want)
		}
	}
}

func testTokenRevokeFamily(t *testing.T, s store.Store) {
	createTokens(t, s,
		newToken("f1", store.AccessToken, "f", "p", time.Hour),
		newToken("f2", store.RefreshToken, "f", "p", time.Hour),
		newToken("f3", store.RefreshToken, "f", "p", time.Hour),
		newToken("g1", store.AccessToken, "g", "p", time.Hour))
	is(t, "revoke f3", s.RevokeToken(ctx(t), "f3"), nil)

	n, err := s.RevokeFamily(ctx(t), "f")
	is(t, "revoke family", err, nil)
	if n != 2 {
		t.Errorf("revoked %d, want the 2 not yet revoked", n)
	}
	for _, h := range []string{"f1", "f2"} {
		_, err := s.GetToken(ctx(t), h, t0)
		is(t, "get "+h, err, store.ErrNotFound)
	}
	_, err = s.GetToken(ctx(t), "g1", t0)
	is(t, "other family", err, nil)
	n, err = s.RevokeFamily(ctx(t), "f")
	is(t, "revoke family again", err, nil)
	if n != 0 {
		t.Errorf("revoking again revoked %d", n)
	}
	n, err = s.RevokeFamily(ctx(t), "unknown")
	is(t, "revoke unknown family", err, nil)
	if n != 0 {
		t.Errorf("revoking an unknown family revoked %d", n)
	}
}

func testTokenRevokePrincipal(t *testing.T, s store.Store) {
	var ts []store.Token
	for i := range 3 {
		ts = append(ts, newToken(fmt.Sprintf("p%d", i), store.AccessToken, fmt.Sprintf("f%d", i), "p", time.Hour))
	}
	ts = append(ts, newToken("q1", store.RefreshToken, "fq", "q", time.Hour))
	createTokens(t, s, ts...)
	is(t, "revoke p0", s.RevokeToken(ctx(t), "p0"), nil)

	n, err := s.RevokePrincipal(ctx(t), "p")
	is(t, "revoke principal", err, nil)
	if n != 2 {
		t.Errorf("revoked %d, want 2", n)
	}
	for _, h := range []string{"p1", "p2"} {
		_, err := s.GetToken(ctx(t), h, t0)
		is(t, "get "+h, err, store.ErrNotFound)
	}
	got, err := s.UseRefreshToken(ctx(t), "q1", t0, "seed")
	is(t, "other principal's refresh token", err, nil)
	want := ts[3]
	want.UsedAt, want.SuccessorSeed = t0, "seed"
	same(t, "q1", got, want)
	n, err = s.RevokePrincipal(ctx(t), "p")
	is(t, "revoke principal again", err, nil)
	if n != 0 {
		t.Errorf("revoking again revoked %d", n)
	}
}

func testApprovalCRUD(t *testing.T, s store.Store) {
	_, err := s.GetApproval(ctx(t), "a", t0)
	is(t, "get unknown", err, store.ErrNotFound)
	in := store.Approval{ID: "a", ClientID: "c", Scope: "read write", Resource: "https://lookout.example/mcp/acme",
		RedirectURI: "http://127.0.0.1/cb", CreatedAt: t0, ExpiresAt: at(30 * 24 * time.Hour)}
	is(t, "create", s.CreateApproval(ctx(t), in), nil)
	dup := in
	dup.Scope = "admin"
	is(t, "create duplicate", s.CreateApproval(ctx(t), dup), store.ErrAlreadyExists)

	got, err := s.GetApproval(ctx(t), "a", t0)
	is(t, "get", err, nil)
	same(t, "approval", got, in)
	_, err = s.GetApproval(ctx(t), "a", in.ExpiresAt)
	is(t, "get at expiry", err, store.ErrNotFound)

	is(t, "delete", s.DeleteApproval(ctx(t), "a"), nil)
	_, err = s.GetApproval(ctx(t), "a", t0)
	is(t, "get deleted", err, store.ErrNotFound)
	is(t, "delete again", s.DeleteApproval(ctx(t), "a"), store.ErrNotFound)
}
