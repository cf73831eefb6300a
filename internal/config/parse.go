package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
)

// The parsers below return errors that name the variable and the fix. Those
// for values that may hold a credential never repeat the value; the others
// quote it, because seeing what was read is most of the fix.

// parseURL parses an absolute http or https URL and rejects the parts lookout
// never wants. Its errors never repeat the value: a URL can carry a password
// or a token in its user info or query.
func parseURL(name, raw, example string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s is not a valid URL; use an absolute URL such as %s", name, example)
	case u.User != nil:
		return nil, fmt.Errorf("%s must not contain user info (user:password@); remove it", name)
	case u.Scheme != "http" && u.Scheme != "https", u.Opaque != "", u.Hostname() == "":
		return nil, fmt.Errorf("%s must be an absolute http(s) URL such as %s", name, example)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("%s must not have a query (?...); remove it", name)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%s must not have a fragment (#...); remove it", name)
	}
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// isLoopback reports whether host (no port) is localhost or a loopback IP:
// 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func parseBaseURL(raw string) (string, error) {
	const name = "LOOKOUT_BASE_URL"
	u, err := parseURL(name, raw, "https://lookout.example.com")
	if err != nil {
		return "", err
	}
	// lookout serves /mcp, /oauth/... and /.well-known/... at the root of
	// its host: OAuth discovery (RFC 8414, RFC 9728) looks for the
	// metadata there, so a base URL under a path cannot work.
	if strings.Trim(u.Path, "/") != "" {
		return "", fmt.Errorf("%s must be just scheme://host[:port], without a path; lookout serves at the root of its host name, so give it its own host name, such as https://lookout.example.com", name)
	}
	u.Path, u.RawPath = "", ""
	if u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("%s must use https unless the host is loopback (got %s)", name, u)
	}
	return u.String(), nil
}

func parseSentryURL(raw string, insecure bool) (*url.URL, error) {
	const name = "SENTRY_URL"
	u, err := parseURL(name, raw, "https://sentry.io")
	if err != nil {
		return nil, err
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("%s must be just a scheme and host, such as https://sentry.io or https://sentry.example.com; remove the path", name)
	}
	u.Path, u.RawPath = "", ""
	if u.Scheme == "http" && !insecure && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s must use https (got %s); plain http is allowed only for a loopback host or with SENTRY_INSECURE_HTTP=1", name, u)
	}
	return u, nil
}

// defaultRegionDomains: sentry.io serves its data from regional hosts; a
// self-hosted Sentry has just its own host, which the Sentry client always
// allows, so the list stays empty.
func defaultRegionDomains(sentryHost string) []string {
	if strings.EqualFold(sentryHost, "sentry.io") {
		return []string{"sentry.io", "us.sentry.io", "de.sentry.io"}
	}
	return nil
}

