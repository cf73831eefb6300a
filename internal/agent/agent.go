// Package agent answers one turn: one principal asking one thing, answered
// with that principal's own Sentry access through the tool catalog.
//
// With a Model configured, a turn is a bounded loop: the model reads the
// question and the catalog's tool schemas, asks for tool calls, reads their
// (truncated) results and writes the answer. Without one, a small command
// grammar (see grammar.go) maps the text to catalog tools directly.
//
// Either way the Sentry client is built from the principal's grant when the
// first tool call needs it, not before: a turn that needs no Sentry call
// ("help") works without any grant. A tool call that finds no grant, a stale
// grant or a missing scope stops the turn at once with Reply.Auth set; the
// caller (the Slack layer) parks the turn, sends a connect link and runs the
// turn again from scratch after consent.
//
// Nothing of the turn ever holds a token except the Sentry client: tools
// take no token argument, and what the model receives (system prompt,
// history, tool results, errors) comes from the catalog, which never sees
// one.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Turn is one request from one principal.
type Turn struct {
	// Principal is who asks, e.g. "slack:T123:U456".
	Principal string
	// Text is what the user asked (the bot mention already stripped).
	Text string
	// History is the earlier messages of the thread, oldest first. Model
	// mode reads it for context; command mode ignores it.
	History []Message
	// Org and Project are the user's defaults (pinned on the Slack Home
	// tab): used when a question names no organization (and then no
	// project), instead of asking. "" for none.
	Org, Project string
}

// Message is one earlier message of a thread.
type Message struct {
	Role string // "user" or "assistant"
	Text string
}

// Roles of a Message.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Reply is the outcome of a turn.
type Reply struct {
	// Text is the answer in plain markdown (the caller converts it to
	// Slack mrkdwn), at most MaxReplyChars characters.
	Text string
	// Auth is set when the turn stopped because the user must connect or
	// reconnect Sentry; Text is then empty.
	Auth *AuthNeeded
	// Subject, when set, says what Text shows (a list of issues, one
	// issue), so that a front door can show it richly, e.g. as Slack
	// cards, with Text as the fallback. Command mode sets it on answers
	// that found what was asked; model mode never does.
	Subject *Subject
}

// Subject is what an answer is about, with the organization resolved.
type Subject struct {
	Kind    string `json:"kind"` // SubjectIssues or SubjectIssue
	Org     string `json:"org,omitempty"`
	Project string `json:"project,omitempty"` // SubjectIssues: "" for every project
	Query   string `json:"query,omitempty"`   // SubjectIssues: Sentry search; "" is is:unresolved
	Issue   string `json:"issue,omitempty"`   // SubjectIssue: short or numeric id
	// URL is the Sentry issue URL a SubjectIssue was named by (Org and
	// Issue are then empty: the URL carries them).
	URL string `json:"url,omitempty"`
}

// Kinds of Subject.
const (
	SubjectIssues = "issues"
	SubjectIssue  = "issue"
)

// AuthNeeded says why a turn needs the user to (re)connect Sentry.
type AuthNeeded struct {
	Reason string // ReasonNoGrant, ReasonStale or ReasonMissingScope
	Scope  string // for ReasonMissingScope: the scope to ask for, when known
}

// Reasons of AuthNeeded.
const (
	// ReasonNoGrant: the principal never connected Sentry (or disconnected).
	ReasonNoGrant = "no_grant"
	// ReasonStale: Sentry rejected the grant (401 after a refresh, or the
	// refresh itself was refused).
	ReasonStale = "stale"
	// ReasonMissingScope: the grant lacks a scope the question needs.
	ReasonMissingScope = "missing_scope"
)

// Errors of Run. Anything else is a bug or a shutdown (the caller's
// context ended). Explain words each for the user.
var (
	// ErrTimeout: the turn ran past Options.Timeout and was stopped.
	ErrTimeout = errors.New("agent: turn timed out")
	// ErrModel: the model provider failed: unreachable, refused the
	// request, or answered something unusable.
	ErrModel = errors.New("agent: the model failed")
	// ErrSlow: one Sentry lookup ran past Options.ToolTimeout.
	ErrSlow = errors.New("agent: a Sentry lookup took too long")
)

// Clients is what the agent needs of the vault: a Sentry client acting as
// the turn's principal (internal/vault's Vault.Client).
type Clients interface {
	Client(ctx context.Context, principal string, regions ...*sentry.Regions) (*sentry.Client, vault.Status, error)
}

