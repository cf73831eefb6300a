// Package authserver is lookout's OAuth 2.1 authorization server for MCP
// clients (MCP authorization spec 2025-11-25), the connect pages through
// which front doors' users (Slack) connect their Sentry account, and the
// Sentry OAuth callback that both flows end at. Every consent is bound to
// the browser that began it.
//
// An MCP client discovers it through protected-resource metadata (RFC 9728)
// and server metadata (RFC 8414), registers (RFC 7591) or identifies itself
// with a Client ID Metadata Document, and sends the user to /oauth/authorize.
// A first-time client needs the user's approval on lookout's own page; then
// the user consents on Sentry, lookout stores that Sentry grant in the vault
// under a new "mcp:<id>" principal, and the client gets lookout's own
// authorization code, exchanged at /oauth/token for opaque lookout tokens.
// The client never sees a Sentry token.
//
// Codes, tokens and client secrets are random 256-bit values stored only as
// SHA-256 hashes. Nothing here logs, renders or returns one except to the
// party it was issued to.
package authserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Config configures a Server. Zero durations take the defaults below.
type Config struct {
	// BaseURL is LOOKOUT_BASE_URL without a trailing slash: the issuer,
	// and the prefix of every endpoint and resource.
	BaseURL string
	Store   store.Store
	Vault   *vault.Vault
	// Sentry is the upstream OAuth client; its RedirectURL must be
	// BaseURL + config.SentryCallbackPath.
	Sentry *oauth.Sentry
	// SentryURL is shown on pages and allowed as a form-action target.
	SentryURL string
	// CookieSecret (COOKIE_SECRET, >= 32 bytes) signs state, the approval
	// cookie and CSRF tokens, each under its own derived key.
	CookieSecret []byte

	AccessTokenTTL  time.Duration // default 1h
	RefreshTokenTTL time.Duration // default 720h
	// RegistrationTTL: an approved client unused this long is forgotten
	// (default 30 days after its last approval or token). A registration
	// nobody approves is forgotten after a day (unapprovedRegistrationTTL).
	RegistrationTTL time.Duration

	// RateLimits bound each client address (zero: defaults).
	RateLimits RateLimits
	// TrustedProxies (LOOKOUT_TRUSTED_PROXIES) are the reverse proxies
	// whose X-Forwarded-For names the client address; without them every
	// request is keyed by its peer address.
	TrustedProxies []netip.Prefix

	// DevMode is for a loopback http base URL: cookies lose Secure and
	// their __Host- prefix, and Client ID Metadata Documents may be fetched
	// from loopback and private addresses.
	DevMode bool
	// HTTPClient fetches Client ID Metadata Documents. Its transport, if
	// set, must be an *http.Transport: it is cloned and given a dialer that
	// refuses private addresses, no proxy, no redirects and a 5 s timeout.
	HTTPClient *http.Client
	Now        func() time.Time
	// Logger must redact (internal/logging); this package never hands it a
	// token, code, verifier, secret or cookie value anyway.
	Logger *slog.Logger
}

// Defaults and fixed lifetimes.
const (
	DefaultAccessTokenTTL  = time.Hour
	DefaultRefreshTokenTTL = 720 * time.Hour
	DefaultRegistrationTTL = 30 * 24 * time.Hour

	// unapprovedRegistrationTTL: a registration is forgotten this soon
	// unless a user approves the client (open registration must not let
	// anyone fill the database for a month).
	unapprovedRegistrationTTL = 24 * time.Hour

	// codeTTL: lookout's authorization codes are exchanged at once.
	codeTTL = 60 * time.Second
	// refreshReuseGrace: a client that runs calls in parallel sees several
	// 401s when its access token expires and refreshes once per call, all
	// with the same refresh token. Presented again this soon after it was
	// spent, a refresh token gets the same successor pair it got the first
	// time instead of revoking the family: never a second live branch
	// that reuse detection could not see. Later reuse is treated as theft.
	refreshReuseGrace = 10 * time.Second
	// approvalTTL is how long an approval (and its cookie) lasts.
	approvalTTL = 30 * 24 * time.Hour

	// kindMCPAuthorize is the state kind of flows begun at /oauth/authorize.
	kindMCPAuthorize = "mcp-authorize"
	// principalPrefix starts every MCP grant principal.
	principalPrefix = "mcp:"
)

// Audit actions written by this package (the vault writes grant.*).
const (
	ActionClientRegistered = "client.registered"
	ActionClientApproved   = "client.approved"
	ActionCodeReplayed     = "token.code_replayed"
	ActionRefreshReused    = "token.refresh_reused"
	ActionTokenRevoked     = "token.revoked"
)

// Server is the authorization server. It is safe for concurrent use and
// keeps nothing a replica would need that is not in the store (only a
// cache of fetched client metadata documents, and rate-limit buckets).
type Server struct {
	cfg            Config
	base           *url.URL
	sentryOrigin   string
	states         *oauth.StateManager
	approvalSigner *oauth.Signer // approval cookie
	csrf           *oauth.Signer // approval form
	flows          *oauth.Signer // browser binding of a pending Sentry consent
	sessions       *oauth.Signer // the connections page's session cookie
	successorKey   []byte        // derives the pair that succeeds a spent refresh token
	cimd           *cimdFetcher
	limits         limiters
	log            *slog.Logger

	connectorsMu sync.RWMutex
	connectors   map[string]Connector // principal prefix -> connector
}

