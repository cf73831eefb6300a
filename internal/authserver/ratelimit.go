package authserver

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Registration is open and anonymous, and the token, authorize and connect
// endpoints and client metadata fetches cost a database write or an
// outbound request each, so each is limited per client address: a token
// bucket per address (IPv6 by /64, which one host usually holds whole),
// answered with 429 and Retry-After when empty. The buckets live in this
// process: with several replicas an address gets each replica's allowance,
// which still bounds it.

// RateLimit is a token bucket: Burst requests at once, then one every
// Every. A negative Burst turns the limit off.
type RateLimit struct {
	Burst int
	Every time.Duration
}

// RateLimits bound what one client address may ask of the server. Zero
// fields take the defaults below.
type RateLimits struct {
	Register      RateLimit // POST /oauth/register
	Token         RateLimit // POST /oauth/token and /oauth/revoke
	Authorize     RateLimit // /oauth/authorize, GET and POST
	Connect       RateLimit // /connect/sentry, GET and POST
	MetadataFetch RateLimit // Client ID Metadata Document fetches (cache misses)
}

// Default rate limits: far above what one person's clients need (one
// registration per client, a refresh an hour per client, a few sign-ins),
// far below what fills a database.
var (
	DefaultRegisterLimit      = RateLimit{Burst: 20, Every: 3 * time.Minute}
	DefaultTokenLimit         = RateLimit{Burst: 60, Every: 500 * time.Millisecond}
	DefaultAuthorizeLimit     = RateLimit{Burst: 30, Every: 2 * time.Second}
	DefaultConnectLimit       = RateLimit{Burst: 30, Every: 2 * time.Second}
	DefaultMetadataFetchLimit = RateLimit{Burst: 10, Every: 30 * time.Second}
)

func (l RateLimit) orDefault(d RateLimit) RateLimit {
	if l.Burst == 0 && l.Every == 0 {
		return d
	}
	return l
}

// maxBuckets bounds each limiter's map. When it is full, idle buckets (full
// again) go first, then random ones: an attacker with that many addresses
// can reset someone's bucket, but not grow lookout's memory.
const maxBuckets = 10000

// limiter is one RateLimit, per client address.
type limiter struct {
	limit rate.Limit
	burst int
	off   bool
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newLimiter(l RateLimit, now func() time.Time) *limiter {
	lim := &limiter{burst: l.Burst, off: l.Burst < 0, now: now, buckets: map[string]*rate.Limiter{}}
	if l.Every > 0 {
		lim.limit = rate.Every(l.Every)
	}
	return lim
}

// allow takes a token from key's bucket. When there is none it says how
// long until there is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l.off {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict makes room: idle buckets first, then random ones down to 3/4.
// l.mu is held.
func (l *limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets { // map order is random
		if len(l.buckets) <= maxBuckets*3/4 {
			break
		}
		delete(l.buckets, k)
	}
}

type limiters struct {
	register, token, authorize, connect, metadata *limiter
}

func newLimiters(l RateLimits, now func() time.Time) limiters {
	return limiters{
		register:  newLimiter(l.Register.orDefault(DefaultRegisterLimit), now),
		token:     newLimiter(l.Token.orDefault(DefaultTokenLimit), now),
		authorize: newLimiter(l.Authorize.orDefault(DefaultAuthorizeLimit), now),
		connect:   newLimiter(l.Connect.orDefault(DefaultConnectLimit), now),
		metadata:  newLimiter(l.MetadataFetch.orDefault(DefaultMetadataFetchLimit), now),
	}
}

type clientAddrKey struct{}

// clientAddr is the rate-limit key of the request ctx belongs to ("" when
// it did not pass through limited).
func clientAddr(ctx context.Context) string {
	k, _ := ctx.Value(clientAddrKey{}).(string)
	return k
}

// limited serves h within l for each client address; an empty bucket is a
// 429 with Retry-After, as JSON (api) or as lookout's page.
func (s *Server) limited(l *limiter, api bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := s.clientKey(r)
		ok, wait := l.allow(key)
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.log.WarnContext(r.Context(), "authserver: rate limit reached", "path", r.URL.Path, "client", key, "retry_after_s", secs)
			what := fmt.Sprintf("Too many requests from your address; try again in %s.", (time.Duration(secs) * time.Second).String())
			if api {
				noStore(w)
				writeJSON(w, http.StatusTooManyRequests, oauthError{Code: "too_many_requests", Description: what})
				return
			}
			s.errorPage(w, http.StatusTooManyRequests, errorView{Title: "Too many requests",
				What: "lookout received too many sign-in requests from your network.", Todo: "Wait a minute, then try again."})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, key)))
	}
}

// clientKey is the rate-limit key of r's client: its address (an IPv6 one
// by /64). A request from a trusted proxy (TrustedProxies) is keyed by the
// rightmost X-Forwarded-For address that is not itself a trusted proxy;
// from anyone else X-Forwarded-For is ignored, so it cannot buy a fresh
// bucket.
func (s *Server) clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if s.trustedProxy(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // malformed: stop at the last address we can trust
			}
			addr = hop.Unmap()
			if !s.trustedProxy(addr) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
