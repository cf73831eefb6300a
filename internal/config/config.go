// Package config turns lookout's environment into one validated Config.
//
// Load checks the format of every variable that is set and reports every
// problem at once, so a user fixes their environment in one pass;
// RequireServe then checks that what `lookout serve` needs is present. Every
// error names the variable and says how to fix it, and none repeats a secret
// value: errors end up in terminals, logs and bug reports.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
)

// Defaults Load applies to unset variables.
const (
	DefaultAddr            = ":8080"
	DefaultSentryURL       = "https://sentry.io"
	DefaultDatabaseURL     = "sqlite://./lookout.db"
	DefaultSlackAPIURL     = "https://slack.com/api/"
	DefaultSlackThreads    = SlackThreadsAsker
	DefaultAccessTokenTTL  = time.Hour
	DefaultRefreshTokenTTL = 720 * time.Hour
	DefaultAuditRetention  = 90 * 24 * time.Hour
	// MinTokenTTL is the shortest token lifetime lookout accepts.
	MinTokenTTL = time.Minute
	// DefaultToolTimeout bounds one tool call, Sentry retries included.
	DefaultToolTimeout = 30 * time.Second
	// DefaultRefreshAhead: the background refresher renews a grant a day
	// before its access token expires.
	DefaultRefreshAhead = 24 * time.Hour
	// DefaultTokenCacheTTL: a bearer check keeps what it read for a second
	// (sqlstore.DefaultTokenCacheTTL says why, and what it costs).
	DefaultTokenCacheTTL = time.Second
	// MaxTokenCacheTTL bounds how late another replica's revocation may
	// be seen.
	MaxTokenCacheTTL = 10 * time.Second
)

// LOOKOUT_SLACK_THREADS: which replies in a channel thread the Slack bot
// answers without being mentioned (a mention is always answered, and in a
// direct message every message is).
const (
	// SlackThreadsMention: none; in channels the bot answers mentions only.
	SlackThreadsMention = "mention"
	// SlackThreadsAsker: in a thread the bot answered, the replies of the
	// people who asked it there.
	SlackThreadsAsker = "asker"
	// SlackThreadsAll: in a thread the bot answered, every reply.
	SlackThreadsAll = "all"
)

// LOOKOUT_SLACK_PERMISSIONS: what the Slack bot's issue cards may do, each
// click acting as the person who clicks.
const (
	// SlackRead: cards only look (always on).
	SlackRead = "read"
	// SlackTriage: cards offer Resolve, Archive and Assign to me, which
	// need the clicking user's consent to event:write.
	SlackTriage = "triage"
)

// SentryCallbackPath is where Sentry sends users back after consent; the
// Sentry OAuth application must list BaseURL + SentryCallbackPath.
const SentryCallbackPath = "/api/oauth/callback/sentry"