func parseRegionDomains(raw string) ([]string, error) {
	const name = "SENTRY_ALLOWED_REGION_DOMAINS"
	var out []string
	var errs []error
	seen := make(map[string]bool)
	for _, item := range splitList(raw) {
		h := strings.TrimSuffix(strings.ToLower(item), ".")
		if !isDNSName(h) {
			errs = append(errs, fmt.Errorf("%s: %q is not a host name; list bare host names separated by commas, such as sentry.io,us.sentry.io", name, item))
			continue
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s lists no host names; list some, such as us.sentry.io, or unset it for the default", name))
	}
	return out, errors.Join(errs...)
}

// isDNSName reports whether s is a lowercase DNS host name: dot-separated
// labels of a-z, 0-9 and inner hyphens, not an IP address.
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 || net.ParseIP(s) != nil {
		return false
	}
	labels := strings.Split(s, ".")
	for _, label := range labels {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// A top-level label of digits only is an IP address in disguise.
	_, err := strconv.Atoi(labels[len(labels)-1])
	return err != nil
}

// splitList splits a comma list, trimming items and dropping empty ones, so
// a trailing comma is harmless.
func splitList(raw string) []string {
	var out []string
	for _, item := range strings.Split(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// MinCookieSecretLen is the minimum length of COOKIE_SECRET in bytes.
const MinCookieSecretLen = 32

func checkCookieSecret(s string) error {
	if len(s) < MinCookieSecretLen {
		return errors.New("COOKIE_SECRET must be at least 32 bytes; generate one with: openssl rand -base64 32")
	}
	if why := weakness([]byte(s), minCookieDistinct); why != "" {
		return fmt.Errorf("COOKIE_SECRET is too easy to guess (%s); generate one with: openssl rand -base64 32", why)
	}
	return nil
}

// Distinct byte values a secret must have at least. 32 random bytes have
// about 30; a key with fewer than 16 was not drawn at random. A cookie
// secret is text, and `openssl rand -hex 32` writes only 16 symbols, so
// its bar is lower.
const (
	minKeyDistinct    = 16
	minCookieDistinct = 10
)

// weakness says why b cannot be a randomly drawn secret, or "": all bytes
// equal, a short pattern repeated, or too few distinct bytes. It never
// quotes b.
func weakness(b []byte, minDistinct int) string {
	if len(b) == 0 {
		return "it is empty"
	}
	var seen [256]bool
	distinct := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct == 1 {
		return "every byte is the same"
	}
	for p := 2; p <= len(b)/2; p++ {
		if repeats(b, p) {
			return fmt.Sprintf("it repeats a %d-byte pattern", p)
		}
	}
	if distinct < minDistinct {
		return fmt.Sprintf("it has only %d distinct byte values, want at least %d", distinct, minDistinct)
	}
	return ""
}

// repeats reports whether b is a pattern of length p written again and
// again (the last copy may be cut short).
func repeats(b []byte, p int) bool {
	for i := p; i < len(b); i++ {
		if b[i] != b[i-p] {
			return false
		}
	}
	return true
}

// KeySize is the size of an encryption key in bytes (AES-256).
const KeySize = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

func keyHint(id string) string {
	return fmt.Sprintf(`generate one with: echo "%s:$(openssl rand -base64 32)"`, id)
}

func parseKeys(raw string) ([]Key, error) {
	const name = "LOOKOUT_ENCRYPTION_KEYS"
	entries := splitList(raw)
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s lists no keys; %s", name, keyHint("k1"))
	}
	var keys []Key
	var errs []error
	for i, entry := range entries {
		id, b64, ok := strings.Cut(entry, ":")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		switch {
		case !ok:
			// Do not quote the entry: without a colon it may be a bare key.
			errs = append(errs, fmt.Errorf("%s: entry %d is not id:base64key; %s", name, i+1, keyHint("k1")))
			continue
		case !keyIDPattern.MatchString(id):
			errs = append(errs, badKeyID(i))
			continue
		}
		raw, ok := decodeKey(b64)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: key %q is not valid base64 (standard or URL-safe); %s", name, id, keyHint(id)))
			continue
		}
		keys = append(keys, Key{ID: id, Secret: secret.FromBytes(raw)})
	}
	errs = append(errs, checkKeys(keys)...)
	return keys, errors.Join(errs...)
}

// badKeyID does not quote the id: a key written before its id would land
// there.
func badKeyID(i int) error {
	return fmt.Errorf("LOOKOUT_ENCRYPTION_KEYS: entry %d has an invalid key id; an id is 1 to 32 of A-Z a-z 0-9 _ - such as k1", i+1)
}

// decodeKey accepts standard and URL-safe base64, padded or not.
func decodeKey(s string) ([]byte, bool) {
	for _, enc := range keyEncodings {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// checkKeys checks ids and sizes of an already decoded keyring.
func checkKeys(keys []Key) []error {
	var errs []error
	seen := make(map[string]bool)
	for i, k := range keys {
		if !keyIDPattern.MatchString(k.ID) {
			errs = append(errs, badKeyID(i))
			continue
		}
		if seen[k.ID] {
			errs = append(errs, fmt.Errorf("LOOKOUT_ENCRYPTION_KEYS: key id %q appears more than once; give every key its own id", k.ID))
		}
		seen[k.ID] = true
		if k.Secret.Len() != KeySize {
			errs = append(errs, fmt.Errorf("LOOKOUT_ENCRYPTION_KEYS: key %q is %d bytes, want %d; %s", k.ID, k.Secret.Len(), KeySize, keyHint(k.ID)))
		} else if why := weakness(k.Secret.RevealBytes(), minKeyDistinct); why != "" {
			errs = append(errs, fmt.Errorf("LOOKOUT_ENCRYPTION_KEYS: key %q is not random (%s); %s", k.ID, why, keyHint(k.ID)))
		}
	}
	return errs
}

func checkDatabaseURL(raw string) error {
	const example = "such as sqlite://./lookout.db or postgres://lookout:PASSWORD@db.example.com:5432/lookout"
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "sqlite:"):
		if strings.TrimPrefix(raw[len("sqlite:"):], "//") == "" {
			return fmt.Errorf("DATABASE_URL names no SQLite file; use a URL %s", example)
		}
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return errors.New("DATABASE_URL is not a valid postgres URL; percent-encode special characters in the user name and password, as in postgres://lookout:PASSWORD@db.example.com:5432/lookout")
		}
	default:
		return fmt.Errorf("DATABASE_URL must start with sqlite:, postgres:// or postgresql://, %s", example)
	}
	return nil
}