// Options configure an Agent. Vault is needed as soon as a turn calls a
// tool; the rest have useful zero values.
type Options struct {
	// Vault builds each turn's Sentry client; the token stays in it.
	Vault Clients
	// SentryURL is the Sentry base URL (SENTRY_URL), to recognize issue
	// URLs in commands.
	SentryURL string
	// Permissions select the catalog (Read is implied; Slack: read only).
	Permissions []tools.Permission
	// Model answers in model mode; nil means command mode.
	Model Model
	// MaxSteps bounds the tool calls of one turn (default 8).
	MaxSteps int
	// Timeout bounds one turn, model and Sentry calls included (default 90s).
	Timeout time.Duration
	// ToolTimeout bounds one tool call, its Sentry retries and any grant
	// refresh it waits for (LOOKOUT_TOOL_TIMEOUT; default 30s).
	ToolTimeout time.Duration
	// Logger gets one line per turn and per tool call: names, durations
	// and error kinds, never arguments' secrets (there are none) or tokens.
	Logger *slog.Logger
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

// Defaults of Options.
const (
	DefaultMaxSteps    = 8
	DefaultTimeout     = 90 * time.Second
	DefaultToolTimeout = 30 * time.Second
)

// Agent runs turns. It is safe for concurrent use; each turn has its own
// Sentry client.
type Agent struct {
	opts    Options
	catalog []tools.Tool
}

// New returns an agent.
func New(opts Options) *Agent {
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ToolTimeout <= 0 {
		opts.ToolTimeout = DefaultToolTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Calls == nil {
		opts.Calls = noCalls{}
	}
	return &Agent{opts: opts, catalog: tools.Catalog(tools.Options{Permissions: opts.Permissions})}
}

// Run answers one turn. A Reply with Auth set is not an error: it is the
// turn asking for consent. Errors wrap ErrTimeout, ErrModel, ErrSlow or
// vault.ErrUnavailable, or are the caller's context ending; Explain words
// them for the user, with the turn's request id (the one on its log lines).
func (a *Agent) Run(ctx context.Context, t Turn) (Reply, error) {
	ctx, id := requestid.Ensure(ctx)
	start := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, a.opts.Timeout, ErrTimeout)
	defer cancel()

	run := &toolRunner{agent: a, principal: t.Principal}
	mode := "command"
	var (
		reply Reply
		err   error
	)
	if a.opts.Model != nil {
		mode = "model"
		reply, err = a.runModel(ctx, run, t)
	} else {
		reply, err = a.runCommand(ctx, run, parseCommand(t.Text).withDefaults(t.Org, t.Project))
	}
	if err != nil && ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrTimeout) && !errors.Is(err, ErrTimeout) {
		err = fmt.Errorf("%w after %s (%w)", ErrTimeout, a.opts.Timeout, err)
	}
	attrs := []any{"principal", t.Principal, "mode", mode, "tool_calls", run.calls, "duration", time.Since(start)}
	switch {
	case err != nil:
		a.opts.Logger.WarnContext(ctx, "agent: turn failed", append(attrs, "err", err)...)
		return Reply{}, &turnError{id: id, err: err}
	case reply.Auth != nil:
		a.opts.Logger.InfoContext(ctx, "agent: turn needs Sentry consent", append(attrs, "reason", reply.Auth.Reason, "scope", reply.Auth.Scope)...)
		return Reply{Auth: reply.Auth}, nil
	}
	a.opts.Logger.InfoContext(ctx, "agent: turn answered", append(attrs, "chars", len(reply.Text))...)
	reply.Text = bound(reply.Text, MaxReplyChars)
	return reply, nil
}

// turnError carries a failed turn's request id to Explain.
type turnError struct {
	id  string
	err error
}

func (e *turnError) Error() string { return e.err.Error() }
func (e *turnError) Unwrap() error { return e.err }

// Explain says in Slack words why a turn failed: plain words and the
// turn's request id, never the error's own text (it may name hosts, keys
// or Go error chains; the log has it).
func Explain(err error) string {
	id := ""
	var te *turnError
	if errors.As(err, &te) {
		id = " (request id " + te.id + ")"
	}
	switch {
	case errors.Is(err, ErrTimeout):
		return "That took too long, so I stopped. Try a narrower question (name the organization and project), or try again in a minute" + id + "."
	case errors.Is(err, ErrSlow):
		return "Sentry is answering slowly right now, so I stopped; try again in a minute" + id + "."
	case errors.Is(err, vault.ErrUnavailable):
		return "Sentry (or lookout's database) is having trouble; try again in a minute" + id + "."
	case errors.Is(err, ErrModel):
		return "The AI model behind me is not answering properly right now. Try again in a minute, or use a command such as `issues <org>/<project>` (say `help` for the list)" + id + "."
	case errors.Is(err, context.Canceled):
		return "I was interrupted (lookout is restarting). Ask again in a moment."
	}
	return "Something went wrong while answering. Try again; if it keeps failing, tell whoever runs lookout" + id + "."
}
