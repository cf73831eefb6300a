package mcpserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
)

// HTTPOptions configure the remote MCP endpoint at /mcp and
// /mcp/{org}[/{project}].
type HTTPOptions struct {
	// BaseURL is LOOKOUT_BASE_URL; resources are BaseURL+"/mcp"...
	BaseURL string
	// Verify checks lookout access tokens (authserver.VerifyAccessToken).
	// TokenInfo.UserID is the grant principal, Extra["resource"] the
	// resource the token was issued for, Scopes the lookout scopes, and
	// Extra[vault.GrantRowKey] the principal's grant row read with the
	// token (a store.Grant): the request checks and uses that row and
	// reads nothing more. Without it the grant is read by principal.
	Verify auth.TokenVerifier
	// MetadataURL gives a resource's protected-resource metadata URL, for
	// WWW-Authenticate.
	MetadataURL func(resource string) string
	// Vault binds each call to its principal's Sentry grant.
	Vault Grants
	// Sentry is the base of the Sentry client of a raw Sentry token
	// (AllowSentryTokens); the vault builds every other client.
	Sentry sentry.Options
	// ToolTimeout bounds one tool call as a whole, its Sentry retries and
	// any refresh it waits for included (LOOKOUT_TOOL_TIMEOUT; default 30s).
	ToolTimeout time.Duration
	// AllowSentryTokens accepts a raw Sentry token as the bearer
	// (LOOKOUT_ALLOW_SENTRY_TOKENS, for CI and headless use).
	AllowSentryTokens bool
	// AllowedOrigins may send an Origin header besides BaseURL's own.
	AllowedOrigins []string
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	Logger       *slog.Logger
	Now          func() time.Time

	// Calls, when set, hears every tool call (internal/metrics).
	Calls CallObserver
}

// Grants is what the endpoint needs of the vault: whether a grant is
// usable, a client acting as its principal, and marking it stale when
// Sentry refuses a fresh token. Check and ClientOf take the grant row the
// bearer check read; Status and Client read it by principal.
type Grants interface {
	Check(ctx context.Context, row store.Grant) error
	ClientOf(ctx context.Context, row store.Grant, regions ...*sentry.Regions) (*sentry.Client, error)
	Status(ctx context.Context, principal string) (vault.Status, error)
	Client(ctx context.Context, principal string, regions ...*sentry.Regions) (*sentry.Client, vault.Status, error)
	MarkStale(ctx context.Context, principal, reason string) error
}

// accessTokenPrefix marks lookout's own access tokens; any other bearer is
// a Sentry token, accepted only with AllowSentryTokens.
const accessTokenPrefix = "lka_"

// HTTP serves MCP over Streamable HTTP for many users, each call bound to
// its caller's own Sentry grant.
type HTTP struct {
	opts     HTTPOptions
	base     *url.URL
	loopback bool
	streams  *mcp.StreamableHTTPHandler

	// regions: what each principal's calls learned of organization
	// regions, so a call costs one upstream request, not a lookup first.
	regions *sentry.RegionCaches

	mu      sync.Mutex
	servers map[serverKey]*mcp.Server
	visible map[string]time.Time // principal|org|project -> checked until
}

// Region knowledge of a principal is trusted this long (organizations
// rarely move; memberships change), for at most this many principals.
const (
	remoteRegionsTTL = 10 * time.Minute
	remoteRegionsMax = 10000
)

// serverKey: the tool list depends only on permissions and pins; who is
// calling is read from each request.
type serverKey struct {
	triage       bool
	org, project string
}

