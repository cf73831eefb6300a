//go:build !stdio

package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// runDemo is `lookout demo`: zero configuration. A fake Sentry and lookout
// on loopback, throwaway secrets, a temporary SQLite database.
func runDemo(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "demo", "demo [--addr=127.0.0.1:8080]")
	flags := newEnvFlags(fs)
	flags.string("addr", "LOOKOUT_ADDR", "listen address (default 127.0.0.1:8080)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	getenv := flags.getenv(env.getenv)
	addr := getenv("LOOKOUT_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another port with --addr=127.0.0.1:PORT)", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return fmt.Errorf("the demo listens on loopback only (got %s): use --addr=127.0.0.1:PORT", ln.Addr())
	}
	baseURL := "http://" + ln.Addr().String()

	dir, err := os.MkdirTemp("", "lookout-demo-")
	if err != nil {
		ln.Close()
		return err
	}
	defer os.RemoveAll(dir)

	clientSecret := randomText(32)
	fake, err := sentrytest.Start(sentrytest.Options{
		ClientID: "lookout-demo", ClientSecret: clientSecret, AppName: "lookout (demo)",
		RedirectURIs: []string{baseURL + config.SentryCallbackPath},
	})
	if err != nil {
		ln.Close()
		return err
	}
	defer fake.Close()

	// alice's token at the fake Sentry, for clients that cannot sign in
	// (the Inspector CLI) and for `lookout mcp`. /mcp accepts it because
	// the demo turns on LOOKOUT_ALLOW_SENTRY_TOKENS; it is worth nothing
	// anywhere else, and nothing once the demo (and its fake) stops.
	demoToken := fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)

	generated := map[string]string{
		"LOOKOUT_BASE_URL":            baseURL,
		"LOOKOUT_ADDR":                ln.Addr().String(),
		"SENTRY_URL":                  fake.URL,
		"SENTRY_CLIENT_ID":            "lookout-demo",
		"SENTRY_CLIENT_SECRET":        clientSecret,
		"COOKIE_SECRET":               randomText(32),
		"LOOKOUT_ENCRYPTION_KEYS":     "demo:" + randomText(32),
		"DATABASE_URL":                "sqlite://" + filepath.Join(dir, "lookout-demo.db"),
		"LOOKOUT_ALLOW_SENTRY_TOKENS": "true",
		"LOOKOUT_ALLOWED_ORIGINS":     strings.Join(append([]string{getenv("LOOKOUT_ALLOWED_ORIGINS")}, inspectorOrigins...), ","),
	}
	cfg, err := config.Load(func(name string) string {
		if v, ok := generated[name]; ok {
			return v
		}
		return getenv(name)
	})
	if err == nil {
		err = cfg.RequireServe()
	}
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo configuration: %w", err)
	}
	logger := newLogger(env, cfg.LogLevel, append(cfg.Secrets(), demoToken)...)
	tracer, stopTracing, err := startTracing(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopTracing()
	a, err := buildApp(ctx, cfg, logger, appOptions{DevMode: true, Tracer: tracer, MetricsOwnListener: cfg.MetricsAddr != ""})
	if err != nil {
		ln.Close()
		return err
	}
	if a.metricsLn, err = listenMetrics(cfg); err != nil {
		ln.Close()
		a.store.Close()
		return err
	}
	self := env.self
	if self == "" {
		self = "lookout"
	}
	fmt.Fprintf(env.stdout, demoBanner, baseURL+"/mcp", fake.URL, demoToken, dir, self)
	return a.run(ctx, ln)
}

// inspectorOrigins are where the MCP Inspector's web UI (port 6274) and
// the proxy of its 1.x line (6277) run by default; the demo lets them call
// /mcp from a browser.
var inspectorOrigins = []string{
	"http://localhost:6274", "http://127.0.0.1:6274",
	"http://localhost:6277", "http://127.0.0.1:6277",
}

// demoBanner's arguments: MCP URL, fake Sentry URL, demo token, data
// directory, how the user ran lookout. The e2e quick-start test runs the
// Inspector CLI and `lookout mcp` lines as printed.
const demoBanner = `
lookout demo is running. Secrets are throwaway; nothing here talks to the real Sentry.

  MCP server    %[1]s
  Fake Sentry   %[2]s   (demo users: alice sees orgs acme and globex, bob sees acme only)
  Demo token    %[3]s   (alice's, at the fake Sentry only; gone when the demo stops)
  Data          %[4]s   (deleted on exit)

Connect an MCP client; it opens a browser: approve it on lookout's page, then pick a demo
user on the fake Sentry's consent page.
  Claude Code     claude mcp add --transport http lookout %[1]s
  Cursor/VS Code  {"mcpServers": {"lookout": {"url": "%[1]s"}}}
  MCP Inspector   npx @modelcontextprotocol/inspector   then: Transport "Streamable HTTP", URL %[1]s, Connect

Or skip the sign-in with the demo token (the demo accepts raw Sentry tokens; serve does not,
unless LOOKOUT_ALLOW_SENTRY_TOKENS is set):
  Inspector CLI   npx @modelcontextprotocol/inspector --cli %[1]s --transport http --method tools/list --header "Authorization: Bearer %[3]s"
  stdio           %[5]s mcp --url %[2]s --access-token %[3]s

Then ask, for example: "What are the top unresolved issues in acme?"
Press Ctrl-C to stop.
`

// randomText returns n random bytes, base64-encoded.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