// Config is lookout's whole configuration. Load fills it from the
// environment; commands may then override fields from flags. The zero value
// is safe: nothing is trusted, allowed or enabled (no plain-http Sentry, no
// Sentry-token passthrough, no Slack, no model, no extra CORS origins).
//
// Every secret is a secret.Value or a Key, which never print; keep it that
// way (exported fields only: fmt does not call methods on unexported ones).
type Config struct {
	// BaseURL is LOOKOUT_BASE_URL: the canonical public URL, no trailing slash.
	BaseURL string
	// Addr is LOOKOUT_ADDR, the listen address.
	Addr string

	// SentryURL is SENTRY_URL: scheme and host (and port), no trailing slash.
	SentryURL string
	// SentryInsecureHTTP is SENTRY_INSECURE_HTTP: allow a plain-http
	// SentryURL on a non-loopback host.
	SentryInsecureHTTP bool
	SentryClientID     string
	SentryClientSecret secret.Value
	// SentryAllowedRegionDomains are the lowercased hosts a Sentry region
	// URL may point at, besides the SentryURL host.
	SentryAllowedRegionDomains []string

	// CookieSecret keys the HMAC of OAuth state and approval cookies.
	CookieSecret secret.Value
	// EncryptionKeys is the vault keyring: the first key encrypts, all
	// decrypt.
	EncryptionKeys []Key
	// DatabaseURL is a Secret because a postgres URL usually holds a
	// password.
	DatabaseURL secret.Value

	SlackBotToken      secret.Value
	SlackSigningSecret secret.Value
	SlackAppToken      secret.Value
	// SlackAPIURL always ends with "/".
	SlackAPIURL string
	// SlackThreads is LOOKOUT_SLACK_THREADS: SlackThreadsMention, Asker or
	// All ("" is Asker).
	SlackThreads string
	// SlackPermissions is LOOKOUT_SLACK_PERMISSIONS: SlackRead, and
	// SlackTriage when cards may change issues (nil is read only).
	SlackPermissions []string

	// Model is LOOKOUT_MODEL; empty means command mode.
	Model           string
	OpenAIAPIKey    secret.Value
	OpenAIBaseURL   string
	AnthropicAPIKey secret.Value

	// AllowSentryTokens is LOOKOUT_ALLOW_SENTRY_TOKENS.
	AllowSentryTokens bool
	// AllowedOrigins are normalized origins, scheme://host[:port].
	AllowedOrigins  []string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// AuditRetention is LOOKOUT_AUDIT_RETENTION: audit events older than
	// this are deleted.
	AuditRetention time.Duration
	// TrustedProxies is LOOKOUT_TRUSTED_PROXIES: reverse proxies whose
	// X-Forwarded-For names the client address for rate limits.
	TrustedProxies []netip.Prefix
	// ToolTimeout is LOOKOUT_TOOL_TIMEOUT: one budget for a whole tool
	// call, its retries and any grant refresh it waits for.
	ToolTimeout time.Duration
	// RefreshAhead is LOOKOUT_REFRESH_AHEAD: the background refresher
	// renews grants whose access token expires within it.
	RefreshAhead time.Duration
	// TokenCacheTTL is LOOKOUT_TOKEN_CACHE_TTL: how long a bearer check
	// keeps the token and grant it read (0: not at all). A revocation made
	// by another process is seen within it; this process's own at once.
	TokenCacheTTL time.Duration
	LogLevel      slog.Level

	// MetricsAddr is LOOKOUT_METRICS_ADDR: serve /metrics there, on its
	// own listener, instead of on Addr ("").
	MetricsAddr string
	// TracesEndpoint is where OpenTelemetry spans go over OTLP/HTTP:
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or
	// OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended. "" (neither
	// set, OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none): no traces.
	TracesEndpoint string
	// TracesProtocol is OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (or
	// OTEL_EXPORTER_OTLP_PROTOCOL): TracesProtobuf (the default) or
	// TracesJSON.
	TracesProtocol string
}

// Protocols of TracesProtocol.
const (
	TracesProtobuf = "http/protobuf"
	TracesJSON     = "http/json"
)

