package sqlstore

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// DefaultTokenCacheTTL is how long GetTokenGrant keeps what it read.
//
// Every MCP request is a bearer check, and the bearer check is one read of
// the token joined with its grant: for a client that sends calls back to
// back, the same row, read again and again. The cache keeps each answer for
// at most this long. A write that changes tokens or grants through this
// Store (a revocation, a disconnect, a refresh, a re-key) drops every
// answer at once, so this process sees its own writes at the next call; a
// write by another process (another replica, `lookout admin`) is seen
// within this long. That delay is the whole cost, and it is why the TTL is
// a second and not a minute.
const DefaultTokenCacheTTL = time.Second

// maxCachedTokens bounds the cache: past it, expired answers are dropped,
// and if that is not enough, all of them.
const maxCachedTokens = 10_000

// tokenCache holds GetTokenGrant's answers by token hash. An answer is
// good while its generation is current and its time is not up; a write
// bumps the generation after it committed. An answer read before a write
// committed therefore carries an older generation and is never served
// after the bump. A hit still checks the token's own expiry against the
// caller's clock, as the query does.
type tokenCache struct {
	ttl   time.Duration
	clock func() time.Time // time.Now; the TTL's clock, not the caller's
	gen   atomic.Uint64

	mu      sync.Mutex
	answers map[string]cachedTokenGrant
}

type cachedTokenGrant struct {
	tg    store.TokenGrant
	gen   uint64
	until time.Time // by clock: the caller's now (a test's fake clock) does not extend it
}

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, clock: time.Now, answers: make(map[string]cachedTokenGrant)}
}

// SetTokenCacheTTL sets how long GetTokenGrant's answers are kept
// (default DefaultTokenCacheTTL; 0 turns the cache off: every bearer check
// reads the database). Call it before the store is used.
func (s *Store) SetTokenCacheTTL(d time.Duration) {
	s.tokens.ttl = max(d, 0)
}

// get returns the answer for hash if it may still be served at now.
func (c *tokenCache) get(hash string, now time.Time) (store.TokenGrant, bool, uint64) {
	gen := c.gen.Load()
	if c.ttl == 0 {
		return store.TokenGrant{}, false, gen
	}
	c.mu.Lock()
	a, ok := c.answers[hash]
	c.mu.Unlock()
	if !ok || a.gen != gen || !c.clock().Before(a.until) || !a.tg.Token.ExpiresAt.After(now) {
		return store.TokenGrant{}, false, gen
	}
	return a.tg, true, gen
}

// put keeps tg, read when the generation was gen.
func (c *tokenCache) put(hash string, tg store.TokenGrant, gen uint64) {
	if c.ttl == 0 {
		return
	}
	now := c.clock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.answers) >= maxCachedTokens {
		for h, a := range c.answers {
			if a.gen != c.gen.Load() || !now.Before(a.until) {
				delete(c.answers, h)
			}
		}
		if len(c.answers) >= maxCachedTokens {
			clear(c.answers)
		}
	}
	c.answers[hash] = cachedTokenGrant{tg: tg, gen: gen, until: now.Add(c.ttl)}
}

// drop makes every answer read so far unservable. Writers call it after
// their write, whether or not it succeeded: a failed commit may still have
// changed the row.
func (c *tokenCache) drop() {
	c.gen.Add(1)
}
