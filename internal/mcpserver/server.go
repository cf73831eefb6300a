// Package mcpserver serves lookout's tool catalog over MCP, on stdio for a
// local `lookout mcp` and over Streamable HTTP for the remote server. The
// protocol is github.com/modelcontextprotocol/go-sdk's; this package only
// adapts the catalog and binds each call to its caller's Sentry access.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
	"github.com/lookout-hq/lookout/internal/version"
)

// Binder returns the Env of one tool call: a Sentry client bound to the
// caller, and the caller's pins. It runs once per call, so a client (and
// the token behind it) lives for one call only.
type Binder func(ctx context.Context, req *mcp.CallToolRequest) (*tools.Env, error)

// Options configure a server.
type Options struct {
	// Catalog is what this caller is offered (tools.Catalog with their
	// permissions and pins). tools/list shows the Listed tools; the others
	// answer tools/call by name too, and the wrappers reach them all.
	Catalog []tools.Tool
	// Hidden explains a tool the caller's permissions or pins hide
	// (tools.Unavailable), so calling it by name says what is missing
	// instead of "unknown tool". Nil: such calls are unknown tools.
	Hidden func(name string) (why string, ok bool)
	// SetupError, when set, is the answer to every tool call: the server
	// could not start as configured (a bad flag...), and an MCP client
	// shows a tool result, not a closed connection.
	SetupError string
	Bind       Binder
	// Guide words errors for this front door.
	Guide tools.Guide
	// Logger gets one line per call; it must redact (internal/logging).
	Logger *slog.Logger
	// OnUnauthorized runs when Sentry refused a freshly refreshed token
	// (a 401 after a successful refresh): the grant is dead. It does not
	// run when the refresh itself failed for a transient reason.
	OnUnauthorized func(ctx context.Context, req *mcp.CallToolRequest)
	// Timeout bounds one call as a whole: binding (which may wait for a
	// grant refresh), Sentry requests and their retries (default
	// DefaultToolTimeout).
	Timeout time.Duration
	// Calls, when set, hears each tool call begin and end
	// (internal/metrics counts, times and traces them).
	Calls CallObserver
}

// CallObserver hears each tool call begin and end. EndCall gets the
// context StartCall returned (its deadline is the call's budget) and the
// call's error, nil when it answered.
type CallObserver interface {
	StartCall(ctx context.Context, tool string) context.Context
	EndCall(ctx context.Context, tool string, err error, d time.Duration)
}

type noCalls struct{}

func (noCalls) StartCall(ctx context.Context, _ string) context.Context { return ctx }
func (noCalls) EndCall(context.Context, string, error, time.Duration)   {}

// DefaultToolTimeout is one tool call's budget unless configured
// (LOOKOUT_TOOL_TIMEOUT).
const DefaultToolTimeout = 30 * time.Second

const instructions = `lookout answers questions about Sentry with the caller's own Sentry access.
Start with find_organizations when you do not know the organization slug; search_issues finds
issues; get_issue_details digs into one. Sentry URLs can be passed whole to get_sentry_resource or
as issueUrl. More tools (releases, teams, DSNs, monitors, stack traces, breadcrumbs, tags, traces)
are found with search_sentry_tools and run with execute_sentry_tool.`

// New returns an MCP server offering opts.Catalog.
func New(opts Options) *mcp.Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Calls == nil {
		opts.Calls = noCalls{}
	}
	instr := instructions
	if opts.SetupError != "" {
		instr = "lookout could not start as configured: " + opts.SetupError
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "lookout", Title: "lookout for Sentry", Version: version.String()},
		&mcp.ServerOptions{Instructions: instr})
	unlisted := map[string]mcp.ToolHandler{}
	listed := map[string]bool{}
	for _, t := range opts.Catalog {
		if t.Listed {
			s.AddTool(mcpTool(t), handler(t, opts))
			listed[t.Name] = true
		} else {
			unlisted[t.Name] = handler(t, opts)
		}
	}
	s.AddReceivingMiddleware(dispatch(listed, unlisted, opts))
	return s
}

// dispatch answers tools/call for what tools/list does not show: a
// catalog tool that is not listed runs as if it were (prompts name tools
// directly); a tool the caller's permissions hide says what is missing;
// with a SetupError every call says that. A listed tool goes straight to
// the SDK: Hidden is asked only about names this server does not serve.
func dispatch(listed map[string]bool, unlisted map[string]mcp.ToolHandler, opts Options) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			call, ok := req.(*mcp.CallToolRequest)
			if method != "tools/call" || !ok || call.Params == nil {
				return next(ctx, method, req)
			}
			if opts.SetupError != "" {
				return errorResult(opts.SetupError), nil
			}
			if listed[call.Params.Name] {
				return next(ctx, method, req)
			}
			if h, ok := unlisted[call.Params.Name]; ok {
				return h(ctx, call)
			}
			if opts.Hidden != nil {
				if why, ok := opts.Hidden(call.Params.Name); ok {
					opts.Logger.InfoContext(ctx, "tool call refused", "tool", call.Params.Name, "reason", "not enabled")
					return errorResult(why), nil
				}
			}
			return next(ctx, method, req)
		}
	}
}

// mcpTool describes t in MCP terms.
func mcpTool(t tools.Tool) *mcp.Tool {
	openWorld := true
	destructive := t.Destructive
	return &mcp.Tool{
		Name:        t.Name,
		Title:       t.Title,
		Description: t.Description,
		InputSchema: t.InputSchema(),
		Annotations: &mcp.ToolAnnotations{
			Title:           t.Title,
			ReadOnlyHint:    t.ReadOnly,
			DestructiveHint: &destructive,
			IdempotentHint:  t.Idempotent,
			OpenWorldHint:   &openWorld,
		},
	}
}

