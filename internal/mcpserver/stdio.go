package mcpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
)

// StdioOptions configure `lookout mcp`: one user, one Sentry token.
type StdioOptions struct {
	Sentry      sentry.Options // BaseURL, Token, InsecureHTTP, AllowedRegionDomains...
	Permissions []tools.Permission
	Org         string // --organization-slug
	Project     string // --project-slug
	// HowToEnable says how to get a permission this session lacks (the
	// flag to add); see tools.Options.
	HowToEnable func(tools.Permission) string
	// DocsURL is where search_docs searches (--mcp-url); "" is the
	// reference's default.
	DocsURL string
	Logger  *slog.Logger
}

// stdioRegionsTTL is how long `lookout mcp` trusts what it learned of an
// organization's region: the process serves one token, so one cache, kept
// long, re-learned now and then in case an organization moved.
const stdioRegionsTTL = time.Hour

// ServeStdio serves MCP on in/out until the client disconnects or ctx
// ends. Nothing but protocol is written to out.
func ServeStdio(ctx context.Context, opts StdioOptions, in io.ReadCloser, out io.WriteCloser) error {
	// Fail fast on a bad URL or missing token, before the client connects.
	if _, err := sentry.New(opts.Sentry); err != nil {
		return err
	}
	docs, err := sentry.NewDocsClient(sentry.DocsOptions{SearchURL: opts.DocsURL})
	if err != nil {
		return err
	}
	sentryOpts := opts.Sentry
	if sentryOpts.Regions == nil {
		sentryOpts.Regions = sentry.NewRegions(stdioRegionsTTL)
	}
	topts := tools.Options{Permissions: opts.Permissions, Org: opts.Org, Project: opts.Project, HowToEnable: opts.HowToEnable}
	s := New(Options{
		Catalog: tools.Catalog(topts),
		Hidden:  func(name string) (string, bool) { return tools.Unavailable(topts, name) },
		Guide:   tools.TokenGuide(opts.Sentry.BaseURL),
		Logger:  opts.Logger,
		Bind: func(context.Context, *mcp.CallToolRequest) (*tools.Env, error) {
			// A client per call, for the call's retry budget; what calls
			// learn of regions is kept for the process.
			c, err := sentry.New(sentryOpts)
			if err != nil {
				return nil, err
			}
			return &tools.Env{Sentry: c, Docs: docs, Org: opts.Org, Project: opts.Project}, nil
		},
	})
	return s.Run(ctx, &mcp.IOTransport{Reader: in, Writer: out})
}

// ServeStdioSetupError serves MCP on in/out for a `lookout mcp` that could
// not start as configured: the default tools are listed, and every call
// answers msg. A client launched with a bad flag then shows why in a tool
// result, where its user looks, instead of "Connection closed".
func ServeStdioSetupError(ctx context.Context, msg string, in io.ReadCloser, out io.WriteCloser) error {
	s := New(Options{
		Catalog:    tools.Catalog(tools.Options{}),
		SetupError: msg,
		Bind: func(context.Context, *mcp.CallToolRequest) (*tools.Env, error) {
			return nil, errors.New(msg) // not reached: every call answers msg first
		},
	})
	return s.Run(ctx, &mcp.IOTransport{Reader: in, Writer: out})
}
