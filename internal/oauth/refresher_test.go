package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// TestSentryRefreshInVault wires Sentry.Refresh into a real vault: the
// refresh token is spent once however many callers need a fresh token, and
// only Sentry's refusal marks the grant stale.
func TestSentryRefreshInVault(t *testing.T) {
	tests := []struct {
		name      string
		respond   func(w http.ResponseWriter, form url.Values)
		wantErr   error // nil: success
		wantStale bool
	}{
		{"rotates", func(w http.ResponseWriter, _ url.Values) {
			writeJSON(w, 200, sentryTokenResponse(newAccess, newRefresh))
		}, nil, false},
		{"refused", func(w http.ResponseWriter, _ url.Values) {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
		}, vault.ErrStale, true},
		{"unavailable", func(w http.ResponseWriter, _ url.Values) {
			writeJSON(w, 503, map[string]string{"detail": bodyMarker})
		}, vault.ErrUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			te := newTokenEndpoint(t, tt.respond)
			key := vault.Key{ID: "k1", Secret: secret.FromBytes(randomKey())}
			kr, err := vault.NewKeyring(key)
			if err != nil {
				t.Fatal(err)
			}
			v := vault.New(storetest.SQLite(t), kr, vault.Options{
				Refresher: te.sentry().Refresh, Sentry: sentry.Options{BaseURL: "http://127.0.0.1:1"},
			})
			t.Cleanup(func() { v.Close(context.Background()) })
			const who = "slack:T1:U1"
			if _, err := v.Put(ctx, vault.Grant{Principal: who, Token: vault.NewToken(testAccess, testRefresh, time.Now().Add(10*time.Second))}); err != nil {
				t.Fatal(err)
			}

			const n = 20
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { _, _, errs[i] = v.Client(ctx, who) })
			}
			wg.Wait()

			// A failed refresh is not retried by those waiting on it; a
			// caller arriving after it failed may try again.
			if got := len(te.requests()); got < 1 || (tt.name != "unavailable" && got != 1) {
				t.Errorf("%d token requests for %d concurrent refreshes", got, n)
			}
			for _, r := range te.requests() {
				if r.Get("refresh_token") != testRefresh {
					t.Errorf("refreshed with %q", r.Get("refresh_token"))
				}
			}
			for i, err := range errs {
				switch {
				case tt.name == "rotates" && err != nil:
					t.Errorf("caller %d: %v", i, err)
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Errorf("caller %d: err = %v, want %v", i, err, tt.wantErr)
				}
				assertNoSecrets(t, err)
			}
			st, err := v.Status(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			if st.Stale != tt.wantStale {
				t.Errorf("grant stale = %v, want %v", st.Stale, tt.wantStale)
			}
			if tt.name == "rotates" && (st.RefreshedAt.IsZero() || st.Expiry.Before(time.Now().Add(time.Hour))) {
				t.Errorf("rotated grant not stored: %+v", st)
			}
		})
	}
}

func randomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}
