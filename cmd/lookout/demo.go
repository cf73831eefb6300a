package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"

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

	generated := map[string]string{
		"LOOKOUT_BASE_URL":        baseURL,
		"LOOKOUT_ADDR":            ln.Addr().String(),
		"SENTRY_URL":              fake.URL,
		"SENTRY_CLIENT_ID":        "lookout-demo",
		"SENTRY_CLIENT_SECRET":    clientSecret,
		"COOKIE_SECRET":           randomText(32),
		"LOOKOUT_ENCRYPTION_KEYS": "demo:" + randomText(32),
		"DATABASE_URL":            "sqlite://" + filepath.Join(dir, "lookout-demo.db"),
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
	logger := newLogger(env, cfg.LogLevel, cfg.Secrets()...)
	a, err := buildApp(ctx, cfg, logger, appOptions{DevMode: true})
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(env.stdout, demoBanner, baseURL, fake.URL, dir, baseURL, baseURL, baseURL)
	return a.run(ctx, ln)
}

const demoBanner = `
lookout demo is running. Secrets are throwaway; nothing here talks to the real Sentry.

  MCP server    %[1]s/mcp
  Fake Sentry   %[2]s   (demo users: alice sees orgs acme and globex, bob sees acme only)
  Data          %[3]s   (deleted on exit)

Connect an MCP client:
  Claude Code     claude mcp add --transport http lookout %[4]s/mcp
  MCP Inspector   npx @modelcontextprotocol/inspector   then: Transport "Streamable HTTP", URL %[5]s/mcp, Connect
  Cursor/VS Code  {"mcpServers": {"lookout": {"url": "%[6]s/mcp"}}}

Your client opens a browser: approve it on lookout's page, then pick a demo user on the
fake Sentry's consent page. Then ask, for example: "What are the top unresolved issues in acme?"
Press Ctrl-C to stop.
`

// randomText returns n random bytes, base64-encoded.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
