// Package sentry is lookout's typed client of the Sentry REST API (/api/0).
//
// A Client is built for one turn from the turn's token source and lives no
// longer than that turn. It routes each organization's calls to the
// organization's region (remembered across a principal's turns in a shared
// Regions), validating every region URL before any request goes there
// (docs/architecture.md, "Sentry API safety"), retries what is safe to retry within one budget per turn, and
// reports failures as error kinds that callers branch on with errors.Is
// (ErrUnauthorized, ErrMissingScope, ErrNoAccess, ...). The token lives only in the
// Authorization header: it is never part of a URL, an error, or the printed
// form of a Client or its Options.
package sentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/version"
)

// TokenSource yields the Sentry access token of the turn's principal. It is
// called once per request, so a source backed by the vault may refresh a token
// that is about to expire.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Reauthorizer is optionally implemented by a TokenSource. After Sentry
// answers 401, the client calls Reauthorize with the token Sentry rejected and
// retries that one request once with the token it returns; a second 401 is
// ErrUnauthorized. The rejected token lets the source tell "someone already
// refreshed" from "refresh now".
type Reauthorizer interface {
	Reauthorize(ctx context.Context, rejected string) (string, error)
}

// ScopeReporter is optionally implemented by a TokenSource that learns
// the token's granted scopes only when it produces the token (the vault
// decrypts a grant when its client first needs it). The client asks it
// when Options.Scopes is nil and Sentry answers 403.
type ScopeReporter interface {
	Scopes() []string
}

// StaticToken is a TokenSource that always returns the same token (the
// stdio server, CI, tests). The token is held as a secret.Value, so the
// source prints "[redacted]" however it is formatted, marshalled or logged.
func StaticToken(token string) TokenSource { return staticToken{secret.New(token)} }

const redacted = "[REDACTED]"

type staticToken struct{ v secret.Value }

// Token returns the token.
func (t staticToken) Token(context.Context) (string, error) { return t.v.Reveal(), nil }

// String redacts the token.
func (t staticToken) String() string { return "sentry.StaticToken(" + redacted + ")" }

// GoString redacts the token from %#v.
func (t staticToken) GoString() string { return t.String() }