// NewHTTP returns the remote MCP endpoint.
func NewHTTP(opts HTTPOptions) (*HTTP, error) {
	base, err := url.Parse(opts.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("mcpserver: bad base URL %q", opts.BaseURL)
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ToolTimeout <= 0 {
		opts.ToolTimeout = DefaultToolTimeout
	}
	h := &HTTP{opts: opts, base: base, loopback: isLoopbackHost(base.Hostname()),
		regions: sentry.NewRegionCaches(remoteRegionsTTL, remoteRegionsMax),
		servers: map[serverKey]*mcp.Server{}, visible: map[string]time.Time{}}
	// Stateless: any replica can serve any request; nothing of a session
	// lives in one process's memory.
	h.streams = mcp.NewStreamableHTTPHandler(h.server, &mcp.StreamableHTTPOptions{
		Stateless: true, JSONResponse: true, MaxRequestBodyBytes: opts.MaxBodyBytes, Logger: opts.Logger,
	})
	return h, nil
}

// Register mounts the endpoint on mux.
func (h *HTTP) Register(mux *http.ServeMux) {
	mux.Handle("/mcp", h)
	mux.Handle("/mcp/", h)
}

// slugRe is compiled on first use, not at start-up of every subcommand.
var slugRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`) })

// target is what a request's path pins.
type target struct {
	resource     string
	org, project string
}

func (h *HTTP) target(path string) (target, bool) {
	rest, ok := strings.CutPrefix(path, "/mcp")
	if !ok || (rest != "" && rest[0] != '/') {
		return target{}, false
	}
	parts := strings.FieldsFunc(rest, func(r rune) bool { return r == '/' })
	if len(parts) > 2 || strings.HasSuffix(rest, "//") {
		return target{}, false
	}
	t := target{resource: strings.TrimSuffix(h.opts.BaseURL, "/") + "/mcp"}
	for i, p := range parts {
		if !slugRe().MatchString(p) {
			return target{}, false
		}
		t.resource += "/" + p
		if i == 0 {
			t.org = p
		} else {
			t.project = p
		}
	}
	return t, true
}

func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The request id (set by cmd/lookout's middleware, or here) reaches
	// tool handlers through the request header, which they are given.
	ctx, id := requestid.Ensure(r.Context())
	r = r.WithContext(ctx)
	r.Header.Set(requestid.Header, id)
	w.Header().Set(requestid.Header, id)
	if msg, ok := h.checkOrigin(r); !ok {
		http.Error(w, msg, http.StatusForbidden)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		// An allowed origin (checkOrigin passed) may read the answers: a
		// browser client such as the MCP Inspector calls /mcp directly.
		// Bearer tokens, not cookies: no Allow-Credentials.
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Add("Vary", "Origin")
		hd.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hd.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID")
			hd.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	t, ok := h.target(r.URL.Path)
	if !ok || strings.Contains(r.URL.EscapedPath(), "%") { // slugs never need escaping
		http.Error(w, "not found: MCP endpoints are /mcp, /mcp/{organization} and /mcp/{organization}/{project}", http.StatusNotFound)
		return
	}
	verify := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		return h.verify(ctx, token, r, t)
	}
	// scope="read" in the challenge tells clients what to ask for.
	auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{ResourceMetadataURL: h.opts.MetadataURL(t.resource), Scopes: []string{"read"}})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info := auth.TokenInfoFromContext(r.Context())
			if refusal, trouble := h.checkVisible(r.Context(), info, t); refusal != "" {
				code := http.StatusForbidden
				if trouble {
					code = http.StatusServiceUnavailable
					w.Header().Set("Retry-After", "60")
				}
				http.Error(w, refusal, code)
				return
			}
			h.streams.ServeHTTP(w, r.WithContext(withTarget(r.Context(), t)))
		})).ServeHTTP(w, r)
}

// checkOrigin defends against DNS rebinding: a browser page may not drive
// this endpoint from another origin, and a loopback server answers only to
// loopback host names.
func (h *HTTP) checkOrigin(r *http.Request) (string, bool) {
	if origin := r.Header.Get("Origin"); origin != "" {
		own := h.base.Scheme + "://" + h.base.Host
		if !strings.EqualFold(origin, own) && !slices.Contains(h.opts.AllowedOrigins, strings.ToLower(origin)) {
			return "forbidden: requests from origin " + origin + " are not allowed (set LOOKOUT_ALLOWED_ORIGINS to allow it)", false
		}
	}
	if h.loopback {
		host := r.Host
		if hn, _, err := net.SplitHostPort(host); err == nil {
			host = hn
		}
		if !isLoopbackHost(strings.Trim(host, "[]")) {
			return "forbidden: this lookout listens on a loopback address and answers only to loopback host names", false
		}
	}
	return "", true
}

// verify authenticates a bearer for target t: the token must be valid,
// issued for exactly this resource, and its grant still usable. Every
// refusal is a 401, so the client runs OAuth again.
func (h *HTTP) verify(ctx context.Context, token string, r *http.Request, t target) (*auth.TokenInfo, error) {
	if !strings.HasPrefix(token, accessTokenPrefix) {
		if !h.opts.AllowSentryTokens {
			return nil, fmt.Errorf("%w: not a lookout access token; sign in through your MCP client's OAuth flow", auth.ErrInvalidToken)
		}
		// A raw Sentry token (CI, headless); Sentry itself judges it.
		sum := sha256.Sum256([]byte(token))
		return &auth.TokenInfo{UserID: "", Scopes: []string{"read"}, Expiration: h.opts.Now().Add(time.Hour),
			Extra: map[string]any{sentryTokenKey: rawSentryToken{source: sentry.StaticToken(token), digest: hex.EncodeToString(sum[:16])}}}, nil
	}
	info, err := h.opts.Verify(ctx, token, r)
	switch {
	case errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrOAuth):
		return nil, err
	case err != nil:
		// The SDK shows the error's text: the detail goes to the log.
		h.opts.Logger.ErrorContext(ctx, "mcp: verifying an access token", "err", err)
		return nil, troubleError(ctx)
	}
	if res, _ := info.Extra["resource"].(string); res != t.resource {
		return nil, fmt.Errorf("%w: this token was issued for %s, not %s; sign in again for this URL", auth.ErrInvalidToken, res, t.resource)
	}
	switch err := h.usable(ctx, info); {
	case errors.Is(err, vault.ErrUnavailable):
		// The grant cannot be read right now (database, missing key): that
		// is no reason to sign in again. Let the request in; tool calls
		// that need Sentry say "try again" as tool errors.
		h.opts.Logger.WarnContext(ctx, "mcp: grant status unavailable", "principal", info.UserID, "err", err)
	case errors.Is(err, vault.ErrNoGrant), errors.Is(err, vault.ErrStale):
		return nil, fmt.Errorf("%w: your Sentry connection has expired or was revoked; sign in again", auth.ErrInvalidToken)
	case errors.Is(err, vault.ErrDecrypt):
		h.opts.Logger.ErrorContext(ctx, "grant cannot be decrypted", "principal", info.UserID, "err", err)
		return nil, fmt.Errorf("%w: your Sentry connection cannot be read; sign in again", auth.ErrInvalidToken)
	case err != nil:
		h.opts.Logger.ErrorContext(ctx, "mcp: grant status", "principal", info.UserID, "err", err)
		return nil, troubleError(ctx)
	}
	return info, nil
}

// usable says whether info's grant may be used: from the row the bearer
// check read, when it handed one on (no read, no decrypt), else read by
// principal. ErrStale for a grant Sentry refused.
func (h *HTTP) usable(ctx context.Context, info *auth.TokenInfo) error {
	if row, ok := grantRow(info); ok {
		return h.opts.Vault.Check(ctx, row)
	}
	st, err := h.opts.Vault.Status(ctx, info.UserID)
	if err == nil && st.Stale {
		err = vault.ErrStale
	}
	return err
}

// grantRow is the grant row the bearer check read with info's token, if
// it handed one on for info's principal.
func grantRow(info *auth.TokenInfo) (store.Grant, bool) {
	row, ok := info.Extra[vault.GrantRowKey].(store.Grant)
	return row, ok && info.UserID != "" && row.Principal == info.UserID
}

// errTrouble marks the plain "try again in a minute" errors of this
// package.
var errTrouble = errors.New("lookout is having trouble")

// troubleError is what a client sees when lookout's database (or Sentry)
// failed: plain words, the request id, no internals.
func troubleError(ctx context.Context) error {
	return fmt.Errorf("%w: Sentry (or lookout's database) is having trouble; try again in a minute%s",
		errTrouble, requestid.Suffix(ctx))
}

const sentryTokenKey = "sentry_token"

// rawSentryToken is a bearer that is a Sentry token (LOOKOUT_ALLOW_SENTRY_TOKENS):
// the token only inside its redacting source, and a digest that names it
// for the region cache without keeping the token as a map key.
type rawSentryToken struct {
	source sentry.TokenSource
	digest string
}

// checkVisible refuses a pinned organization or project the grant cannot
// see, with a clear message instead of Sentry 404s on every call: it
// returns what to tell the user, or "" to go on. Results are remembered
// for a few minutes per principal.
func (h *HTTP) checkVisible(ctx context.Context, info *auth.TokenInfo, t target) (refusal string, trouble bool) {
	if t.org == "" {
		return "", false
	}
	key := info.UserID + "|" + t.org + "|" + t.project
	now := h.opts.Now()
	h.mu.Lock()
	until, ok := h.visible[key]
	h.mu.Unlock()
	if info.UserID != "" && ok && now.Before(until) {
		return "", false
	}
	what := "organization " + t.org
	if t.project != "" {
		what = "project " + t.org + "/" + t.project
	}
	c, err := h.client(ctx, info)
	if err == nil {
		if t.project != "" {
			_, err = c.GetProject(ctx, t.org, t.project)
		} else {
			_, err = c.GetOrganization(ctx, t.org)
		}
	}
	switch {
	case errors.Is(err, sentry.ErrNoAccess), errors.Is(err, sentry.ErrNotFound):
		return fmt.Sprintf("Your Sentry account cannot see %s. Use %s/mcp for every organization you can see, "+
			"or sign in with a Sentry account that can see %s.", what, h.opts.BaseURL, what), false
	case errors.Is(err, vault.ErrUnavailable), errors.Is(err, sentry.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		h.opts.Logger.WarnContext(ctx, "checking access to a pinned URL failed", "principal", info.UserID, "target", what, "err", err)
		return troubleError(ctx).Error(), true
	case err != nil:
		h.opts.Logger.WarnContext(ctx, "checking access to a pinned URL failed", "principal", info.UserID, "target", what, "err", err)
		guide := remoteGuide()
		if info.UserID == "" { // a raw Sentry token, not a grant
			guide = tools.TokenGuide(h.opts.Sentry.BaseURL)
		}
		next := "Try again in a minute" + requestid.Suffix(ctx) + "."
		var api *sentry.APIError
		switch {
		case needsSignIn(err):
			next = guide.Unauthorized
		case errors.As(err, &api): // Sentry's answer: say what it was
			next = guide.Explain(err)
		} // else lookout itself failed: that is for the log only
		return "lookout could not check your access to " + what + ". " + next, false
	}
	h.mu.Lock()
	if len(h.visible) > 10000 {
		clear(h.visible)
	}
	h.visible[key] = now.Add(5 * time.Minute)
	h.mu.Unlock()
	return "", false
}

// client builds the Sentry client of one request for its caller, sharing
// the caller's region knowledge with their other requests.
func (h *HTTP) client(ctx context.Context, info *auth.TokenInfo) (*sentry.Client, error) {
	opts := h.opts.Sentry
	if raw, ok := info.Extra[sentryTokenKey].(rawSentryToken); ok {
		// A raw Sentry token has no principal: its own cache, keyed by a
		// digest so the token itself is not kept as a map key.
		opts.Regions = h.regions.For("sentry-token:" + raw.digest)
		opts.Token = raw.source
		return sentry.New(opts)
	}
	if row, ok := grantRow(info); ok {
		return h.opts.Vault.ClientOf(ctx, row, h.regions.For(info.UserID))
	}
	c, _, err := h.opts.Vault.Client(ctx, info.UserID, h.regions.For(info.UserID))
	return c, err
}

type targetKey struct{}

func withTarget(ctx context.Context, t target) context.Context {
	return context.WithValue(ctx, targetKey{}, t)
}

// server returns the MCP server for a request: the catalog its caller's
// permissions and the URL's pins allow.
func (h *HTTP) server(r *http.Request) *mcp.Server {
	t, _ := r.Context().Value(targetKey{}).(target)
	info := auth.TokenInfoFromContext(r.Context())
	key := serverKey{triage: info != nil && slices.Contains(info.Scopes, string(tools.Triage)), org: t.org, project: t.project}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.servers[key]; ok {
		return s
	}
	perms := []tools.Permission{tools.Read}
	if key.triage {
		perms = append(perms, tools.Triage)
	}
	topts := tools.Options{Permissions: perms, Org: t.org, Project: t.project, HowToEnable: remoteHowToEnable}
	s := New(Options{
		Catalog: tools.Catalog(topts),
		Hidden:  func(name string) (string, bool) { return tools.Unavailable(topts, name) },
		Guide:   remoteGuide(),
		Logger:  h.opts.Logger,
		Timeout: h.opts.ToolTimeout,
		Calls:   h.opts.Calls,
		Bind: func(ctx context.Context, req *mcp.CallToolRequest) (*tools.Env, error) {
			info := req.Extra.TokenInfo
			if info == nil {
				return nil, errors.New("no caller identity on this request")
			}
			c, err := h.client(ctx, info)
			if err != nil {
				return nil, err
			}
			return &tools.Env{Sentry: c, Org: t.org, Project: t.project}, nil
		},
		OnUnauthorized: func(ctx context.Context, req *mcp.CallToolRequest) {
			// Sentry refused the grant even after a refresh: mark it stale
			// so the client's next request gets a 401 and signs in again.
			if info := req.Extra.TokenInfo; info != nil && info.UserID != "" {
				if err := h.opts.Vault.MarkStale(ctx, info.UserID, "Sentry answered 401 after a refresh"); err != nil && !errors.Is(err, vault.ErrNoGrant) {
					h.opts.Logger.WarnContext(ctx, "could not mark grant stale", "principal", info.UserID, "err", err)
				}
			}
		},
	})
	if len(h.servers) > 1000 { // pins are unbounded; keep the cache so
		clear(h.servers)
	}
	h.servers[key] = s
	return s
}

// remoteHowToEnable says how a remote user gets a permission: triage is a
// scope of the sign-in; the others are not offered over OAuth.
func remoteHowToEnable(p tools.Permission) string {
	if p == tools.Triage {
		return "Sign in again asking for the scope \"read triage\" (in your MCP client, reconnect this server with the triage scope), and approve it."
	}
	return "This lookout server does not offer it to remote clients; `lookout mcp --skills=inspect," + tools.SkillOf(p) + "` on your machine does."
}

// remoteGuide words errors for users of the remote server, who sign in
// through their MCP client rather than paste a token.
func remoteGuide() tools.Guide {
	return tools.Guide{
		SentryURL: "The server's SENTRY_URL may be wrong or Sentry down; tell whoever runs this lookout.",
		PlainHTTP: "The server's SENTRY_URL should be http://... with SENTRY_INSECURE_HTTP=1; tell whoever runs this lookout.",
		Unauthorized: "Sentry no longer accepts your connection (it expired or was revoked). " +
			"Sign in again: your MCP client will start the sign-in on its next request, or reconnect the server in its settings.",
		MissingScope: func(scope string) string {
			if scope == "" {
				return "Your Sentry connection lacks a permission this call needs. Sign in again and approve all requested permissions."
			}
			return "Your Sentry connection lacks the scope " + scope + ". Sign in again and approve it" +
				triageHint(scope) + "."
		},
	}
}

func triageHint(scope string) string {
	if strings.HasSuffix(scope, ":write") {
		return " (write access needs the triage permission: reconnect asking for scope \"read triage\")"
	}
	return ""
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
