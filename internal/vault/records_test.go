package vault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Records shows every grant with its state, including those that cannot be
// opened, and never a token; RecordsOf shows a Sentry user only the grants
// sealed as theirs.
func TestRecords(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		ctx := context.Background()
		s := newStore(t)
		k1, lost := newKey(t, "k1"), newKey(t, "lost")
		v := newVault(t, s, vault.Options{}, k1)
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		for _, p := range []string{"mcp:a", "slack:T1:U1", "mcp:stale"} {
			if _, err := v.Put(ctx, sampleGrant(p, 1, exp)); err != nil {
				t.Fatal(err)
			}
		}
		if err := v.MarkStale(ctx, "mcp:stale", "test"); err != nil {
			t.Fatal(err)
		}
		other := sampleGrant("mcp:other-user", 1, exp)
		other.User = vault.SentryUser{ID: "7"}
		if _, err := v.Put(ctx, other); err != nil {
			t.Fatal(err)
		}
		// Sealed under a key this vault lacks.
		if _, err := newVault(t, s, vault.Options{}, lost).Put(ctx, sampleGrant("mcp:lost-key", 1, exp)); err != nil {
			t.Fatal(err)
		}
		// User 7's sealed grant, with plain metadata claiming user 42.
		row, err := s.GetGrant(ctx, "mcp:other-user")
		if err != nil {
			t.Fatal(err)
		}
		forged := row
		forged.Principal, forged.SentryUserID = "mcp:forged", "42"
		if _, err := s.PutGrant(ctx, forged); err != nil {
			t.Fatal(err)
		}
		before, err := s.ListAudit(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}

		var all []vault.Record
		for after := ""; ; {
			page, err := v.Records(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			after = page[len(page)-1].Principal
		}
		states := map[string]string{}
		for _, r := range all {
			states[r.Principal] = r.State()
		}
		want := map[string]string{
			"mcp:a": vault.StateActive, "slack:T1:U1": vault.StateActive, "mcp:stale": vault.StateStale,
			"mcp:other-user": vault.StateActive, "mcp:lost-key": vault.StateKeyMissing, "mcp:forged": vault.StateUndecryptable,
		}
		if fmt.Sprint(states) != fmt.Sprint(want) {
			t.Errorf("states %v, want %v", states, want)
		}
		for _, r := range all {
			if r.Principal == "mcp:a" && (!r.Expiry.Equal(exp) || r.User.Email != "alice@example.com" || r.KeyID != "k1" ||
				!slices.Equal(r.Scopes, []string{"org:read", "event:read"}) || r.CreatedAt.IsZero()) {
				t.Errorf("mcp:a: %+v", r)
			}
			if r.Principal == "mcp:lost-key" && r.KeyID != "lost" {
				t.Errorf("a grant under a missing key shows key %q", r.KeyID)
			}
		}
		out, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		a, rt := values(sampleGrant("mcp:a", 1, exp))
		if bytes.Contains(out, []byte(a)) || bytes.Contains(out, []byte(rt)) || bytes.Contains(out, []byte("access_")) {
			t.Fatalf("records show a token: %s", out)
		}
		after, err := s.ListAudit(ctx, "", 0)
		if err != nil || len(after) != len(before) {
			t.Errorf("listing wrote %d audit events (%v): listing is not using", len(after)-len(before), err)
		}

		mine, err := v.RecordsOf(ctx, "42")
		if err != nil {
			t.Fatal(err)
		}
		var ps []string
		for _, r := range mine {
			ps = append(ps, r.Principal)
		}
		// Not the forged row, not the row under a missing key, not user 7's.
		if want := []string{"mcp:a", "mcp:stale", "slack:T1:U1"}; !slices.Equal(ps, want) {
			t.Errorf("RecordsOf(42) = %q, want %q", ps, want)
		}
		if rs, err := v.RecordsOf(ctx, ""); err != nil || len(rs) != 0 {
			t.Errorf("RecordsOf(\"\") = %v %v", rs, err)
		}
		for p, want := range map[string]bool{"mcp:a": true, "mcp:other-user": false} {
			if got, err := v.Owner(ctx, p, "42"); err != nil || got != want {
				t.Errorf("Owner(%s, 42) = %v %v, want %v", p, got, err, want)
			}
		}
		if _, err := v.Owner(ctx, "mcp:forged", "42"); !errors.Is(err, vault.ErrUnavailable) {
			t.Errorf("Owner of an unopenable grant: %v, want ErrUnavailable", err)
		}
		if _, err := v.Owner(ctx, "mcp:none", "42"); !errors.Is(err, vault.ErrNoGrant) {
			t.Errorf("Owner of no grant: %v, want ErrNoGrant", err)
		}

		if ids := v.Keys(); !slices.Equal(ids, []string{"k1"}) {
			t.Errorf("Keys = %q", ids)
		}
	})
}

// Using a grant records its last use, in the background and at most once
// a minute per grant: not a store write per tool call.
func TestClientRecordsLastUseOncePerMinute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{}
	s := storetest.NewFaulty(storetest.SQLite(t))
	key := newKey(t, "k1")
	opts := vault.Options{Now: c.now, Sentry: sentry.Options{BaseURL: "https://sentry.example"}}
	v := vault.New(s, mustKeyring(t, key), opts)
	if _, err := v.Put(ctx, sampleGrant("mcp:p", 1, time.Now().Add(24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, _, err := v.Client(ctx, "mcp:p"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the last use recorded", func() bool {
		row, err := s.GetGrant(ctx, "mcp:p")
		return err == nil && !row.LastUsedAt.IsZero()
	})
	c.advance(vault.TouchInterval)
	for range 20 {
		if _, _, err := v.Client(ctx, "mcp:p"); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Close(ctx); err != nil { // waits for the background writes
		t.Fatal(err)
	}
	if n := s.Calls("TouchGrant"); n != 2 {
		t.Fatalf("%d last-use writes for 40 uses over two minutes, want 2", n)
	}
	row, err := s.GetGrant(ctx, "mcp:p")
	if err != nil || row.LastUsedAt.Before(c.now().Add(-time.Second)) {
		t.Fatalf("last use %v (%v), want about %v", row.LastUsedAt, err, c.now())
	}

	// A database that fails the write costs the caller nothing.
	s.Set(storetest.Fail, "TouchGrant")
	v2 := newVault(t, s, opts, key)
	if _, _, err := v2.Client(ctx, "mcp:p"); err != nil {
		t.Fatalf("Client with a failing last-use write: %v", err)
	}
	if err := v2.Close(ctx); err != nil || s.Calls("TouchGrant") != 3 {
		t.Fatalf("close %v; %d last-use writes, want the failed third", err, s.Calls("TouchGrant"))
	}
}

func mustKeyring(t *testing.T, keys ...vault.Key) *vault.Keyring {
	t.Helper()
	kr, err := vault.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}