// Load reads the configuration through getenv (os.Getenv in production; a
// nil getenv reads an empty environment). It applies defaults, normalizes
// values and validates the format of everything that is set, but does not
// require anything: that is RequireServe's job, because `demo` and `mcp`
// need less. Values are trimmed of surrounding white space.
//
// All problems are reported together in one errors.Join error. The returned
// Config is never nil; when err is not nil it holds the valid part only and
// must not be used to serve.
func Load(getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	l := &loader{getenv: getenv}
	c := &Config{
		Addr:            DefaultAddr,
		SentryURL:       DefaultSentryURL,
		DatabaseURL:     secret.New(DefaultDatabaseURL),
		SlackAPIURL:     DefaultSlackAPIURL,
		SlackThreads:    DefaultSlackThreads,
		AccessTokenTTL:  DefaultAccessTokenTTL,
		RefreshTokenTTL: DefaultRefreshTokenTTL,
		AuditRetention:  DefaultAuditRetention,
		ToolTimeout:     DefaultToolTimeout,
		RefreshAhead:    DefaultRefreshAhead,
		TokenCacheTTL:   DefaultTokenCacheTTL,
		LogLevel:        slog.LevelInfo,
	}

	if v := l.get("LOOKOUT_BASE_URL"); v != "" {
		c.BaseURL = l.check(parseBaseURL(v))
	}
	if v := l.get("LOOKOUT_ADDR"); v != "" {
		if l.ok(checkAddr("LOOKOUT_ADDR", v)) {
			c.Addr = v
		}
	}
	if v := l.get("LOOKOUT_METRICS_ADDR"); v != "" {
		switch {
		case !l.ok(checkAddr("LOOKOUT_METRICS_ADDR", v)):
		case v == c.Addr:
			l.ok(fmt.Errorf("LOOKOUT_METRICS_ADDR is LOOKOUT_ADDR (%s): leave it unset to serve /metrics there, or give it an address of its own such as 127.0.0.1:9090", v))
		default:
			c.MetricsAddr = v
		}
	}
	c.TracesEndpoint, c.TracesProtocol = l.traces()

	if v := l.get("SENTRY_INSECURE_HTTP"); v != "" {
		c.SentryInsecureHTTP = l.checkBool(parseBool("SENTRY_INSECURE_HTTP", v))
	}
	sentryHost := "sentry.io"
	if v := l.get("SENTRY_URL"); v != "" {
		u, err := parseSentryURL(v, c.SentryInsecureHTTP)
		if l.ok(err) {
			c.SentryURL, sentryHost = u.String(), u.Hostname()
		} else {
			c.SentryURL, sentryHost = "", ""
		}
	}
	c.SentryClientID = l.get("SENTRY_CLIENT_ID")
	c.SentryClientSecret = secret.New(l.get("SENTRY_CLIENT_SECRET"))
	if v := l.get("SENTRY_ALLOWED_REGION_DOMAINS"); v != "" {
		domains, err := parseRegionDomains(v)
		if l.ok(err) {
			c.SentryAllowedRegionDomains = domains
		}
	} else {
		c.SentryAllowedRegionDomains = defaultRegionDomains(sentryHost)
	}

	if v := l.get("COOKIE_SECRET"); v != "" {
		if l.ok(checkCookieSecret(v)) {
			c.CookieSecret = secret.New(v)
		}
	}
	if v := l.get("LOOKOUT_ENCRYPTION_KEYS"); v != "" {
		keys, err := parseKeys(v)
		if l.ok(err) {
			c.EncryptionKeys = keys
		}
	}
	if v := l.get("DATABASE_URL"); v != "" {
		if l.ok(checkDatabaseURL(v)) {
			c.DatabaseURL = secret.New(v)
		} else {
			c.DatabaseURL = secret.Value{}
		}
	}

	if v := l.get("SLACK_BOT_TOKEN"); v != "" {
		if l.ok(checkSlackBotToken(v)) {
			c.SlackBotToken = secret.New(v)
		}
	}
	if v := l.get("SLACK_SIGNING_SECRET"); v != "" {
		if l.ok(checkSlackSigningSecret(v)) {
			c.SlackSigningSecret = secret.New(v)
		}
	}
	if v := l.get("SLACK_APP_TOKEN"); v != "" {
		if l.ok(checkSlackAppToken(v)) {
			c.SlackAppToken = secret.New(v)
		}
	}
	if v := l.get("SLACK_API_URL"); v != "" {
		c.SlackAPIURL = l.check(parseSlackAPIURL(v))
	}
	if v := l.get("LOOKOUT_SLACK_PERMISSIONS"); v != "" {
		if ps, err := parseSlackPermissions(v); l.ok(err) {
			c.SlackPermissions = ps
		}
	}
	if v := l.get("LOOKOUT_SLACK_THREADS"); v != "" {
		if t := l.check(parseSlackThreads(v)); t != "" {
			c.SlackThreads = t
		}
	}

	c.Model = l.get("LOOKOUT_MODEL")
	c.OpenAIAPIKey = secret.New(l.get("OPENAI_API_KEY"))
	if v := l.get("OPENAI_BASE_URL"); v != "" {
		c.OpenAIBaseURL = l.check(parseOpenAIBaseURL(v))
	}
	c.AnthropicAPIKey = secret.New(l.get("ANTHROPIC_API_KEY"))

	if v := l.get("LOOKOUT_ALLOW_SENTRY_TOKENS"); v != "" {
		c.AllowSentryTokens = l.checkBool(parseBool("LOOKOUT_ALLOW_SENTRY_TOKENS", v))
	}
	if v := l.get("LOOKOUT_ALLOWED_ORIGINS"); v != "" {
		origins, err := parseOrigins(v)
		if l.ok(err) {
			c.AllowedOrigins = origins
		}
	}
	accessOK, refreshOK := true, true
	if v := l.get("LOOKOUT_ACCESS_TOKEN_TTL"); v != "" {
		d, err := parseTTL("LOOKOUT_ACCESS_TOKEN_TTL", v)
		if accessOK = l.ok(err); accessOK {
			c.AccessTokenTTL = d
		}
	}
	if v := l.get("LOOKOUT_REFRESH_TOKEN_TTL"); v != "" {
		d, err := parseTTL("LOOKOUT_REFRESH_TOKEN_TTL", v)
		if refreshOK = l.ok(err); refreshOK {
			c.RefreshTokenTTL = d
		}
	}
	if accessOK && refreshOK && c.RefreshTokenTTL < c.AccessTokenTTL {
		l.ok(fmt.Errorf("LOOKOUT_REFRESH_TOKEN_TTL (%s) must be at least LOOKOUT_ACCESS_TOKEN_TTL (%s); raise it or lower the access token TTL",
			c.RefreshTokenTTL, c.AccessTokenTTL))
	}
	if v := l.get("LOOKOUT_AUDIT_RETENTION"); v != "" {
		if d, err := parseRetention(v); l.ok(err) {
			c.AuditRetention = d
		}
	}
	if v := l.get("LOOKOUT_TRUSTED_PROXIES"); v != "" {
		if ps, err := parseTrustedProxies(v); l.ok(err) {
			c.TrustedProxies = ps
		}
	}
	if v := l.get("LOOKOUT_TOOL_TIMEOUT"); v != "" {
		d, err := parseToolTimeout(v)
		if l.ok(err) {
			c.ToolTimeout = d
		}
	}
	if v := l.get("LOOKOUT_REFRESH_AHEAD"); v != "" {
		if d, err := parseRefreshAhead(v); l.ok(err) {
			c.RefreshAhead = d
		}
	}
	if v := l.get("LOOKOUT_TOKEN_CACHE_TTL"); v != "" {
		if d, err := parseTokenCacheTTL(v); l.ok(err) {
			c.TokenCacheTTL = d
		}
	}
	if v := l.get("LOOKOUT_LOG_LEVEL"); v != "" {
		level, err := parseLogLevel(v)
		if l.ok(err) {
			c.LogLevel = level
		}
	}
	return c, errors.Join(l.errs...)
}

