package sentry

import (
	"net/url"
	"testing"
	"time"
)

func TestRegionCachesPerPrincipalBoundedWithTTL(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	caches := NewRegionCaches(time.Minute, 2)
	caches.now = func() time.Time { return clock }
	de := &url.URL{Scheme: "https", Host: "de.sentry.io"}

	alice := caches.For("alice")
	alice.setOrg(de, "globex")
	if caches.For("alice") != alice || alice.org("globex") != "https://de.sentry.io" {
		t.Fatal("a principal's cache is not kept")
	}
	if caches.For("bob").org("globex") != "" {
		t.Fatal("bob sees what alice's calls learned")
	}
	clock = clock.Add(2 * time.Minute)
	if alice.org("globex") != "" {
		t.Error("an entry outlived the TTL")
	}
	caches.For("carol") // a third principal evicts the least recently used
	if len(caches.caches) != 2 {
		t.Errorf("%d caches kept, want at most 2", len(caches.caches))
	}
}
