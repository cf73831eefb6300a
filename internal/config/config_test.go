package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
)

// env is a fake environment for Load.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// with returns a copy of e with more variables set.
func (e env) with(kv ...string) env {
	out := make(env, len(e)+len(kv)/2)
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// joined splits an errors.Join error into its parts.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func keyBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)*7
	}
	return b
}

var (
	key1    = keyBytes(32, 1)
	key2    = keyBytes(32, 2)
	key1Std = base64.StdEncoding.EncodeToString(key1)
	key2URL = base64.RawURLEncoding.EncodeToString(key2)
)

// TestLoadVariables covers every variable: its default, good values (with
// their normalized form) and bad values (with the words of the error).
func TestLoadVariables(t *testing.T) {
	type field = func(*Config) any
	var (
		baseURL        field = func(c *Config) any { return c.BaseURL }
		addr           field = func(c *Config) any { return c.Addr }
		sentryURL      field = func(c *Config) any { return c.SentryURL }
		insecure       field = func(c *Config) any { return c.SentryInsecureHTTP }
		clientID       field = func(c *Config) any { return c.SentryClientID }
		clientSecret   field = func(c *Config) any { return c.SentryClientSecret.Reveal() }
		regions        field = func(c *Config) any { return c.SentryAllowedRegionDomains }
		cookie         field = func(c *Config) any { return c.CookieSecret.Reveal() }
		keys           field = func(c *Config) any { return c.EncryptionKeys }
		database       field = func(c *Config) any { return c.DatabaseURL.Reveal() }
		slackBot       field = func(c *Config) any { return c.SlackBotToken.Reveal() }
		slackSigning   field = func(c *Config) any { return c.SlackSigningSecret.Reveal() }
		slackApp       field = func(c *Config) any { return c.SlackAppToken.Reveal() }
		slackAPI       field = func(c *Config) any { return c.SlackAPIURL }
		model          field = func(c *Config) any { return c.Model }
		openaiKey      field = func(c *Config) any { return c.OpenAIAPIKey.Reveal() }
		openaiBase     field = func(c *Config) any { return c.OpenAIBaseURL }
		anthropicKey   field = func(c *Config) any { return c.AnthropicAPIKey.Reveal() }
		allowTokens    field = func(c *Config) any { return c.AllowSentryTokens }
		origins        field = func(c *Config) any { return c.AllowedOrigins }
		accessTTL      field = func(c *Config) any { return c.AccessTokenTTL }
		refreshTTL     field = func(c *Config) any { return c.RefreshTokenTTL }
		auditRetention field = func(c *Config) any { return c.AuditRetention }
		trustedProxies field = func(c *Config) any { return c.TrustedProxies }
		logLevel       field = func(c *Config) any { return c.LogLevel }
		slackThreads   field = func(c *Config) any { return c.SlackThreads }
		slackPerms     field = func(c *Config) any { return c.SlackPermissions }
		metricsAddr    field = func(c *Config) any { return c.MetricsAddr }
		traces         field = func(c *Config) any { return c.TracesEndpoint + " " + c.TracesProtocol }
		cookie32             = "Zq3v8Kp1Lw5Xn0Rb7Tc2Yd9Me4Gh6Jf-"
		sixteenByteKey       = base64.StdEncoding.EncodeToString(keyBytes(16, 3))
	)

	tests := []struct {
		name    string
		env     env
		field   field
		want    any      // when wantErr is nil
		wantErr []string // substrings of the one error expected
	}{
		// LOOKOUT_BASE_URL
		{name: "base url default", field: baseURL, want: ""},
		{name: "base url https trailing slash trimmed", env: env{"LOOKOUT_BASE_URL": "https://lookout.example.com/"}, field: baseURL, want: "https://lookout.example.com"},
		{name: "base url host lowercased", env: env{"LOOKOUT_BASE_URL": "HTTPS://Lookout.Example.COM"}, field: baseURL, want: "https://lookout.example.com"},
		{name: "base url with path", env: env{"LOOKOUT_BASE_URL": "https://example.com/lookout//"},
			wantErr: []string{"LOOKOUT_BASE_URL must be just scheme://host[:port], without a path", "its own host name"}},
		{name: "base url with escaped path", env: env{"LOOKOUT_BASE_URL": "https://example.com/%2Flookout"}, wantErr: []string{"without a path"}},
		{name: "base url root slashes", env: env{"LOOKOUT_BASE_URL": "https://lookout.example.com//"}, field: baseURL, want: "https://lookout.example.com"},
		{name: "base url http 127.0.0.1", env: env{"LOOKOUT_BASE_URL": "http://127.0.0.1:8080/"}, field: baseURL, want: "http://127.0.0.1:8080"},
		{name: "base url http 127/8", env: env{"LOOKOUT_BASE_URL": "http://127.1.2.3"}, field: baseURL, want: "http://127.1.2.3"},
		{name: "base url http ::1", env: env{"LOOKOUT_BASE_URL": "http://[::1]:8080"}, field: baseURL, want: "http://[::1]:8080"},
		{name: "base url http localhost", env: env{"LOOKOUT_BASE_URL": "http://localhost:3000"}, field: baseURL, want: "http://localhost:3000"},
		{name: "base url trimmed of spaces", env: env{"LOOKOUT_BASE_URL": "  https://lookout.example.com\n"}, field: baseURL, want: "https://lookout.example.com"},
		{name: "base url http public", env: env{"LOOKOUT_BASE_URL": "http://lookout.example.com"},
			wantErr: []string{"LOOKOUT_BASE_URL must use https unless the host is loopback (got http://lookout.example.com)"}},
		{name: "base url http 128.0.0.1", env: env{"LOOKOUT_BASE_URL": "http://128.0.0.1"}, wantErr: []string{"LOOKOUT_BASE_URL must use https"}},
		{name: "base url http localhost.evil", env: env{"LOOKOUT_BASE_URL": "http://localhost.evil.com"}, wantErr: []string{"LOOKOUT_BASE_URL must use https"}},
		{name: "base url query", env: env{"LOOKOUT_BASE_URL": "https://lookout.example.com/?a=b"}, wantErr: []string{"LOOKOUT_BASE_URL", "query"}},
		{name: "base url empty query", env: env{"LOOKOUT_BASE_URL": "https://lookout.example.com/?"}, wantErr: []string{"LOOKOUT_BASE_URL", "query"}},
		{name: "base url fragment", env: env{"LOOKOUT_BASE_URL": "https://lookout.example.com/#x"}, wantErr: []string{"LOOKOUT_BASE_URL", "fragment"}},
		{name: "base url userinfo", env: env{"LOOKOUT_BASE_URL": "https://me@lookout.example.com"}, wantErr: []string{"LOOKOUT_BASE_URL", "user info"}},
		{name: "base url relative", env: env{"LOOKOUT_BASE_URL": "lookout.example.com"}, wantErr: []string{"LOOKOUT_BASE_URL must be an absolute http(s) URL such as https://lookout.example.com"}},
		{name: "base url scheme", env: env{"LOOKOUT_BASE_URL": "ftp://lookout.example.com"}, wantErr: []string{"LOOKOUT_BASE_URL must be an absolute"}},
		{name: "base url unparsable", env: env{"LOOKOUT_BASE_URL": "https://look out.example.com"}, wantErr: []string{"LOOKOUT_BASE_URL is not a valid URL"}},

		// LOOKOUT_ADDR
		{name: "addr default", field: addr, want: ":8080"},
		{name: "addr host port", env: env{"LOOKOUT_ADDR": "127.0.0.1:9000"}, field: addr, want: "127.0.0.1:9000"},
		{name: "addr ipv6", env: env{"LOOKOUT_ADDR": "[::1]:0"}, field: addr, want: "[::1]:0"},
		{name: "addr no colon", env: env{"LOOKOUT_ADDR": "8080"}, wantErr: []string{"LOOKOUT_ADDR must be host:port", `got "8080"`}},
		{name: "addr port range", env: env{"LOOKOUT_ADDR": ":99999"}, wantErr: []string{"LOOKOUT_ADDR"}},
		{name: "addr named port", env: env{"LOOKOUT_ADDR": ":http"}, wantErr: []string{"LOOKOUT_ADDR", "numeric port"}},

		// LOOKOUT_METRICS_ADDR
		{name: "metrics addr default", field: metricsAddr, want: ""},
		{name: "metrics addr", env: env{"LOOKOUT_METRICS_ADDR": "127.0.0.1:9090"}, field: metricsAddr, want: "127.0.0.1:9090"},
		{name: "metrics addr bad", env: env{"LOOKOUT_METRICS_ADDR": "9090"}, wantErr: []string{"LOOKOUT_METRICS_ADDR must be host:port", `got "9090"`}},
		{name: "metrics addr is the main one", env: env{"LOOKOUT_ADDR": ":9000", "LOOKOUT_METRICS_ADDR": ":9000"},
			wantErr: []string{"LOOKOUT_METRICS_ADDR is LOOKOUT_ADDR (:9000)", "leave it unset"}},
		{name: "metrics addr is the default main one", env: env{"LOOKOUT_METRICS_ADDR": ":8080"}, wantErr: []string{"LOOKOUT_METRICS_ADDR is LOOKOUT_ADDR"}},

		// OTEL_EXPORTER_OTLP_*
		{name: "traces off by default", field: traces, want: " "},
		{name: "traces endpoint gets the signal path", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, field: traces, want: "http://collector:4318/v1/traces http/protobuf"},
		{name: "traces endpoint with a path", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.example.com/otlp/"}, field: traces, want: "https://otlp.example.com/otlp/v1/traces http/protobuf"},
		{name: "traces signal endpoint as it is", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/custom"},
			field: traces, want: "http://collector:4318/custom http/protobuf"},
		{name: "traces json", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, field: traces, want: "http://c:4318/v1/traces http/json"},
		{name: "traces grpc refused", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
			wantErr: []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http/protobuf or http/json", "gRPC"}},
		{name: "traces sdk disabled", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, field: traces, want: " "},
		{name: "traces exporter none", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, field: traces, want: " "},
		{name: "traces exporter zipkin", env: env{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErr: []string{"OTEL_TRACES_EXPORTER must be otlp or none"}},
		{name: "traces endpoint not a URL", env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, wantErr: []string{"OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL"}},
		{name: "traces endpoint not repeated", env: env{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://user:hunter2@c/"}, wantErr: []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be"}},

		// SENTRY_INSECURE_HTTP
		{name: "insecure default", field: insecure, want: false},
		{name: "insecure 1", env: env{"SENTRY_INSECURE_HTTP": "1"}, field: insecure, want: true},
		{name: "insecure TRUE", env: env{"SENTRY_INSECURE_HTTP": "TRUE"}, field: insecure, want: true},
		{name: "insecure 0", env: env{"SENTRY_INSECURE_HTTP": "0"}, field: insecure, want: false},
		{name: "insecure bad", env: env{"SENTRY_INSECURE_HTTP": "maybe"}, wantErr: []string{"SENTRY_INSECURE_HTTP must be true or false", `"maybe"`}},

		// SENTRY_URL
		{name: "sentry url default", field: sentryURL, want: "https://sentry.io"},
		{name: "sentry url self-hosted slash", env: env{"SENTRY_URL": "https://Sentry.Example.com/"}, field: sentryURL, want: "https://sentry.example.com"},
		{name: "sentry url port", env: env{"SENTRY_URL": "https://sentry.example.com:8443"}, field: sentryURL, want: "https://sentry.example.com:8443"},
		{name: "sentry url http loopback", env: env{"SENTRY_URL": "http://127.0.0.1:9000"}, field: sentryURL, want: "http://127.0.0.1:9000"},
		{name: "sentry url http insecure", env: env{"SENTRY_URL": "http://sentry.internal", "SENTRY_INSECURE_HTTP": "1"}, field: sentryURL, want: "http://sentry.internal"},
		{name: "sentry url http public", env: env{"SENTRY_URL": "http://sentry.internal"},
			wantErr: []string{"SENTRY_URL must use https (got http://sentry.internal)", "SENTRY_INSECURE_HTTP=1"}},
		{name: "sentry url http insecure off", env: env{"SENTRY_URL": "http://sentry.internal", "SENTRY_INSECURE_HTTP": "false"}, wantErr: []string{"SENTRY_URL must use https"}},
		{name: "sentry url path", env: env{"SENTRY_URL": "https://sentry.io/api/0/"}, wantErr: []string{"SENTRY_URL must be just a scheme and host", "remove the path"}},
		{name: "sentry url query", env: env{"SENTRY_URL": "https://sentry.io?x=1"}, wantErr: []string{"SENTRY_URL", "query"}},
		{name: "sentry url fragment", env: env{"SENTRY_URL": "https://sentry.io#x"}, wantErr: []string{"SENTRY_URL", "fragment"}},
		{name: "sentry url userinfo", env: env{"SENTRY_URL": "https://a:b@sentry.io"}, wantErr: []string{"SENTRY_URL", "user info"}},
		{name: "sentry url scheme", env: env{"SENTRY_URL": "sentry.io"}, wantErr: []string{"SENTRY_URL must be an absolute http(s) URL"}},

		// SENTRY_CLIENT_ID, SENTRY_CLIENT_SECRET
		{name: "client id default", field: clientID, want: ""},
		{name: "client id", env: env{"SENTRY_CLIENT_ID": " abc123 "}, field: clientID, want: "abc123"},
		{name: "client secret default", field: clientSecret, want: ""},
		{name: "client secret", env: env{"SENTRY_CLIENT_SECRET": "s3cr3t"}, field: clientSecret, want: "s3cr3t"},

		// SENTRY_ALLOWED_REGION_DOMAINS
		{name: "regions default sentry.io", field: regions, want: []string{"sentry.io", "us.sentry.io", "de.sentry.io"}},
		{name: "regions default self-hosted", env: env{"SENTRY_URL": "https://sentry.example.com:8443"}, field: regions, want: []string(nil)}, // the client always allows the Sentry host itself,
		{name: "regions default loopback", env: env{"SENTRY_URL": "http://127.0.0.1:9000"}, field: regions, want: []string(nil)},
		{name: "regions list normalized", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": " US.Sentry.io, de.sentry.io.,,us.sentry.io "}, field: regions, want: []string{"us.sentry.io", "de.sentry.io"}},
		{name: "regions single label", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": "localhost"}, field: regions, want: []string{"localhost"}},
		{name: "regions url", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": "https://us.sentry.io"}, wantErr: []string{"SENTRY_ALLOWED_REGION_DOMAINS", `"https://us.sentry.io" is not a host name`}},
		{name: "regions wildcard", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": "*.sentry.io"}, wantErr: []string{"SENTRY_ALLOWED_REGION_DOMAINS", "not a host name"}},
		{name: "regions ip", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": "10.0.0.1"}, wantErr: []string{"SENTRY_ALLOWED_REGION_DOMAINS", "not a host name"}},
		{name: "regions port", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": "sentry.io:443"}, wantErr: []string{"not a host name"}},
		{name: "regions hyphen", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": "-a.sentry.io"}, wantErr: []string{"not a host name"}},
		{name: "regions long label", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": strings.Repeat("a", 64) + ".io"}, wantErr: []string{"not a host name"}},
		{name: "regions empty list", env: env{"SENTRY_ALLOWED_REGION_DOMAINS": ", ,"}, wantErr: []string{"SENTRY_ALLOWED_REGION_DOMAINS lists no host names"}},

		// COOKIE_SECRET
		{name: "cookie default", field: cookie, want: ""},
		{name: "cookie 32 bytes", env: env{"COOKIE_SECRET": cookie32}, field: cookie, want: cookie32},
		{name: "cookie short", env: env{"COOKIE_SECRET": cookie32[1:]},
			wantErr: []string{"COOKIE_SECRET must be at least 32 bytes; generate one with: openssl rand -base64 32"}},

		// LOOKOUT_ENCRYPTION_KEYS
		{name: "keys default", field: keys, want: []Key(nil)},
		{name: "keys std and raw url", env: env{"LOOKOUT_ENCRYPTION_KEYS": "k2:" + key2URL + ", k1 : " + key1Std + ","}, field: keys,
			want: []Key{{ID: "k2", Secret: secret.FromBytes(key2)}, {ID: "k1", Secret: secret.FromBytes(key1)}}},
		{name: "keys id charset", env: env{"LOOKOUT_ENCRYPTION_KEYS": "Key_2026-11:" + key1Std}, field: keys, want: []Key{{ID: "Key_2026-11", Secret: secret.FromBytes(key1)}}},
		{name: "keys 16 bytes", env: env{"LOOKOUT_ENCRYPTION_KEYS": "k1:" + sixteenByteKey},
			wantErr: []string{`LOOKOUT_ENCRYPTION_KEYS: key "k1" is 16 bytes, want 32; generate one with: echo "k1:$(openssl rand -base64 32)"`}},
		{name: "keys bad base64", env: env{"LOOKOUT_ENCRYPTION_KEYS": "k1:not base64!"}, wantErr: []string{`LOOKOUT_ENCRYPTION_KEYS: key "k1" is not valid base64`, "openssl rand"}},
		{name: "keys duplicate id", env: env{"LOOKOUT_ENCRYPTION_KEYS": "k1:" + key1Std + ",k1:" + key2URL}, wantErr: []string{`key id "k1" appears more than once`}},
		{name: "keys empty id", env: env{"LOOKOUT_ENCRYPTION_KEYS": ":" + key1Std}, wantErr: []string{"entry 1 has an invalid key id"}},
		{name: "keys long id", env: env{"LOOKOUT_ENCRYPTION_KEYS": strings.Repeat("k", 33) + ":" + key1Std}, wantErr: []string{"entry 1 has an invalid key id"}},
		{name: "keys bad id char", env: env{"LOOKOUT_ENCRYPTION_KEYS": "k1:" + key1Std + ",k.2:" + key2URL}, wantErr: []string{"entry 2 has an invalid key id"}},
		{name: "keys no colon", env: env{"LOOKOUT_ENCRYPTION_KEYS": key1Std}, wantErr: []string{"LOOKOUT_ENCRYPTION_KEYS: entry 1 is not id:base64key"}},
		{name: "keys only commas", env: env{"LOOKOUT_ENCRYPTION_KEYS": ","}, wantErr: []string{"LOOKOUT_ENCRYPTION_KEYS lists no keys"}},

		// DATABASE_URL
		{name: "database default", field: database, want: "sqlite://./lookout.db"},
		{name: "database sqlite opaque", env: env{"DATABASE_URL": "sqlite:lookout.db"}, field: database, want: "sqlite:lookout.db"},
		{name: "database sqlite absolute", env: env{"DATABASE_URL": "sqlite:///var/lib/lookout/db.sqlite?_pragma=busy_timeout(5000)"}, field: database, want: "sqlite:///var/lib/lookout/db.sqlite?_pragma=busy_timeout(5000)"},
		{name: "database postgres", env: env{"DATABASE_URL": "postgres://lookout:pw@db:5432/lookout?sslmode=require"}, field: database, want: "postgres://lookout:pw@db:5432/lookout?sslmode=require"},
		{name: "database postgresql", env: env{"DATABASE_URL": "postgresql://db/lookout"}, field: database, want: "postgresql://db/lookout"},
		{name: "database mysql", env: env{"DATABASE_URL": "mysql://db/lookout"}, wantErr: []string{"DATABASE_URL must start with sqlite:, postgres:// or postgresql://"}},
		{name: "database bare path", env: env{"DATABASE_URL": "./lookout.db"}, wantErr: []string{"DATABASE_URL must start with"}},
		{name: "database sqlite empty", env: env{"DATABASE_URL": "sqlite://"}, wantErr: []string{"DATABASE_URL names no SQLite file"}},
		{name: "database postgres bad", env: env{"DATABASE_URL": "postgres://u:p@db:port/x"}, wantErr: []string{"DATABASE_URL is not a valid postgres URL", "percent-encode"}},

		// SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN
		{name: "slack bot default", field: slackBot, want: ""},
		{name: "slack bot", env: env{"SLACK_BOT_TOKEN": "xoxb-1-abc"}, field: slackBot, want: "xoxb-1-abc"},
		{name: "slack bot is app token", env: env{"SLACK_BOT_TOKEN": "xapp-1-abc"}, wantErr: []string{"SLACK_BOT_TOKEN must start with xoxb-", "belongs in SLACK_APP_TOKEN", "OAuth & Permissions"}},
		{name: "slack bot is user token", env: env{"SLACK_BOT_TOKEN": "xoxp-1-abc"}, wantErr: []string{"SLACK_BOT_TOKEN must start with xoxb-", "user token"}},
		{name: "slack bot garbage", env: env{"SLACK_BOT_TOKEN": "abc"}, wantErr: []string{"SLACK_BOT_TOKEN must start with xoxb-"}},
		{name: "slack signing default", field: slackSigning, want: ""},
		{name: "slack signing", env: env{"SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5"}, field: slackSigning, want: "8f742231b10e8888abcd99yyyzzz85a5"},
		{name: "slack signing is token", env: env{"SLACK_SIGNING_SECRET": "xoxb-1-abc"}, wantErr: []string{"SLACK_SIGNING_SECRET holds a Slack token", "App Credentials"}},
		{name: "slack app default", field: slackApp, want: ""},
		{name: "slack app", env: env{"SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}, field: slackApp, want: "xapp-1-A1-2-abc"},
		{name: "slack app is bot token", env: env{"SLACK_APP_TOKEN": "xoxb-1-abc"}, wantErr: []string{"SLACK_APP_TOKEN must start with xapp-", "belongs in SLACK_BOT_TOKEN", "connections:write"}},

		// SLACK_API_URL
		{name: "slack api default", field: slackAPI, want: "https://slack.com/api/"},
		{name: "slack api slash added", env: env{"SLACK_API_URL": "https://slack.example.com/api"}, field: slackAPI, want: "https://slack.example.com/api/"},
		{name: "slack api root", env: env{"SLACK_API_URL": "https://slack.example.com"}, field: slackAPI, want: "https://slack.example.com/"},
		{name: "slack api loopback", env: env{"SLACK_API_URL": "http://127.0.0.1:4000/api/"}, field: slackAPI, want: "http://127.0.0.1:4000/api/"},
		{name: "slack api http public", env: env{"SLACK_API_URL": "http://slack.example.com/api/"}, wantErr: []string{"SLACK_API_URL must use https unless the host is loopback"}},
		{name: "slack api relative", env: env{"SLACK_API_URL": "/api/"}, wantErr: []string{"SLACK_API_URL must be an absolute"}},
		{name: "slack api query", env: env{"SLACK_API_URL": "https://slack.com/api/?x"}, wantErr: []string{"SLACK_API_URL", "query"}},

		// LOOKOUT_MODEL and providers
		{name: "model default", field: model, want: ""},
		{name: "model", env: env{"LOOKOUT_MODEL": "claude-sonnet-4-5"}, field: model, want: "claude-sonnet-4-5"},
		{name: "openai key default", field: openaiKey, want: ""},
		{name: "openai key", env: env{"OPENAI_API_KEY": "sk-test"}, field: openaiKey, want: "sk-test"},
		{name: "openai base default", field: openaiBase, want: ""},
		{name: "openai base http lan", env: env{"OPENAI_BASE_URL": "http://ollama.internal:11434/v1"}, field: openaiBase, want: "http://ollama.internal:11434/v1"},
		{name: "openai base relative", env: env{"OPENAI_BASE_URL": "api.openai.com/v1"}, wantErr: []string{"OPENAI_BASE_URL must be an absolute"}},
		{name: "openai base userinfo", env: env{"OPENAI_BASE_URL": "https://k:v@api.example.com/v1"}, wantErr: []string{"OPENAI_BASE_URL", "user info"}},
		{name: "anthropic key default", field: anthropicKey, want: ""},
		{name: "anthropic key", env: env{"ANTHROPIC_API_KEY": "sk-ant-test"}, field: anthropicKey, want: "sk-ant-test"},

		// LOOKOUT_ALLOW_SENTRY_TOKENS
		{name: "allow tokens default", field: allowTokens, want: false},
		{name: "allow tokens true", env: env{"LOOKOUT_ALLOW_SENTRY_TOKENS": "true"}, field: allowTokens, want: true},
		{name: "allow tokens bad", env: env{"LOOKOUT_ALLOW_SENTRY_TOKENS": "sure"}, wantErr: []string{"LOOKOUT_ALLOW_SENTRY_TOKENS must be true or false"}},

		// LOOKOUT_ALLOWED_ORIGINS
		{name: "origins default", field: origins, want: []string(nil)},
		{name: "origins normalized", env: env{"LOOKOUT_ALLOWED_ORIGINS": "https://Claude.AI, http://localhost:6274/,https://claude.ai"}, field: origins,
			want: []string{"https://claude.ai", "http://localhost:6274"}},
		{name: "origins wildcard", env: env{"LOOKOUT_ALLOWED_ORIGINS": "*"}, wantErr: []string{"LOOKOUT_ALLOWED_ORIGINS entry 1 is a wildcard"}},
		{name: "origins path", env: env{"LOOKOUT_ALLOWED_ORIGINS": "https://a.example.com,https://b.example.com/app"}, wantErr: []string{"LOOKOUT_ALLOWED_ORIGINS entry 2 must be an origin"}},
		{name: "origins no scheme", env: env{"LOOKOUT_ALLOWED_ORIGINS": "app.example.com"}, wantErr: []string{"LOOKOUT_ALLOWED_ORIGINS entry 1 must be an absolute"}},

		// LOOKOUT_ACCESS_TOKEN_TTL, LOOKOUT_REFRESH_TOKEN_TTL
		{name: "access ttl default", field: accessTTL, want: time.Hour},
		{name: "access ttl", env: env{"LOOKOUT_ACCESS_TOKEN_TTL": "15m"}, field: accessTTL, want: 15 * time.Minute},
		{name: "access ttl minimum", env: env{"LOOKOUT_ACCESS_TOKEN_TTL": "1m"}, field: accessTTL, want: time.Minute},
		{name: "access ttl too short", env: env{"LOOKOUT_ACCESS_TOKEN_TTL": "30s"}, wantErr: []string{"LOOKOUT_ACCESS_TOKEN_TTL must be at least 1m0s"}},
		{name: "access ttl days", env: env{"LOOKOUT_ACCESS_TOKEN_TTL": "1d"}, wantErr: []string{"LOOKOUT_ACCESS_TOKEN_TTL must be a Go duration", `"1d"`}},
		{name: "refresh ttl default", field: refreshTTL, want: 720 * time.Hour},
		{name: "refresh ttl", env: env{"LOOKOUT_REFRESH_TOKEN_TTL": "24h"}, field: refreshTTL, want: 24 * time.Hour},
		{name: "refresh ttl bad", env: env{"LOOKOUT_REFRESH_TOKEN_TTL": "forever"}, wantErr: []string{"LOOKOUT_REFRESH_TOKEN_TTL must be a Go duration"}},
		{name: "refresh ttl below access", env: env{"LOOKOUT_ACCESS_TOKEN_TTL": "2h", "LOOKOUT_REFRESH_TOKEN_TTL": "1h"},
			wantErr: []string{"LOOKOUT_REFRESH_TOKEN_TTL (1h0m0s) must be at least LOOKOUT_ACCESS_TOKEN_TTL (2h0m0s)"}},

		// LOOKOUT_AUDIT_RETENTION, LOOKOUT_TRUSTED_PROXIES
		{name: "audit retention default", field: auditRetention, want: 2160 * time.Hour},
		{name: "audit retention", env: env{"LOOKOUT_AUDIT_RETENTION": "720h"}, field: auditRetention, want: 720 * time.Hour},
		{name: "audit retention too short", env: env{"LOOKOUT_AUDIT_RETENTION": "1h"}, wantErr: []string{"LOOKOUT_AUDIT_RETENTION must be at least 24h0m0s"}},
		{name: "audit retention days", env: env{"LOOKOUT_AUDIT_RETENTION": "90d"}, wantErr: []string{"LOOKOUT_AUDIT_RETENTION must be a Go duration", `"90d"`}},
		{name: "trusted proxies default", field: trustedProxies, want: []netip.Prefix(nil)},
		{name: "trusted proxies", env: env{"LOOKOUT_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,fd00::/8,10.1.2.3/16"}, field: trustedProxies,
			want: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("10.1.0.0/16")}},
		{name: "trusted proxies bad", env: env{"LOOKOUT_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, wantErr: []string{"LOOKOUT_TRUSTED_PROXIES entry 2 must be an IP address or CIDR range", `"proxy.internal"`}},

		// LOOKOUT_SLACK_THREADS
		{name: "slack threads default", field: slackThreads, want: "asker"},
		{name: "slack threads mention", env: env{"LOOKOUT_SLACK_THREADS": "Mention"}, field: slackThreads, want: "mention"},
		{name: "slack threads all", env: env{"LOOKOUT_SLACK_THREADS": " all "}, field: slackThreads, want: "all"},
		{name: "slack threads bad", env: env{"LOOKOUT_SLACK_THREADS": "everyone"}, wantErr: []string{"LOOKOUT_SLACK_THREADS must be mention, asker or all", `"everyone"`}},

		// LOOKOUT_SLACK_PERMISSIONS
		{name: "slack permissions default", field: slackPerms, want: []string(nil)},
		{name: "slack permissions triage", env: env{"LOOKOUT_SLACK_PERMISSIONS": "read, Triage"}, field: slackPerms, want: []string{"read", "triage"}},
		{name: "slack permissions triage alone", env: env{"LOOKOUT_SLACK_PERMISSIONS": "triage"}, field: slackPerms, want: []string{"read", "triage"}},
		{name: "slack permissions read", env: env{"LOOKOUT_SLACK_PERMISSIONS": "read"}, field: slackPerms, want: []string{"read"}},
		{name: "slack permissions bad", env: env{"LOOKOUT_SLACK_PERMISSIONS": "read,seer"}, wantErr: []string{"LOOKOUT_SLACK_PERMISSIONS must be a comma list of read and triage", `"seer"`}},

		// LOOKOUT_LOG_LEVEL
		{name: "log level default", field: logLevel, want: slog.LevelInfo},
		{name: "log level DEBUG", env: env{"LOOKOUT_LOG_LEVEL": "DEBUG"}, field: logLevel, want: slog.LevelDebug},
		{name: "log level warn", env: env{"LOOKOUT_LOG_LEVEL": "warn"}, field: logLevel, want: slog.LevelWarn},
		{name: "log level error", env: env{"LOOKOUT_LOG_LEVEL": "error"}, field: logLevel, want: slog.LevelError},
		{name: "log level bad", env: env{"LOOKOUT_LOG_LEVEL": "verbose"}, wantErr: []string{"LOOKOUT_LOG_LEVEL must be debug, info, warn or error", `"verbose"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env.get)
			if c == nil {
				t.Fatal("Load returned a nil Config")
			}
			if tt.wantErr != nil {
				if n := len(joined(err)); n != 1 {
					t.Fatalf("Load: got %d errors, want 1: %v", n, err)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("Load error = %q\nwant it to contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.field(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLoadNilGetenv(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != DefaultAddr || c.SentryURL != DefaultSentryURL || c.DatabaseURL.Reveal() != DefaultDatabaseURL {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestZeroConfigIsSafe: a Config built by hand starts with nothing allowed.
func TestZeroConfigIsSafe(t *testing.T) {
	var c Config
	if c.SentryInsecureHTTP || c.AllowSentryTokens || len(c.AllowedOrigins) != 0 || c.LogLevel != slog.LevelInfo {
		t.Errorf("zero Config allows something: %+v", c)
	}
	if c.RequireServe() == nil {
		t.Error("zero Config passes RequireServe")
	}
}

// TestLoadReportsAllErrors: one bad value per variable, every one reported,
// each naming its variable.
func TestLoadReportsAllErrors(t *testing.T) {
	bad := env{
		"LOOKOUT_BASE_URL":              "http://lookout.example.com",
		"LOOKOUT_ADDR":                  "8080",
		"SENTRY_INSECURE_HTTP":          "maybe",
		"SENTRY_URL":                    "https://sentry.io/api/",
		"SENTRY_ALLOWED_REGION_DOMAINS": "https://us.sentry.io",
		"COOKIE_SECRET":                 "short",
		"LOOKOUT_ENCRYPTION_KEYS":       "k1:" + base64.StdEncoding.EncodeToString(keyBytes(16, 9)),
		"DATABASE_URL":                  "mysql://db",
		"SLACK_BOT_TOKEN":               "xapp-1-abc",
		"SLACK_SIGNING_SECRET":          "xoxb-1-abc",
		"SLACK_APP_TOKEN":               "xoxb-1-abc",
		"SLACK_API_URL":                 "http://slack.example.com/api/",
		"OPENAI_BASE_URL":               "api.openai.com",
		"LOOKOUT_ALLOW_SENTRY_TOKENS":   "sure",
		"LOOKOUT_ALLOWED_ORIGINS":       "*",
		"LOOKOUT_ACCESS_TOKEN_TTL":      "1s",
		"LOOKOUT_REFRESH_TOKEN_TTL":     "1d",
		"LOOKOUT_LOG_LEVEL":             "loud",
		"LOOKOUT_SLACK_THREADS":         "some",
		"LOOKOUT_SLACK_PERMISSIONS":     "admin",
	}
	_, err := Load(bad.get)
	errs := joined(err)
	if len(errs) != len(bad) {
		t.Errorf("got %d errors, want %d:\n%v", len(errs), len(bad), err)
	}
	for name := range bad {
		found := false
		for _, e := range errs {
			if strings.HasPrefix(e.Error(), name) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error starts with %s:\n%v", name, err)
		}
	}
}

// TestErrorsNeverContainSecrets feeds secret-bearing values that are wrong
// in every way we detect and checks that no error repeats them.
func TestErrorsNeverContainSecrets(t *testing.T) {
	const (
		cookie    = "cookie-SECRET-1"
		userPass  = "hunter2-SECRET-2"
		query     = "query-SECRET-3"
		slackApp  = "SECRET-4-app-token"
		slackBot  = "SECRET-5-bot-token"
		signing   = "signing-SECRET-6"
		dbPass    = "db-SECRET-7"
		openai    = "openai-SECRET-8"
		origin    = "origin-SECRET-9"
		bareKey   = "bareKeySECRET10abcdefghijklmnopqrstuvwxyz"
		badB64    = "not*base64*SECRET11"
		slackURL  = "slackurl-SECRET-12"
		sentryURL = "sentry-SECRET-13"
		revKey    = "reversedSECRET14+/abc"
	)
	short := base64.StdEncoding.EncodeToString(keyBytes(16, 5))
	secrets := []string{cookie, userPass, query, slackApp, slackBot, signing, dbPass, openai, origin, bareKey, badB64, slackURL, sentryURL, revKey, short}
	base := env{
		"COOKIE_SECRET":           cookie,
		"LOOKOUT_BASE_URL":        "https://admin:" + userPass + "@lookout.example.com",
		"SENTRY_URL":              "https://sentry.io/?token=" + sentryURL,
		"SLACK_BOT_TOKEN":         "xapp-1-" + slackApp,
		"SLACK_APP_TOKEN":         "xoxb-1-" + slackBot,
		"SLACK_SIGNING_SECRET":    "xoxp-" + signing,
		"OPENAI_BASE_URL":         "https://key:" + openai + "@api.example.com/v1",
		"SLACK_API_URL":           "https://slack.com/api/?token=" + slackURL,
		"LOOKOUT_ALLOWED_ORIGINS": "https://u:" + origin + "@app.example.com",
		"LOOKOUT_ENCRYPTION_KEYS": "k1:" + short + "," + bareKey + ",k3:" + badB64 + "," + revKey + ":k4",
	}
	for _, tt := range []struct {
		name string
		env  env
	}{
		{"mysql", base.with("DATABASE_URL", "mysql://root:"+dbPass+"@db/lookout")},
		{"postgres bad port", base.with("DATABASE_URL", "postgres://root:"+dbPass+"@db:port/lookout")},
		{"sqlite-ish", base.with("DATABASE_URL", dbPass)},
		{"base url query", base.with("LOOKOUT_BASE_URL", "https://lookout.example.com/?token="+query)},
		{"base url unparsable", base.with("LOOKOUT_BASE_URL", "https://look out/"+query)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.env.get)
			if err == nil {
				t.Fatal("Load accepted bad values")
			}
			if n := len(joined(err)); n < len(base) {
				t.Errorf("got %d errors, want at least %d:\n%v", n, len(base), err)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error contains secret %q:\n%v", s, err)
				}
			}
		})
	}
}

func goodEnv() env {
	return env{
		"LOOKOUT_BASE_URL":        "https://lookout.example.com",
		"SENTRY_CLIENT_ID":        "client-id",
		"SENTRY_CLIENT_SECRET":    "sentry-client-secret-value",
		"COOKIE_SECRET":           "cookie-secret-value-that-is-long-enough",
		"LOOKOUT_ENCRYPTION_KEYS": "k2:" + key2URL + ",k1:" + key1Std,
	}
}

func TestRequireServe(t *testing.T) {
	tests := []struct {
		name    string
		env     env
		wantErr []string // each a separate error; nil means none
	}{
		{name: "complete", env: goodEnv()},
		{name: "nothing set", env: env{}, wantErr: []string{
			"LOOKOUT_BASE_URL is not set; set it to the public URL MCP clients and Sentry redirect to, e.g. https://lookout.example.com",
			"SENTRY_CLIENT_ID is not set; create an OAuth application at https://sentry.io/settings/account/api/applications/ with redirect URL <LOOKOUT_BASE_URL>/api/oauth/callback/sentry",
			"SENTRY_CLIENT_SECRET is not set; create an OAuth application",
			"COOKIE_SECRET is not set; generate one with: openssl rand -base64 32",
			`LOOKOUT_ENCRYPTION_KEYS is not set; generate one with: echo "k1:$(openssl rand -base64 32)"`,
		}},
		{name: "sentry app names redirect", env: goodEnv().with("SENTRY_CLIENT_ID", "", "SENTRY_URL", "https://sentry.example.com"), wantErr: []string{
			"SENTRY_CLIENT_ID is not set; create an OAuth application at https://sentry.example.com/settings/account/api/applications/ with redirect URL https://lookout.example.com/api/oauth/callback/sentry and copy its Client ID",
		}},
		{name: "slack bot and signing secret", env: goodEnv().with("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_SIGNING_SECRET", "abc")},
		{name: "slack bot and app token", env: goodEnv().with("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_APP_TOKEN", "xapp-1")},
		{name: "slack bot alone", env: goodEnv().with("SLACK_BOT_TOKEN", "xoxb-1"), wantErr: []string{
			"SLACK_SIGNING_SECRET (Events API) or SLACK_APP_TOKEN (Socket Mode) must be set when SLACK_BOT_TOKEN is",
		}},
		{name: "slack signing alone", env: goodEnv().with("SLACK_SIGNING_SECRET", "abc"), wantErr: []string{
			"SLACK_BOT_TOKEN must be set when SLACK_SIGNING_SECRET is",
		}},
		{name: "slack app alone", env: goodEnv().with("SLACK_APP_TOKEN", "xapp-1"), wantErr: []string{
			"SLACK_BOT_TOKEN must be set when SLACK_APP_TOKEN is",
		}},
		{name: "model with openai", env: goodEnv().with("LOOKOUT_MODEL", "gpt-5", "OPENAI_API_KEY", "sk-x")},
		{name: "model with anthropic", env: goodEnv().with("LOOKOUT_MODEL", "claude-sonnet-4-5", "ANTHROPIC_API_KEY", "sk-ant-x")},
		{name: "model without key", env: goodEnv().with("LOOKOUT_MODEL", "gpt-5", "OPENAI_BASE_URL", "http://localhost:11434/v1"), wantErr: []string{
			"LOOKOUT_MODEL is set but no provider key is; set OPENAI_API_KEY",
		}},
		{name: "provider key without model is command mode", env: goodEnv().with("OPENAI_API_KEY", "sk-x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env.get)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.RequireServe()
			errs := joined(err)
			if len(errs) != len(tt.wantErr) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tt.wantErr), err)
			}
			for i, want := range tt.wantErr {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q\nwant it to contain %q", i, errs[i], want)
				}
			}
		})
	}
}

// TestRequireServeChecksHandBuiltConfig: a Config that did not come from
// Load is held to the same bar.
func TestRequireServeChecksHandBuiltConfig(t *testing.T) {
	c, err := Load(goodEnv().get)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = "http://lookout.example.com"
	c.CookieSecret = secret.New("weak-but-set")
	c.EncryptionKeys = []Key{{ID: "k1", Secret: secret.FromBytes(key1)}, {ID: "k1", Secret: secret.FromBytes(key2)}, {ID: "k2", Secret: secret.New("short")}}
	c.SlackBotToken = secret.New("xapp-wrong-variable")
	c.SlackAppToken = secret.New("xapp-1")
	err = c.RequireServe()
	for _, want := range []string{
		"LOOKOUT_BASE_URL must use https",
		"COOKIE_SECRET must be at least 32 bytes",
		`key id "k1" appears more than once`,
		`key "k2" is 5 bytes, want 32`,
		"SLACK_BOT_TOKEN must start with xoxb-",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("RequireServe error = %v\nwant it to contain %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "weak-but-set") {
		t.Errorf("error contains the cookie secret: %v", err)
	}
}

func TestSentryRedirectURL(t *testing.T) {
	for _, tt := range []struct{ base, want string }{
		{"https://lookout.example.com/", "https://lookout.example.com/api/oauth/callback/sentry"},
		{"", ""},
	} {
		c, err := Load(env{"LOOKOUT_BASE_URL": tt.base}.get)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.SentryRedirectURL(); got != tt.want {
			t.Errorf("base %q: SentryRedirectURL() = %q, want %q", tt.base, got, tt.want)
		}
	}
}

// fullEnv sets every secret lookout knows.
func fullEnv() env {
	return goodEnv().with(
		"SLACK_BOT_TOKEN", "xoxb-bot-token-value",
		"SLACK_SIGNING_SECRET", "slack-signing-secret-value",
		"SLACK_APP_TOKEN", "xapp-app-token-value",
		"LOOKOUT_MODEL", "gpt-5",
		"OPENAI_API_KEY", "sk-openai-key-value",
		"ANTHROPIC_API_KEY", "sk-ant-anthropic-key-value",
		"DATABASE_URL", "postgres://lookout:pg-password-value@db:5432/lookout?password=pg-query-password",
	)
}

func TestSecrets(t *testing.T) {
	c, err := Load(fullEnv().get)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Secrets()
	want := []string{
		"sentry-client-secret-value", "cookie-secret-value-that-is-long-enough",
		"xoxb-bot-token-value", "slack-signing-secret-value", "xapp-app-token-value",
		"sk-openai-key-value", "sk-ant-anthropic-key-value",
		string(key1), key1Std, base64.RawStdEncoding.EncodeToString(key1), base64.URLEncoding.EncodeToString(key1), base64.RawURLEncoding.EncodeToString(key1),
		string(key2), key2URL, base64.StdEncoding.EncodeToString(key2),
		"pg-password-value", "pg-query-password",
	}
	have := make(map[string]bool)
	for _, s := range got {
		if s == "" {
			t.Error("Secrets() lists an empty string")
		}
		if have[s] {
			t.Errorf("Secrets() lists %q twice", s)
		}
		have[s] = true
	}
	for _, s := range want {
		if !have[s] {
			t.Errorf("Secrets() lacks %q", s)
		}
	}
	if c.SentryClientID != "" && have[c.SentryClientID] {
		t.Error("Secrets() lists the client id, which is not secret")
	}

	empty, _ := Load(nil)
	if s := empty.Secrets(); len(s) != 0 {
		t.Errorf("Secrets() of an empty config = %q", s)
	}
}

// TestConfigNeverPrintsSecrets renders a Config every way a program might.
func TestConfigNeverPrintsSecrets(t *testing.T) {
	c, err := Load(fullEnv().get)
	if err != nil {
		t.Fatal(err)
	}
	secrets := append(c.Secrets(), c.DatabaseURL.Reveal())
	for _, s := range c.Secrets() {
		secrets = append(secrets, fmt.Sprintf("%x", s), fmt.Sprintf("%q", s))
	}
	var keyBytesPrinted []string
	for _, k := range c.EncryptionKeys {
		keyBytesPrinted = append(keyBytesPrinted, fmt.Sprint(k.Secret.RevealBytes()), fmt.Sprintf("%#v", k.Secret.RevealBytes()))
	}

	jsonOut, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var slogJSON, slogText bytes.Buffer
	slog.New(slog.NewJSONHandler(&slogJSON, nil)).Info("config", "cfg", c, "value", *c, "keys", c.EncryptionKeys, "secret", c.CookieSecret)
	slog.New(slog.NewTextHandler(&slogText, nil)).Info("config", "cfg", c, "value", *c, "keys", c.EncryptionKeys, "secret", c.CookieSecret)

	outputs := map[string]string{
		"%v":          fmt.Sprintf("%v", c),
		"%+v":         fmt.Sprintf("%+v", c),
		"%#v":         fmt.Sprintf("%#v", c),
		"%v value":    fmt.Sprintf("%v", *c),
		"%+v value":   fmt.Sprintf("%+v", *c),
		"%#v value":   fmt.Sprintf("%#v", *c),
		"Println":     fmt.Sprintln(c.CookieSecret, c.EncryptionKeys, c.DatabaseURL),
		"keys %#v":    fmt.Sprintf("%#v", c.EncryptionKeys),
		"json":        string(jsonOut),
		"slog json":   slogJSON.String(),
		"slog text":   slogText.String(),
		"Secret.%d":   fmt.Sprintf("%d", c.CookieSecret),
		"Secret text": string(must(c.CookieSecret.MarshalText())),
	}
	// Verbs vet rejects for a struct, but a careless caller may still use.
	for _, verb := range []string{"%s", "%x", "%q", "%X"} {
		outputs[verb] = fmt.Sprintf(verb, *c)
	}
	for name, out := range outputs {
		if !strings.Contains(out, secret.Redacted) {
			t.Errorf("%s: no %q in output:\n%s", name, secret.Redacted, out)
		}
		for _, s := range append(secrets, keyBytesPrinted...) {
			if strings.Contains(out, s) {
				t.Errorf("%s: output contains secret %q:\n%s", name, s, out)
			}
		}
	}
	// Non-secrets stay readable.
	for _, s := range []string{"https://lookout.example.com", "client-id", `"k1"`} {
		if !strings.Contains(outputs["%#v"], s) {
			t.Errorf("%%#v lost %q:\n%s", s, outputs["%#v"])
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Weak secrets are refused by name, with the fix, before anything is
// sealed or signed with them.
func TestWeakSecretsRefused(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString
	pattern := make([]byte, 32)
	for i := range pattern {
		pattern[i] = "0123456789abcdef"[i%4] // a 4-byte pattern
	}
	// 15 distinct values and no period: forwards, backwards, two more.
	fewDistinct := keyBytes(15, 3)
	for i := 14; i >= 0; i-- {
		fewDistinct = append(fewDistinct, fewDistinct[i])
	}
	fewDistinct = append(fewDistinct, fewDistinct[0], fewDistinct[1])
	for name, tt := range map[string]struct {
		env  env
		want string
	}{
		"all-zero key":       {goodEnv().with("LOOKOUT_ENCRYPTION_KEYS", "k1:"+b64(make([]byte, 32))), `LOOKOUT_ENCRYPTION_KEYS: key "k1" is not random (every byte is the same)`},
		"repeated pattern":   {goodEnv().with("LOOKOUT_ENCRYPTION_KEYS", "k9:"+b64(pattern)), `key "k9" is not random (it repeats a 4-byte pattern)`},
		"few distinct":       {goodEnv().with("LOOKOUT_ENCRYPTION_KEYS", "k1:"+b64(fewDistinct)), "distinct byte values, want at least 16"},
		"cookie identical":   {goodEnv().with("COOKIE_SECRET", strings.Repeat("c", 32)), "COOKIE_SECRET is too easy to guess (every byte is the same); generate one with: openssl rand -base64 32"},
		"cookie pattern":     {goodEnv().with("COOKIE_SECRET", strings.Repeat("abc123", 6)), "COOKIE_SECRET is too easy to guess (it repeats a 6-byte pattern)"},
		"cookie few symbols": {goodEnv().with("COOKIE_SECRET", "aabbccddeeffgghhaabbccddeeffgghhx"), "COOKIE_SECRET is too easy to guess (it has only 9 distinct byte values"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(tt.env.get)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v\nwant an error with %q", err, tt.want)
			}
		})
	}
	// What the documented commands produce passes: base64 and hex.
	for _, v := range []string{b64(keyBytes(32, 9)), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"} {
		if err := checkCookieSecret(v); err != nil {
			t.Errorf("checkCookieSecret(random): %v", err)
		}
	}
	// A hand-built Config is held to the same bar.
	c, err := Load(goodEnv().get)
	if err != nil {
		t.Fatal(err)
	}
	c.EncryptionKeys = []Key{{ID: "k1", Secret: secret.FromBytes(make([]byte, 32))}}
	if err := c.RequireServe(); err == nil || !strings.Contains(err.Error(), `key "k1" is not random`) {
		t.Fatalf("RequireServe with an all-zero key: %v", err)
	}
}

func TestToolTimeout(t *testing.T) {
	t.Parallel()
	c, err := Load(nil)
	if err != nil || c.ToolTimeout != DefaultToolTimeout {
		t.Fatalf("default: %v %v", c.ToolTimeout, err)
	}
	c, err = Load(env{"LOOKOUT_TOOL_TIMEOUT": "45s"}.get)
	if err != nil || c.ToolTimeout != 45*time.Second {
		t.Fatalf("45s: %v %v", c.ToolTimeout, err)
	}
	for _, bad := range []string{"30", "500ms", "1h"} {
		if _, err := Load(env{"LOOKOUT_TOOL_TIMEOUT": bad}.get); err == nil || !strings.Contains(err.Error(), "LOOKOUT_TOOL_TIMEOUT") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestRefreshAhead(t *testing.T) {
	t.Parallel()
	c, err := Load(nil)
	if err != nil || c.RefreshAhead != DefaultRefreshAhead {
		t.Fatalf("default: %v %v", c.RefreshAhead, err)
	}
	c, err = Load(env{"LOOKOUT_REFRESH_AHEAD": "72h"}.get)
	if err != nil || c.RefreshAhead != 72*time.Hour {
		t.Fatalf("72h: %v %v", c.RefreshAhead, err)
	}
	for _, bad := range []string{"1d", "24", "5m", "721h"} {
		if _, err := Load(env{"LOOKOUT_REFRESH_AHEAD": bad}.get); err == nil || !strings.Contains(err.Error(), "LOOKOUT_REFRESH_AHEAD") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// An OTLP endpoint that does not parse is refused without repeating it: it
// may carry credentials.
func TestTracesEndpointErrorKeepsItsSecret(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		_, err := Load(env{name: "ftp://user:hunter2@collector/?token=hunter2"}.get)
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTokenCacheTTL(t *testing.T) {
	t.Parallel()
	c, err := Load(nil)
	if err != nil || c.TokenCacheTTL != DefaultTokenCacheTTL {
		t.Fatalf("default: %v %v", c.TokenCacheTTL, err)
	}
	for raw, want := range map[string]time.Duration{"0": 0, "250ms": 250 * time.Millisecond, "10s": 10 * time.Second} {
		c, err := Load(env{"LOOKOUT_TOKEN_CACHE_TTL": raw}.get)
		if err != nil || c.TokenCacheTTL != want {
			t.Errorf("%s: %v %v", raw, c.TokenCacheTTL, err)
		}
	}
	for _, bad := range []string{"-1s", "11s", "1m", "soon", "5"} {
		if _, err := Load(env{"LOOKOUT_TOKEN_CACHE_TTL": bad}.get); err == nil || !strings.Contains(err.Error(), "LOOKOUT_TOKEN_CACHE_TTL") {
			t.Errorf("%s: %v, want an error naming LOOKOUT_TOKEN_CACHE_TTL", bad, err)
		}
	}
}