// slackTokenKinds names Slack token prefixes, to tell a user which variable
// the token they pasted belongs in.
var slackTokenKinds = []struct{ prefix, kind string }{
	{"xoxb-", "a bot token (xoxb-), which belongs in SLACK_BOT_TOKEN"},
	{"xapp-", "an app-level token (xapp-), which belongs in SLACK_APP_TOKEN"},
	{"xoxp-", "a user token (xoxp-), which lookout does not use"},
	{"xoxe", "a refresh token (xoxe), which lookout does not use"},
}

func checkSlackToken(name, value, prefix, fix string) error {
	if strings.HasPrefix(value, prefix) && len(value) > len(prefix) {
		return nil
	}
	for _, k := range slackTokenKinds {
		if k.prefix != prefix && strings.HasPrefix(value, k.prefix) {
			return fmt.Errorf("%s must start with %s but holds %s; %s", name, prefix, k.kind, fix)
		}
	}
	return fmt.Errorf("%s must start with %s; %s", name, prefix, fix)
}

func checkSlackBotToken(v string) error {
	return checkSlackToken("SLACK_BOT_TOKEN", v, "xoxb-",
		"copy the Bot User OAuth Token from OAuth & Permissions of your Slack app")
}

func checkSlackAppToken(v string) error {
	return checkSlackToken("SLACK_APP_TOKEN", v, "xapp-",
		"create an app-level token with the connections:write scope under Basic Information > App-Level Tokens of your Slack app")
}

func checkSlackSigningSecret(v string) error {
	if strings.HasPrefix(v, "xox") || strings.HasPrefix(v, "xapp-") {
		return errors.New("SLACK_SIGNING_SECRET holds a Slack token, not a signing secret; copy the Signing Secret from Basic Information > App Credentials of your Slack app")
	}
	return nil
}

func parseSlackAPIURL(raw string) (string, error) {
	const name = "SLACK_API_URL"
	u, err := parseURL(name, raw, DefaultSlackAPIURL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("%s must use https unless the host is loopback (got %s)", name, u)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u.String(), nil
}

func parseOpenAIBaseURL(raw string) (string, error) {
	u, err := parseURL("OPENAI_BASE_URL", raw, "https://api.openai.com/v1")
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func parseOrigins(raw string) ([]string, error) {
	const name = "LOOKOUT_ALLOWED_ORIGINS"
	var out []string
	var errs []error
	seen := make(map[string]bool)
	for i, item := range splitList(raw) {
		entry := fmt.Sprintf("%s entry %d", name, i+1)
		if strings.Contains(item, "*") {
			errs = append(errs, fmt.Errorf("%s is a wildcard; list each origin, such as https://app.example.com", entry))
			continue
		}
		u, err := parseURL(entry, item, "https://app.example.com")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if u.Path != "" && u.Path != "/" {
			errs = append(errs, fmt.Errorf("%s must be an origin, scheme://host[:port], without a path", entry))
			continue
		}
		origin := u.Scheme + "://" + u.Host
		if !seen[origin] {
			seen[origin] = true
			out = append(out, origin)
		}
	}
	return out, errors.Join(errs...)
}

func parseBool(name, raw string) (bool, error) {
	switch strings.ToLower(raw) {
	case "1", "t", "true", "yes", "y", "on":
		return true, nil
	case "0", "f", "false", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s must be true or false (or 1 or 0), got %q", name, raw)
}

func parseTTL(name, raw string) (time.Duration, error) {
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s must be a Go duration such as 30m, 1h or 720h (there is no d unit), got %q", name, raw)
	}
	if d < MinTokenTTL {
		return 0, fmt.Errorf("%s must be at least %s, got %s", name, MinTokenTTL, d)
	}
	return d, nil
}

// parseToolTimeout: under a second no Sentry call can finish; past ten
// minutes MCP clients and Slack have long given up.
func parseToolTimeout(raw string) (time.Duration, error) {
	const name = "LOOKOUT_TOOL_TIMEOUT"
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s must be a Go duration such as 30s or 1m, got %q", name, raw)
	}
	if d < time.Second || d > 10*time.Minute {
		return 0, fmt.Errorf("%s must be between 1s and 10m, got %s", name, d)
	}
	return d, nil
}

// parseSlackPermissions reads a comma list of read and triage (read is
// always in it).
func parseSlackPermissions(raw string) ([]string, error) {
	out := []string{SlackRead}
	for _, f := range strings.Split(raw, ",") {
		switch p := strings.ToLower(strings.TrimSpace(f)); p {
		case "", SlackRead:
		case SlackTriage:
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		default:
			return nil, fmt.Errorf("LOOKOUT_SLACK_PERMISSIONS must be a comma list of read and triage (the Slack bot's cards look, or also change issues as the clicking user), got %q", strings.TrimSpace(f))
		}
	}
	return out, nil
}

func parseSlackThreads(raw string) (string, error) {
	switch t := strings.ToLower(raw); t {
	case SlackThreadsMention, SlackThreadsAsker, SlackThreadsAll:
		return t, nil
	}
	return "", fmt.Errorf("LOOKOUT_SLACK_THREADS must be mention, asker or all, got %q", raw)
}

// parseRefreshAhead: under ten minutes a busy pass could miss the
// expiry; past 30 days (Sentry's token lifetime) every grant would always
// be due, which the refresher's half-lifetime rule caps anyway.
func parseRefreshAhead(raw string) (time.Duration, error) {
	const name = "LOOKOUT_REFRESH_AHEAD"
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s must be a Go duration such as 24h or 72h (there is no d unit), got %q", name, raw)
	}
	if d < 10*time.Minute || d > 720*time.Hour {
		return 0, fmt.Errorf("%s must be between 10m and 720h, got %s", name, d)
	}
	return d, nil
}