// handler runs one call. Failures are tool results with isError set and a
// message saying what to do, never protocol errors: the model can read
// and act on them. Messages never carry internals (hosts, key ids, error
// chains): those go to the log line, which has the same request id.
func handler(t tools.Tool, opts Options) mcp.ToolHandler {
	budget := opts.Timeout
	if budget <= 0 {
		budget = DefaultToolTimeout
	}
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if requestid.From(ctx) == "" && req.Extra != nil && req.Extra.Header != nil {
			if id := req.Extra.Header.Get(requestid.Header); id != "" {
				ctx = requestid.With(ctx, id)
			}
		}
		ctx, _ = requestid.Ensure(ctx)
		ctx = opts.Calls.StartCall(ctx, t.Name)
		parent := ctx
		ctx, cancel := context.WithTimeoutCause(ctx, budget, errBudget)
		defer cancel()
		start := time.Now()
		env, err := opts.Bind(ctx, req)
		var out tools.Result
		if err == nil {
			out, err = t.CallResult(ctx, env, req.Params.Arguments)
		}
		opts.Calls.EndCall(ctx, t.Name, err, time.Since(start))
		if err != nil {
			if badInput(err) {
				opts.Logger.InfoContext(ctx, "tool call refused: bad input", "tool", t.Name, "duration", time.Since(start), "err", err)
			} else {
				opts.Logger.WarnContext(ctx, "tool call failed", "tool", t.Name, "duration", time.Since(start), "err", err)
			}
			overBudget := parent.Err() == nil && errors.Is(context.Cause(ctx), errBudget)
			switch {
			case overBudget:
				return errorResult(fmt.Sprintf("The call took longer than %s and was stopped: Sentry (or lookout's database) is slow right now. Try again in a minute, or narrow the query%s.",
					budget, requestid.Suffix(ctx))), nil
			case errors.Is(err, vault.ErrUnavailable):
				return errorResult("Sentry (or lookout's database) is having trouble; try again in a minute" +
					requestid.Suffix(ctx) + "."), nil
			case needsSignIn(err):
				if opts.OnUnauthorized != nil && deadToken(err) {
					opts.OnUnauthorized(ctx, req)
				}
				return errorResult(opts.Guide.Unauthorized), nil
			}
			return errorResult(explain(ctx, opts.Guide, err)), nil
		}
		content := []mcp.Content{&mcp.TextContent{Text: out.Text}}
		size := len(out.Text)
		for _, m := range out.Media {
			size += len(m.Data)
			if m.Image {
				content = append(content, &mcp.ImageContent{Data: m.Data, MIMEType: m.MIMEType})
			} else {
				content = append(content, &mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: m.URI, MIMEType: m.MIMEType, Blob: m.Data}})
			}
		}
		opts.Logger.InfoContext(ctx, "tool call", "tool", t.Name, "duration", time.Since(start), "bytes", size)
		return &mcp.CallToolResult{Content: content}, nil
	}
}

// errBudget is the cause of a call's context ending at its budget.
var errBudget = errors.New("mcpserver: the tool call's time budget ran out")

// badInput reports a failure caused by what the caller asked for (refused
// before any request, Sentry's 400, or an id or slug Sentry does not know):
// routine, logged at INFO. Everything else (Sentry down, rate limited, a
// grant refused) is logged at WARN, where an operator looks.
func badInput(err error) bool {
	var ie *tools.InputError
	return errors.As(err, &ie) || errors.Is(err, sentry.ErrInvalidArgument) || errors.Is(err, sentry.ErrNotFound)
}

// needsSignIn reports errors only a new consent can fix. Transient trouble
// (vault.ErrUnavailable) is tested first by the caller: a 401 whose
// refresh then failed for a transient reason is not one of these.
func needsSignIn(err error) bool {
	return errors.Is(err, sentry.ErrUnauthorized) || errors.Is(err, vault.ErrStale) ||
		errors.Is(err, vault.ErrNoGrant) || errors.Is(err, vault.ErrDecrypt)
}

// deadToken: Sentry answered 401 to a token the vault had just refreshed,
// so the grant is dead although its refresh worked.
func deadToken(err error) bool {
	return errors.Is(err, sentry.ErrUnauthorized) && !errors.Is(err, vault.ErrStale) && !errors.Is(err, vault.ErrUnavailable)
}

// explain words err for the user. What the guide knows (Sentry's error
// kinds, bad arguments, the tools' own advice) is explained; lookout's own
// failures (network and parser errors, deadlines), whose text holds
// internals, become plain words and the request id, and the log has the
// rest.
func explain(ctx context.Context, g tools.Guide, err error) string {
	var (
		ue  *url.Error
		oe  *net.OpError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
		api *sentry.APIError
	)
	switch {
	case errors.As(err, &api):
		return g.Explain(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "The call was stopped before it finished. Try again in a minute" + requestid.Suffix(ctx) + "."
	case errors.As(err, &ue), errors.As(err, &oe), errors.As(err, &se), errors.As(err, &te),
		strings.Contains(err.Error(), "decoding the answer"):
		return "The call failed inside lookout. Try again; if it keeps failing, tell whoever runs lookout" + requestid.Suffix(ctx) + "."
	}
	return g.Explain(err)
}

func errorResult(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}
