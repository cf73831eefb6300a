package mcpserver

import (
	"context"
	"io"
	"log/slog"

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
	Logger      *slog.Logger
}

// ServeStdio serves MCP on in/out until the client disconnects or ctx
// ends. Nothing but protocol is written to out.
func ServeStdio(ctx context.Context, opts StdioOptions, in io.ReadCloser, out io.WriteCloser) error {
	// Fail fast on a bad URL or missing token, before the client connects.
	if _, err := sentry.New(opts.Sentry); err != nil {
		return err
	}
	s := New(Options{
		Catalog: tools.Catalog(tools.Options{Permissions: opts.Permissions, Org: opts.Org, Project: opts.Project}),
		Guide:   tools.TokenGuide(opts.Sentry.BaseURL),
		Logger:  opts.Logger,
		Bind: func(context.Context, *mcp.CallToolRequest) (*tools.Env, error) {
			// A fresh client per call: its region cache lives for one turn.
			c, err := sentry.New(opts.Sentry)
			if err != nil {
				return nil, err
			}
			return &tools.Env{Sentry: c, Org: opts.Org, Project: opts.Project}, nil
		},
	})
	return s.Run(ctx, &mcp.IOTransport{Reader: in, Writer: out})
}
