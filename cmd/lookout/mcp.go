package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
)

// runMCP is `lookout mcp`: a local MCP server on stdio, acting with one
// Sentry token. Flags follow @sentry/mcp-server so configs port over.
func runMCP(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "mcp", "mcp --access-token=TOKEN [flags]")
	flags := newEnvFlags(fs)
	flags.string("access-token", "SENTRY_ACCESS_TOKEN", "Sentry user auth token (create one at <SENTRY_URL>/settings/account/api/auth-tokens/)")
	flags.string("url", "SENTRY_URL", "Sentry URL (default https://sentry.io)")
	host := fs.String("host", "", "Sentry host name, e.g. sentry.example.com (same as --url=https://HOST)")
	flags.bool("insecure-http", "SENTRY_INSECURE_HTTP", "allow plain http to a self-hosted Sentry on a trusted network")
	org := fs.String("organization-slug", "", "pin every tool to this organization")
	project := fs.String("project-slug", "", "pin every tool to this project")
	perms := fs.String("permissions", "read", "what tools may do: read, or read,triage to also update issues and add notes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	getenv := flags.getenv(env.getenv)
	if *host != "" {
		if strings.Contains(*host, "/") {
			return fmt.Errorf("--host takes a host name such as sentry.example.com; use --url for a full URL")
		}
		base := getenv
		getenv = func(name string) string {
			if name == "SENTRY_URL" {
				return "https://" + *host
			}
			return base(name)
		}
	}
	token := strings.TrimSpace(getenv("SENTRY_ACCESS_TOKEN"))
	if token == "" {
		return errors.New("no Sentry token: pass --access-token=TOKEN or set SENTRY_ACCESS_TOKEN; " +
			"create one at https://sentry.io/settings/account/api/auth-tokens/ (or your Sentry's URL) with the scopes " +
			"org:read project:read team:read event:read (add event:write for --permissions=read,triage)")
	}
	cfg, err := loadConfigFrom(getenv)
	if err != nil {
		return err
	}
	permissions, err := tools.ParsePermissions(*perms)
	if err != nil {
		return fmt.Errorf("--permissions: %w", err)
	}
	logger := newLogger(env, cfg.LogLevel, append(cfg.Secrets(), token)...)
	logger.Info("lookout mcp serving on stdio", "sentry", cfg.SentryURL, "permissions", *perms,
		"organization", *org, "project", *project)
	err = mcpserver.ServeStdio(ctx, mcpserver.StdioOptions{
		Sentry: sentry.Options{
			BaseURL:              cfg.SentryURL,
			Token:                sentry.StaticToken(token),
			AllowedRegionDomains: cfg.SentryAllowedRegionDomains,
			InsecureHTTP:         cfg.SentryInsecureHTTP,
		},
		Permissions: permissions, Org: *org, Project: *project, Logger: logger,
	}, io.NopCloser(env.stdin), nopWriteCloser{env.stdout})
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