// loader collects every problem instead of stopping at the first.
type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) get(name string) string { return strings.TrimSpace(l.getenv(name)) }

// ok records err, if any, and reports whether there was none.
func (l *loader) ok(err error) bool {
	if err != nil {
		l.errs = append(l.errs, err)
		return false
	}
	return true
}

func (l *loader) check(s string, err error) string {
	if !l.ok(err) {
		return ""
	}
	return s
}

func (l *loader) checkBool(b bool, err error) bool { return l.ok(err) && b }

// RequireServe reports, all together, whatever `lookout serve` needs and c
// lacks: the public base URL, the Sentry OAuth application, a strong cookie
// secret and encryption keys, a complete Slack setup if any Slack variable is
// set, and a provider key if a model is. It re-checks the strength of the
// secrets it requires, so a Config built by hand is held to the same bar.
func (c *Config) RequireServe() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("LOOKOUT_BASE_URL is not set; set it to the public URL MCP clients and Sentry redirect to, e.g. https://lookout.example.com"))
	} else if _, err := parseBaseURL(c.BaseURL); err != nil {
		errs = append(errs, err)
	}

	sentry := c.SentryURL
	if sentry == "" {
		sentry = DefaultSentryURL
	}
	redirect := c.SentryRedirectURL()
	if redirect == "" {
		redirect = "<LOOKOUT_BASE_URL>" + SentryCallbackPath
	}
	for _, v := range []struct{ name, value, field string }{
		{"SENTRY_CLIENT_ID", c.SentryClientID, "Client ID"},
		{"SENTRY_CLIENT_SECRET", c.SentryClientSecret.Reveal(), "Client Secret"},
	} {
		if v.value == "" {
			errs = append(errs, fmt.Errorf("%s is not set; create an OAuth application at %s/settings/account/api/applications/ with redirect URL %s and copy its %s",
				v.name, sentry, redirect, v.field))
		}
	}

	if c.CookieSecret.IsZero() {
		errs = append(errs, errors.New("COOKIE_SECRET is not set; generate one with: openssl rand -base64 32"))
	} else if err := checkCookieSecret(c.CookieSecret.Reveal()); err != nil {
		errs = append(errs, err)
	}

	if len(c.EncryptionKeys) == 0 {
		errs = append(errs, errors.New(`LOOKOUT_ENCRYPTION_KEYS is not set; generate one with: echo "k1:$(openssl rand -base64 32)"`))
	} else {
		errs = append(errs, checkKeys(c.EncryptionKeys)...)
	}

	errs = append(errs, c.requireSlack()...)

	if c.Model != "" && c.OpenAIAPIKey.IsZero() && c.AnthropicAPIKey.IsZero() {
		errs = append(errs, errors.New("LOOKOUT_MODEL is set but no provider key is; set OPENAI_API_KEY (with OPENAI_BASE_URL for another OpenAI-compatible server) or ANTHROPIC_API_KEY, or unset LOOKOUT_MODEL to run the Slack bot in command mode"))
	}
	return errors.Join(errs...)
}