// parseTokenCacheTTL: 0 turns the cache off; past MaxTokenCacheTTL a
// revocation on another replica would wait too long to count.
func parseTokenCacheTTL(raw string) (time.Duration, error) {
	const name = "LOOKOUT_TOKEN_CACHE_TTL"
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s must be a Go duration such as 1s or 500ms (0 turns the cache off), got %q", name, raw)
	}
	if d < 0 || d > MaxTokenCacheTTL {
		return 0, fmt.Errorf("%s must be between 0 and %s, got %s", name, MaxTokenCacheTTL, d)
	}
	return d, nil
}

func parseLogLevel(raw string) (slog.Level, error) {
	switch strings.ToLower(raw) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("LOOKOUT_LOG_LEVEL must be debug, info, warn or error, got %q", raw)
}

func checkAddr(name, raw string) error {
	_, port, err := net.SplitHostPort(raw)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return fmt.Errorf("%s must be host:port or :port with a numeric port, such as :8080 or 127.0.0.1:8080, got %q", name, raw)
	}
	return nil
}

// MinAuditRetention is the shortest audit retention lookout accepts.
const MinAuditRetention = 24 * time.Hour

func parseRetention(raw string) (time.Duration, error) {
	const name = "LOOKOUT_AUDIT_RETENTION"
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s must be a Go duration such as 720h or 2160h (there is no d unit), got %q", name, raw)
	}
	if d < MinAuditRetention {
		return 0, fmt.Errorf("%s must be at least %s, got %s", name, MinAuditRetention, d)
	}
	return d, nil
}

// parseTrustedProxies reads a comma list of IP addresses and CIDR ranges.
func parseTrustedProxies(raw string) ([]netip.Prefix, error) {
	const name = "LOOKOUT_TRUSTED_PROXIES"
	var out []netip.Prefix
	var errs []error
	for i, item := range splitList(raw) {
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("%s entry %d must be an IP address or CIDR range such as 10.0.0.0/8, got %q", name, i+1, item))
				continue
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, errors.Join(errs...)
}

// traces reads the standard OpenTelemetry variables lookout honours for
// traces: where spans go and in which encoding ("" endpoint: no traces).
// The exporter reads the others (headers, timeout, certificate, sampler)
// from the environment itself.
func (l *loader) traces() (endpoint, protocol string) {
	if disabled := l.get("OTEL_SDK_DISABLED"); disabled != "" {
		off, err := parseBool("OTEL_SDK_DISABLED", disabled)
		if !l.ok(err) || off {
			return "", ""
		}
	}
	switch exporter := l.get("OTEL_TRACES_EXPORTER"); exporter {
	case "", "otlp":
	case "none":
		return "", ""
	default:
		l.ok(fmt.Errorf("OTEL_TRACES_EXPORTER must be otlp or none (lookout sends traces over OTLP only), got %q", exporter))
		return "", ""
	}
	name, raw := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", l.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if raw == "" {
		name, raw = "OTEL_EXPORTER_OTLP_ENDPOINT", l.get("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if raw == "" {
		return "", ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		// Not repeated: the URL may carry credentials.
		l.ok(errors.New(name + " must be an http:// or https:// URL without a query, such as http://otel-collector:4318"))
		return "", ""
	}
	if name == "OTEL_EXPORTER_OTLP_ENDPOINT" {
		// The specification's rule: the signal's path is appended.
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		u.RawPath = ""
	}
	name, protocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", l.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		name, protocol = "OTEL_EXPORTER_OTLP_PROTOCOL", l.get("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch protocol {
	case "":
		protocol = TracesProtobuf
	case TracesProtobuf, TracesJSON:
	default:
		l.ok(fmt.Errorf("%s must be http/protobuf or http/json (lookout does not send OTLP over gRPC; a Collector takes OTLP/HTTP on port 4318), got %q", name, protocol))
		return "", ""
	}
	return u.String(), protocol
}