// Format redacts the token from every fmt verb, %x and %q included.
func (t staticToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// MarshalJSON redacts the token from JSON (and so from slog's JSON handler).
func (t staticToken) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// LogValue redacts the token from slog.
func (t staticToken) LogValue() slog.Value { return slog.StringValue(redacted) }

// Options configure a Client. Zero values are safe defaults except BaseURL and
// Token, which are required.
type Options struct {
	// BaseURL is the Sentry URL, scheme://host[:port] ("https://sentry.io").
	// Calls that are not for one organization (/auth/, /organizations/) go
	// here, as does the region lookup of an organization. http is refused
	// unless the host is loopback (tests) or InsecureHTTP is set.
	BaseURL string
	// Token supplies the access token; see TokenSource and Reauthorizer.
	Token TokenSource
	// Scopes the token was granted, when known (the vault knows them). With
	// them a 403 on an endpoint whose scope is not granted is reported as
	// ErrMissingScope even though Sentry's own detail does not say so. Nil
	// means unknown.
	Scopes []string
	// HTTPClient sends the requests. Default: a shared client with dial and
	// TLS timeouts of 5s, 20s for response headers and 30s overall. The
	// client is copied so that redirects can be refused (see New).
	HTTPClient *http.Client
	// AllowedRegionDomains are the hosts, besides BaseURL's host, that region
	// URLs may point at (SENTRY_ALLOWED_REGION_DOMAINS). Exact host names, no
	// wildcards. Default for sentry.io: sentry.io, us.sentry.io, de.sentry.io.
	AllowedRegionDomains []string
	// InsecureHTTP allows http for a self-hosted Sentry on a trusted network.
	InsecureHTTP bool
	// MaxRetries bounds the retries of the whole Client, after 429, 5xx or
	// a network error, across all its requests: a Client serves one tool
	// call, and one call must not turn into a storm of requests when Sentry
	// or the network is down. The HTTP transport's own retries on other
	// pooled connections count too. Only GETs are retried. 0 means the
	// default, 3; negative means no retries.
	MaxRetries int
	// MaxRetryWait caps one wait between retries. A 429 asking for a longer
	// wait is returned at once (ErrRateLimited with RetryAfter) rather than
	// slept on. Default 30s.
	MaxRetryWait time.Duration
	// MaxBodyBytes caps a response body; larger answers fail with
	// ErrResponseTooLarge instead of filling memory. Default 8 MiB.
	MaxBodyBytes int64
	// Sleep waits between retries; tests replace it to record the waits
	// instead of sleeping. It must return ctx.Err() if ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read Sentry's rate-limit reset header.
	Now func() time.Time
	// Regions is where the client looks up and stores organizations'
	// regions, shared by the clients of one principal (see Regions). Nil:
	// the client remembers regions for its own life only.
	Regions *Regions
}

// String describes the options with the token redacted.
func (o Options) String() string {
	tok := "nil"
	if o.Token != nil {
		tok = redacted
	}
	return fmt.Sprintf("sentry.Options{BaseURL:%q Token:%s Scopes:%q AllowedRegionDomains:%q InsecureHTTP:%t MaxRetries:%d MaxRetryWait:%s MaxBodyBytes:%d}",
		o.BaseURL, tok, o.Scopes, o.AllowedRegionDomains, o.InsecureHTTP, o.MaxRetries, o.MaxRetryWait, o.MaxBodyBytes)
}

// GoString redacts the token from %#v.
func (o Options) GoString() string { return o.String() }

// Format redacts the token from every fmt verb.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue redacts the token from slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

const (
	defaultMaxRetries   = 3
	defaultMaxRetryWait = 30 * time.Second
	defaultMaxBodyBytes = 8 << 20
)

// Client is a Sentry API client bound to one token source. It is safe for
// concurrent use; it remembers organization regions for its lifetime, which
// is meant to be one turn, and in Options.Regions for the next turns.
type Client struct {
	base       *url.URL // scheme://host[:port], validated
	policy     regionPolicy
	token      TokenSource
	scopes     []string
	hc         *http.Client
	maxRetries int
	maxWait    time.Duration
	maxBody    int64
	sleep      func(context.Context, time.Duration) error
	now        func() time.Time
	userAgent  string

	shared  *Regions
	retries atomic.Int32 // retries spent, against maxRetries

	mu      sync.Mutex
	regions map[string]*url.URL // org slug or id -> validated region origin, for this client
}

// New checks opts and returns a Client. Errors name the option and the fix.
func New(opts Options) (*Client, error) {
	if opts.Token == nil {
		return nil, errors.New("sentry: Options.Token is required")
	}
	policy, base, err := newRegionPolicy(opts.BaseURL, opts.AllowedRegionDomains, opts.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base,
		policy:     policy,
		token:      opts.Token,
		scopes:     opts.Scopes,
		maxRetries: opts.MaxRetries,
		maxWait:    opts.MaxRetryWait,
		maxBody:    opts.MaxBodyBytes,
		sleep:      opts.Sleep,
		now:        opts.Now,
		regions:    map[string]*url.URL{},
		shared:     opts.Regions,
		userAgent:  version.UserAgent(),
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.maxWait <= 0 {
		c.maxWait = defaultMaxRetryWait
	}
	if c.maxBody <= 0 {
		c.maxBody = defaultMaxBodyBytes
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.now == nil {
		c.now = time.Now
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	// A copy, so the caller's client keeps its own redirect policy. Ours
	// refuses redirects: a redirect would send the request to a URL that
	// ValidateRegionURL never saw, and Sentry's API does not redirect.
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &cp
	return c, nil
}

// String describes the client with the token redacted.
func (c *Client) String() string {
	return fmt.Sprintf("sentry.Client{BaseURL:%q Token:%s}", c.base.String(), redacted)
}

// GoString redacts the token from %#v.
func (c *Client) GoString() string { return c.String() }

// Format redacts the token from every fmt verb.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue redacts the token from slog.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// BaseURL is the validated Sentry URL, scheme://host[:port].
func (c *Client) BaseURL() string { return c.base.String() }

// DefaultHTTPClient is the client Options.HTTPClient defaults to, for a
// caller that wraps its transport (cmd/lookout counts Sentry requests).
func DefaultHTTPClient() *http.Client { return defaultHTTPClient() }

// defaultHTTPClient is shared by all clients: a Client lives for one turn, and
// a transport per turn would leak idle connections and redo TLS handshakes.
// The remote server sends every user's calls to the same few hosts (sentry.io
// and its regions), as many at once as it has calls in flight: an idle pool
// smaller than that closes connections only to dial them again (a TCP and TLS
// handshake per call under load), so it keeps up to 64 per host.
var defaultHTTPClient = sync.OnceValue(func() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
		},
	}
})

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// scrub removes the token from text that came from elsewhere (Sentry's error
// detail), should it ever be echoed back.
func scrub(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, redacted)
}
