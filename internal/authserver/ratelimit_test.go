package authserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// post sends body to path from the test's loopback address, with
// X-Forwarded-For set when forwarded is not empty.
func (e *env) post(t *testing.T, path, contentType, body, forwarded string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	return do(t, http.DefaultClient, req)
}

func registration() string {
	b, _ := json.Marshal(map[string]any{"client_name": strings.Repeat("x", 100), "token_endpoint_auth_method": "none",
		"redirect_uris": []string{"https://junk.example/" + strings.Repeat("a", 1900)}})
	return string(b)
}

// wantLimited checks a 429 with a Retry-After of want seconds.
func wantLimited(t *testing.T, resp response, want int) {
	t.Helper()
	if resp.status != http.StatusTooManyRequests {
		t.Fatalf("got %d, want 429: %.200s", resp.status, resp.body)
	}
	if got := resp.header.Get("Retry-After"); got != fmt.Sprint(want) {
		t.Fatalf("Retry-After %q, want %d", got, want)
	}
}

// Attack (issue #8, finding 5): ~370 anonymous registrations a second, 19
// KB each, from one address. Registration, token, authorize and metadata
// fetches are now limited per client address: 429 with Retry-After.
func TestRateLimits(t *testing.T) {
	docs := newDocServer(t)
	e := newEnv(t, envOptions{limits: &RateLimits{}, cimdHTTP: docs.srv.Client()})

	t.Run("register", func(t *testing.T) {
		for i := range DefaultRegisterLimit.Burst {
			if resp := e.post(t, "/oauth/register", "application/json", registration(), ""); resp.status != http.StatusCreated {
				t.Fatalf("registration %d: %d %s", i, resp.status, resp.body)
			}
		}
		resp := e.post(t, "/oauth/register", "application/json", registration(), "")
		wantLimited(t, resp, 180)
		if resp.json(t)["error"] != "too_many_requests" || resp.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("429: %v %s", resp.header, resp.body)
		}
		// X-Forwarded-For from a peer that is not a trusted proxy buys
		// no fresh bucket.
		wantLimited(t, e.post(t, "/oauth/register", "application/json", registration(), "203.0.113.9"), 180)
		e.clock.Advance(DefaultRegisterLimit.Every)
		if resp := e.post(t, "/oauth/register", "application/json", registration(), ""); resp.status != http.StatusCreated {
			t.Fatalf("after Retry-After: %d %s", resp.status, resp.body)
		}
		wantLimited(t, e.post(t, "/oauth/register", "application/json", registration(), ""), 180)
	})
	t.Run("token", func(t *testing.T) {
		for i := range DefaultTokenLimit.Burst {
			if resp := e.post(t, "/oauth/token", "application/x-www-form-urlencoded", "client_id=x", ""); resp.status == http.StatusTooManyRequests {
				t.Fatalf("token request %d limited", i)
			}
		}
		wantLimited(t, e.post(t, "/oauth/token", "application/x-www-form-urlencoded", "client_id=x", ""), 1)
		wantLimited(t, e.post(t, "/oauth/revoke", "application/x-www-form-urlencoded", "client_id=x&token=y", ""), 1)
	})
	t.Run("authorize and metadata fetches", func(t *testing.T) {
		b := e.browser()
		_, challenge := pkce()
		for i := range DefaultMetadataFetchLimit.Burst {
			c := &mcpClient{e: e, id: docs.doc(fmt.Sprintf("/c%d.json", i), map[string]any{"client_name": "C",
				"redirect_uris": []string{"https://a.example.com/cb"}}), redirectURI: "https://a.example.com/cb"}
			approvalForm(t, b.get(t, c.authorizeURL(challenge, nil)))
		}
		fetched := docs.fetches.Load()
		c := &mcpClient{e: e, id: docs.doc("/one-too-many.json", map[string]any{"client_name": "C",
			"redirect_uris": []string{"https://a.example.com/cb"}}), redirectURI: "https://a.example.com/cb"}
		wantErrorPage(t, b.get(t, c.authorizeURL(challenge, nil)), http.StatusBadRequest, "too many client metadata documents")
		if docs.fetches.Load() != fetched {
			t.Error("a document was fetched past the limit")
		}
		// A cached document costs nothing.
		cached := &mcpClient{e: e, id: docs.srv.URL + "/c0.json", redirectURI: "https://a.example.com/cb"}
		approvalForm(t, b.get(t, cached.authorizeURL(challenge, nil)))
		for range DefaultAuthorizeLimit.Burst - DefaultMetadataFetchLimit.Burst - 2 {
			approvalForm(t, b.get(t, cached.authorizeURL(challenge, nil)))
		}
		resp := b.get(t, cached.authorizeURL(challenge, nil))
		wantLimited(t, resp, 2)
		wantErrorPage(t, resp, http.StatusTooManyRequests, "too many sign-in requests from your network")
	})
}

// Behind a trusted reverse proxy the client address is the rightmost
// X-Forwarded-For entry that is not a proxy; a client cannot prepend its
// way into a fresh bucket.
func TestRateLimitBehindProxy(t *testing.T) {
	limits := RateLimits{Register: RateLimit{Burst: 2, Every: time.Hour}}
	e := newEnv(t, envOptions{limits: &limits, trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	reg := func(forwarded string) response {
		return e.post(t, "/oauth/register", "application/json", registration(), forwarded)
	}
	for range 2 {
		if resp := reg("203.0.113.7"); resp.status != http.StatusCreated {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
	}
	wantLimited(t, reg("203.0.113.7"), 3600)
	wantLimited(t, reg("198.51.100.1, 203.0.113.7"), 3600) // a spoofed first hop changes nothing
	wantLimited(t, reg("203.0.113.7, 127.0.0.1"), 3600)    // through a second trusted proxy
	wantLimited(t, reg("2001:db8:1:2:aaaa::1, 203.0.113.7"), 3600)
	if resp := reg("198.51.100.1"); resp.status != http.StatusCreated { // another client
		t.Fatalf("another client behind the proxy: %d %s", resp.status, resp.body)
	}
	// IPv6 clients are keyed by /64.
	for range 2 {
		if resp := reg("2001:db8:1:2::1"); resp.status != http.StatusCreated {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
	}
	wantLimited(t, reg("2001:db8:1:2:ffff::9"), 3600)
	if resp := reg("2001:db8:1:3::1"); resp.status != http.StatusCreated {
		t.Fatalf("another /64: %d %s", resp.status, resp.body)
	}
}

// The bucket map stays bounded whatever the number of addresses.
func TestRateLimiterBounded(t *testing.T) {
	clk := newClock()
	l := newLimiter(RateLimit{Burst: 1, Every: time.Hour}, clk.Now)
	for i := range 3 * maxBuckets {
		l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff))
	}
	if n := len(l.buckets); n > maxBuckets {
		t.Fatalf("%d buckets, want at most %d", n, maxBuckets)
	}
}