// requireSlack: Slack is optional, but all or nothing.
func (c *Config) requireSlack() []error {
	var errs []error
	bot, signing, app := !c.SlackBotToken.IsZero(), !c.SlackSigningSecret.IsZero(), !c.SlackAppToken.IsZero()
	switch {
	case bot && !signing && !app:
		errs = append(errs, errors.New("SLACK_SIGNING_SECRET (Events API) or SLACK_APP_TOKEN (Socket Mode) must be set when SLACK_BOT_TOKEN is; copy the Signing Secret from Basic Information > App Credentials of your Slack app, or unset SLACK_BOT_TOKEN to run without Slack"))
	case !bot && (signing || app):
		set := "SLACK_SIGNING_SECRET"
		if app {
			set = "SLACK_APP_TOKEN"
		}
		errs = append(errs, fmt.Errorf("SLACK_BOT_TOKEN must be set when %s is; copy the Bot User OAuth Token (xoxb-...) from OAuth & Permissions of your Slack app, or unset %s to run without Slack", set, set))
	}
	if bot {
		if err := checkSlackBotToken(c.SlackBotToken.Reveal()); err != nil {
			errs = append(errs, err)
		}
	}
	if app {
		if err := checkSlackAppToken(c.SlackAppToken.Reveal()); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// SentryRedirectURL is the redirect URL the Sentry OAuth application must
// have: BaseURL + "/api/oauth/callback/sentry". It is empty while BaseURL is,
// so a missing base URL is not mistaken for a relative redirect.
func (c *Config) SentryRedirectURL() string {
	if c.BaseURL == "" {
		return ""
	}
	return c.BaseURL + SentryCallbackPath
}

// keyEncodings are the forms a key may be written in, and so the forms the
// log redactor must recognize.
var keyEncodings = []*base64.Encoding{
	base64.StdEncoding, base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding,
}

// Secrets lists every secret value that is set, for the log redactor: the
// Secret fields, the password of a postgres DATABASE_URL, and each
// encryption key both as raw bytes and in every base64 form it could have
// been written in.
func (c *Config) Secrets() []string {
	var out []string
	seen := make(map[string]bool)
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range []secret.Value{
		c.SentryClientSecret, c.CookieSecret,
		c.SlackBotToken, c.SlackSigningSecret, c.SlackAppToken,
		c.OpenAIAPIKey, c.AnthropicAPIKey,
	} {
		add(s.Reveal())
	}
	for _, k := range c.EncryptionKeys {
		add(k.Secret.Reveal())
		for _, enc := range keyEncodings {
			add(enc.EncodeToString(k.Secret.RevealBytes()))
		}
	}
	for _, s := range databaseSecrets(c.DatabaseURL.Reveal()) {
		add(s)
	}
	return out
}

// databaseSecrets returns the passwords in a database URL. A URL that does
// not parse is returned whole: better to over-redact it.
func databaseSecrets(dsn string) []string {
	lower := strings.ToLower(dsn)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return []string{dsn}
	}
	var out []string
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	if p := u.Query().Get("password"); p != "" {
		out = append(out, p)
	}
	return out
}

// SlackTriageEnabled reports whether LOOKOUT_SLACK_PERMISSIONS lets the
// Slack bot's cards change issues.
func (c *Config) SlackTriageEnabled() bool { return slices.Contains(c.SlackPermissions, SlackTriage) }
