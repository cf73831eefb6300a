package sqlstore_test

import (
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// The reads every tool call makes: the bearer token, then the grant.
// Run with -benchmem; the PostgreSQL ones need LOOKOUT_TEST_POSTGRES_URL.

func BenchmarkReadsSQLite(b *testing.B) { benchmarkReads(b, storetest.SQLiteTB(b)) }

func BenchmarkReadsPostgres(b *testing.B) { benchmarkReads(b, storetest.PostgresTB(b)) }

func benchmarkReads(b *testing.B, s store.Store) {
	ctx := b.Context()
	now := time.Now()
	if _, err := s.PutGrant(ctx, store.Grant{Principal: "p", KeyID: "k", Ciphertext: make([]byte, 512)}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateToken(ctx, store.Token{Hash: "h", Kind: store.AccessToken, ClientID: "c", Principal: "p",
		FamilyID: "f", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.Run("GetGrant", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetGrant(ctx, "p"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetToken", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetToken(ctx, "h", now); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The bearer check of an MCP request: both of the above in one read,
	// then the same check again within the token cache's TTL.
	getTokenGrant := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if tg, err := s.GetTokenGrant(ctx, "h", now); err != nil || !tg.HasGrant {
				b.Fatal(err)
			}
		}
	}
	ttl := s.(interface{ SetTokenCacheTTL(time.Duration) })
	ttl.SetTokenCacheTTL(0)
	b.Run("GetTokenGrant", getTokenGrant)
	ttl.SetTokenCacheTTL(time.Hour)
	b.Run("GetTokenGrantCached", getTokenGrant)
}
