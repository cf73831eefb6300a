package vault_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// rowOf reads principal's grant as a bearer check would have.
func rowOf(t *testing.T, s store.Store, principal string) store.Grant {
	t.Helper()
	row, err := s.GetGrant(context.Background(), principal)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// A client built from the row the bearer check read reads nothing more
// and decrypts the grant once, when its first Sentry request needs the
// token; checking the row decrypts nothing.
func TestClientOfReadsNothingAndDecryptsOnFirstUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	s := storetest.NewFaulty(storetest.SQLite(t))
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1")
	row := rowOf(t, s, "mcp:g1")
	reads, opened := s.Calls("GetGrant"), v.Stats().Opened

	if err := v.Check(ctx, row); err != nil {
		t.Fatalf("Check: %v", err)
	}
	c, err := v.ClientOf(ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.Stats().Opened - opened; n != 0 {
		t.Fatalf("%d decrypts before any Sentry request, want 0", n)
	}
	for range 2 {
		if _, err := c.WhoAmI(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.Stats().Opened - opened; n != 1 {
		t.Errorf("%d decrypts for two Sentry requests, want 1", n)
	}
	if n := s.Calls("GetGrant") - reads; n != 0 {
		t.Errorf("%d grant reads, want 0: the row was read already", n)
	}
}

// The row's plain metadata decides at the door, but what is sealed decides
// at use: a stale mark refuses the grant without a decrypt, and a row whose
// metadata was reset (by hand, or forged) still fails once opened.
func TestClientOfTrustsTheSealedGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	s := storetest.SQLite(t)
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1")
	if err := v.MarkStale(ctx, "mcp:g1", "test"); err != nil {
		t.Fatal(err)
	}
	row := rowOf(t, s, "mcp:g1")
	opened := v.Stats().Opened
	if err := v.Check(ctx, row); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("Check of a stale row: %v, want ErrStale", err)
	}
	if _, err := v.ClientOf(ctx, row); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("ClientOf a stale row: %v, want ErrStale", err)
	}
	if n := v.Stats().Opened - opened; n != 0 {
		t.Errorf("%d decrypts to refuse a row marked stale, want 0", n)
	}

	row.Stale = false // the metadata says usable; the sealed grant does not
	c, err := v.ClientOf(ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(ctx); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("request with a sealed stale grant: %v, want ErrStale", err)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d requests reached Sentry with a stale grant", n)
	}
}

// A row that does not open (tampered, or another principal's ciphertext)
// fails the call as ErrDecrypt, is audited, and is refused at the door
// from then on, until the grant is written again.
func TestClientOfRemembersARowThatDoesNotOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	s := storetest.SQLite(t)
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1")
	connect(t, fake, v, "mcp:g2")
	row := rowOf(t, s, "mcp:g1")
	row.Ciphertext = rowOf(t, s, "mcp:g2").Ciphertext
	if _, err := s.PutGrant(ctx, row); err != nil {
		t.Fatal(err)
	}
	row = rowOf(t, s, "mcp:g1")
	if err := v.Check(ctx, row); err != nil {
		t.Fatalf("Check before any use: %v", err)
	}
	c, err := v.ClientOf(ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(ctx); !errors.Is(err, vault.ErrDecrypt) || errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("request with another principal's ciphertext: %v, want ErrDecrypt", err)
	}
	assertAudit(t, s, "mcp:g1", vault.ActionConnected, vault.ActionDecryptFailed)
	if err := v.Check(ctx, row); !errors.Is(err, vault.ErrDecrypt) {
		t.Fatalf("Check after the failed open: %v, want ErrDecrypt", err)
	}
	connect(t, fake, v, "mcp:g1") // a reconnect writes it again
	if err := v.Check(ctx, rowOf(t, s, "mcp:g1")); err != nil {
		t.Fatalf("Check after a reconnect: %v", err)
	}
}

// A grant sealed under a key lookout lacks is trouble, not the user's
// fault: the call is unavailable and the row is not remembered as broken.
func TestClientOfMissingKeyIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.SQLite(t)
	if _, err := newVault(t, s, vault.Options{}, newKey(t, "k-old")).Put(ctx, sampleGrant("p", 1, time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	v := newVault(t, s, vault.Options{Sentry: sentry.Options{BaseURL: "https://sentry.example"}}, newKey(t, "k-new"))
	row := rowOf(t, s, "p")
	c, err := v.ClientOf(ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(ctx); errors.Is(err, vault.ErrStale) || !errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("request: %v, want ErrUnavailable", err)
	}
	if err := v.Check(ctx, row); err != nil {
		t.Fatalf("Check after a missing key: %v, want nil (not broken)", err)
	}
}

// A row whose metadata says the token is due is refreshed before the
// client is handed out, as Client does; the refreshed token is used.
func TestClientOfRefreshesADueGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true, AccessTokenTTL: 30 * time.Second})
	s := storetest.SQLite(t)
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1")
	before := fake.TokenCalls()["refresh_token"]
	row := rowOf(t, s, "mcp:g1")
	c, err := v.ClientOf(ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	if n := fake.TokenCalls()["refresh_token"] - before; n != 1 {
		t.Fatalf("%d refreshes for a token 30s from expiry, want 1", n)
	}
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	if after := rowOf(t, s, "mcp:g1"); !after.ExpiresAt.After(row.ExpiresAt) || after.Version <= row.Version {
		t.Errorf("stored grant after the refresh: expiry %v version %d, before %v version %d", after.ExpiresAt, after.Version, row.ExpiresAt, row.Version)
	}
}

// A use recorded within the last minute (by this process or another)
// needs no other write.
func TestClientOfTouchesOnlyAnOldLastUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true})
	s := storetest.NewFaulty(storetest.SQLite(t))
	v := sentryVault(t, fake, s, vault.Options{})
	connect(t, fake, v, "mcp:g1")
	if err := s.TouchGrant(ctx, "mcp:g1", time.Now().Add(-30*time.Second)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := v.ClientOf(ctx, rowOf(t, s, "mcp:g1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Calls("TouchGrant"); n != 1 {
		t.Errorf("%d last-use writes, want only the test's own", n)
	}
}
