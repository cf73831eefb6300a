package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
)

// toolRunner runs catalog tools for one turn as the turn's principal. The
// Sentry client is built from the principal's grant at the first call that
// needs it, so a turn that calls nothing needs no grant, and it is dropped
// with the runner when the turn ends. It is used by one goroutine.
type toolRunner struct {
	agent     *Agent
	principal string

	client *sentry.Client
	calls  int // tool calls made, for MaxSteps and the log
}

// call runs the catalog tool name with args (a JSON object).
func (r *toolRunner) call(ctx context.Context, name string, args json.RawMessage) (string, error) {
	r.calls++
	t, ok := tools.Find(r.agent.catalog, name)
	if !ok {
		return "", &tools.InputError{Tool: name, Problem: "there is no tool of that name; use one of the tools offered"}
	}
	start := time.Now()
	ctx = r.agent.opts.Calls.StartCall(ctx, t.Name)
	parent := ctx
	ctx, cancel := context.WithTimeoutCause(ctx, r.agent.opts.ToolTimeout, ErrSlow)
	defer cancel()
	c, err := r.sentry(ctx)
	var out string
	if err == nil {
		out, err = t.Call(ctx, &tools.Env{Sentry: c}, args)
	}
	r.agent.opts.Calls.EndCall(ctx, t.Name, err, time.Since(start))
	log := r.agent.opts.Logger
	if err != nil {
		log.InfoContext(ctx, "agent: tool call failed", "principal", r.principal, "tool", name, "duration", time.Since(start), "err", err)
		if parent.Err() == nil && errors.Is(context.Cause(ctx), ErrSlow) {
			return "", fmt.Errorf("%w: %s ran past %s: %w", ErrSlow, name, r.agent.opts.ToolTimeout, err)
		}
		return "", err
	}
	log.InfoContext(ctx, "agent: tool call", "principal", r.principal, "tool", name, "duration", time.Since(start), "bytes", len(out))
	return out, nil
}

// sentry returns the turn's Sentry client, building it on first use from
// the principal's grant as it is now (refreshed first if about to expire).
func (r *toolRunner) sentry(ctx context.Context) (*sentry.Client, error) {
	if r.client != nil {
		return r.client, nil
	}
	if r.agent.opts.Vault == nil {
		return nil, errors.New("agent: no grant vault configured (Options.Vault)")
	}
	c, _, err := r.agent.opts.Vault.Client(ctx, r.principal)
	if err != nil {
		return nil, fmt.Errorf("getting your Sentry access: %w", err)
	}
	r.client = c
	return c, nil
}

// NeedsAuth reports whether err, from a Sentry call made with a
// principal's grant (a turn's tool, or a front door's own call such as a
// Slack button's), means the user must (re)connect Sentry, and why; nil
// when a reconnect would not help.
func NeedsAuth(err error) *AuthNeeded { return authNeeded(err) }

// authNeeded reports whether err means the user must (re)connect Sentry,
// and why. Such an error ends the turn: no answer is possible until the
// user consents.
func authNeeded(err error) *AuthNeeded {
	switch {
	case err == nil, ended(err):
		// Trouble on Sentry's or lookout's side, not the grant's: a
		// reconnect would not help.
		return nil
	case errors.Is(err, vault.ErrNoGrant):
		return &AuthNeeded{Reason: ReasonNoGrant}
	case errors.Is(err, vault.ErrStale), errors.Is(err, vault.ErrDecrypt), errors.Is(err, sentry.ErrUnauthorized):
		return &AuthNeeded{Reason: ReasonStale}
	case errors.Is(err, sentry.ErrMissingScope):
		var api *sentry.APIError
		scope := ""
		if errors.As(err, &api) {
			scope = api.Scope
		}
		return &AuthNeeded{Reason: ReasonMissingScope, Scope: scope}
	}
	return nil
}

// ended reports errors that end a turn with an apology rather than a
// reconnect link or a retry by the model: Sentry or lookout's database in
// trouble, or a lookup over its time budget.
func ended(err error) bool {
	return errors.Is(err, vault.ErrUnavailable) || errors.Is(err, ErrSlow)
}

// slackGuide words tool errors for a Slack user. Its Unauthorized and
// MissingScope texts never reach users through the agent (those errors
// become Reply.Auth), but they say the right thing if one ever does.
var slackGuide = tools.Guide{
	Unauthorized: "Sentry no longer accepts your connection. I'll send you a private link to reconnect.",
	MissingScope: func(scope string) string {
		if scope == "" {
			return "Your Sentry connection lacks a permission this needs. I'll send you a private link to reconnect."
		}
		return "Your Sentry connection lacks the " + scope + " permission. I'll send you a private link to reconnect with it."
	},
}
