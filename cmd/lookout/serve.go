//go:build !stdio

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// runServe is `lookout serve`: the remote MCP server with its own OAuth
// authorization server, for many users each with their own Sentry grant.
func runServe(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "serve", "serve [flags]")
	setHelp(env, fs, "serve [flags]", serveHelp)
	flags := newEnvFlags(fs)
	flags.string("addr", "LOOKOUT_ADDR", "listen address (default :8080)")
	flags.string("base-url", "LOOKOUT_BASE_URL", "public URL of this lookout, e.g. https://lookout.example.com")
	flags.string("database-url", "DATABASE_URL", "sqlite://./lookout.db or postgres://...")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfigFrom(flags.getenv(env.getenv))
	if err = serveProblems(err, cfg.RequireServe()); err != nil {
		return fmt.Errorf("not starting:\n%w", err)
	}
	logger := newLogger(env, cfg.LogLevel, cfg.Secrets()...)
	tracer, stopTracing, err := startTracing(cfg, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	a, err := buildApp(ctx, cfg, logger, appOptions{Tracer: tracer, MetricsOwnListener: cfg.MetricsAddr != ""})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		a.store.Close()
		return fmt.Errorf("listen on %s (LOOKOUT_ADDR): %w", cfg.Addr, err)
	}
	if a.metricsLn, err = listenMetrics(cfg); err != nil {
		ln.Close()
		a.store.Close()
		return err
	}
	metricsAt := ln.Addr().String()
	if a.metricsLn != nil {
		metricsAt = a.metricsLn.Addr().String()
	}
	logger.Info("lookout serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL,
		"mcp_url", cfg.BaseURL+"/mcp", "database", describeDSN(cfg.DatabaseURL.Reveal()), "sentry", cfg.SentryURL,
		"metrics", "http://"+metricsAt+"/metrics", "tracing", cfg.TracesEndpoint != "")
	logger.Info("the Sentry OAuth application must have this redirect URL", "redirect_url", cfg.SentryRedirectURL())
	return a.run(ctx, ln)
}

// serveHelp is the part of `serve --help` after the flags: what serve
// reads from the environment. Every variable RequireServe can ask for is
// named (a test holds it to that); the whole list is in the README.
const serveHelp = `Runs the remote MCP server at <LOOKOUT_BASE_URL>/mcp and its OAuth authorization server.
It is configured by environment variables; a flag above wins over its variable.

required:
  LOOKOUT_BASE_URL          public URL of this lookout, scheme://host[:port] (https unless loopback)
  SENTRY_CLIENT_ID          client ID of your Sentry OAuth application, whose redirect URL is
                            <LOOKOUT_BASE_URL>/api/oauth/callback/sentry
  SENTRY_CLIENT_SECRET      its client secret
  COOKIE_SECRET             at least 32 bytes: openssl rand -base64 32
  LOOKOUT_ENCRYPTION_KEYS   grant encryption keys, id:base64key,...: echo "k1:$(openssl rand -base64 32)"

most used optional:
  LOOKOUT_ADDR              listen address (default :8080)
  DATABASE_URL              sqlite://./lookout.db (default), or postgres://... for several replicas
  SENTRY_URL                a self-hosted Sentry (default https://sentry.io)
  LOOKOUT_ALLOWED_ORIGINS   browser origins besides LOOKOUT_BASE_URL's that may call /mcp
  LOOKOUT_LOG_LEVEL         debug, info (default), warn or error
  LOOKOUT_METRICS_ADDR      serve /metrics on this address instead of LOOKOUT_ADDR
  OTEL_EXPORTER_OTLP_ENDPOINT
                            send OpenTelemetry traces there over OTLP/HTTP, e.g. http://collector:4318
  SLACK_BOT_TOKEN           turns the Slack bot on, with SLACK_SIGNING_SECRET (Events API)
                            or SLACK_APP_TOKEN (Socket Mode)
  LOOKOUT_MODEL             model for the Slack bot, with OPENAI_API_KEY or ANTHROPIC_API_KEY

Every variable, with its default: README.md, section Configuration.
`

// serveProblems reports what Load found malformed and what serve still
// misses, in one list: one round of fixes. A variable Load already
// objected to is not reported again as missing.
func serveProblems(malformed, missing error) error {
	if malformed == nil || missing == nil {
		return errors.Join(malformed, missing)
	}
	lines := strings.Split(malformed.Error(), "\n")
	named := map[string]bool{}
	for _, l := range lines {
		name, _, _ := strings.Cut(l, " ")
		named[strings.TrimSuffix(name, ":")] = true
	}
	for _, l := range strings.Split(missing.Error(), "\n") {
		if name, _, _ := strings.Cut(l, " "); !named[name] {
			lines = append(lines, l)
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}