// New checks cfg and returns a Server. Errors name the setting to fix.
func New(cfg Config) (*Server, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	switch {
	case cfg.Store == nil:
		return nil, errors.New("authserver: no store")
	case cfg.Vault == nil:
		return nil, errors.New("authserver: no vault")
	case cfg.Sentry == nil:
		return nil, errors.New("authserver: no Sentry OAuth client")
	case len(cfg.CookieSecret) < 32:
		return nil, fmt.Errorf("authserver: COOKIE_SECRET is %d bytes, need at least 32", len(cfg.CookieSecret))
	}
	su, err := url.Parse(cfg.SentryURL)
	if err != nil || (su.Scheme != "https" && su.Scheme != "http") || su.Host == "" {
		return nil, fmt.Errorf("authserver: SENTRY_URL %q is not an http(s) URL", cfg.SentryURL)
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.RefreshTokenTTL <= 0 {
		cfg.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if cfg.RegistrationTTL <= 0 {
		cfg.RegistrationTTL = DefaultRegistrationTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	fetcher, err := newCIMDFetcher(cfg.HTTPClient, cfg.DevMode, cfg.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:            cfg,
		base:           base,
		sentryOrigin:   su.Scheme + "://" + su.Host,
		approvalSigner: oauth.NewSigner(cfg.CookieSecret, "approval", cfg.Now),
		csrf:           oauth.NewSigner(cfg.CookieSecret, "csrf", cfg.Now),
		flows:          oauth.NewSigner(cfg.CookieSecret, "flow", cfg.Now),
		sessions:       oauth.NewSigner(cfg.CookieSecret, "session", cfg.Now),
		successorKey:   successorKey(cfg.CookieSecret),
		cimd:           fetcher,
		limits:         newLimiters(cfg.RateLimits, cfg.Now),
		log:            cfg.Logger,
		connectors:     map[string]Connector{},
	}
	s.states = &oauth.StateManager{
		Signer: oauth.NewSigner(cfg.CookieSecret, "state", cfg.Now),
		Store:  cfg.Store,
		Now:    cfg.Now,
	}
	return s, nil
}

// parseBaseURL accepts https URLs, and http ones on a loopback host (the
// demo), with no path, query, fragment or userinfo.
func parseBaseURL(raw string) (*url.URL, error) {
	bad := func(why string) error {
		return fmt.Errorf("authserver: LOOKOUT_BASE_URL %q %s", raw, why)
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || u.Host == "" {
		return nil, bad("is not an absolute URL")
	}
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())):
		return nil, bad("must use https (http only on a loopback host)")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, bad("must be scheme://host[:port] with no path, query or userinfo")
	}
	return u, nil
}

// Register mounts every endpoint on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("/.well-known/oauth-authorization-server", withCORS(s.handleServerMetadata, http.MethodGet))
	mux.HandleFunc("/.well-known/oauth-protected-resource", withCORS(s.handleResourceMetadata, http.MethodGet))
	mux.HandleFunc("/.well-known/oauth-protected-resource/", withCORS(s.handleResourceMetadata, http.MethodGet))
	mux.HandleFunc("/oauth/register", withCORS(s.limited(s.limits.register, true, s.handleRegister), http.MethodPost))
	mux.HandleFunc("/oauth/token", withCORS(s.limited(s.limits.token, true, s.handleToken), http.MethodPost))
	mux.HandleFunc("/oauth/revoke", withCORS(s.limited(s.limits.token, true, s.handleRevoke), http.MethodPost))
	// No CORS on the browser-facing pages.
	mux.HandleFunc("/oauth/authorize", s.limited(s.limits.authorize, false, s.handleAuthorize))
	mux.HandleFunc(ConnectPath, s.limited(s.limits.connect, false, s.handleConnect))
	mux.HandleFunc(ConnectionsPath, s.limited(s.limits.connect, false, s.handleConnections))
	mux.HandleFunc(connectionsPost, s.limited(s.limits.connect, false, s.handleConnectionsPost))
	mux.HandleFunc(config.SentryCallbackPath, s.handleCallback)
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// callbackURL is the redirect URL the Sentry OAuth application must list.
func (s *Server) callbackURL() string { return s.cfg.BaseURL + config.SentryCallbackPath }

// audit appends to the audit log; a failure is logged, not fatal.
func (s *Server) audit(ctx context.Context, principal, action, detail string) {
	err := s.cfg.Store.AppendAudit(ctx, store.AuditEvent{Time: s.now(), Principal: principal, Action: action, Detail: detail})
	if err != nil {
		s.log.WarnContext(ctx, "authserver: audit log write failed", "action", action, "err", err)
	}
}
