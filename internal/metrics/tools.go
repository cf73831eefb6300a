package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Front doors, the via label of tool calls.
const (
	ViaMCP   = "mcp"
	ViaSlack = "slack"
)

// Outcomes of a tool call.
const (
	OutcomeOK           = "ok"
	OutcomeInvalid      = "invalid"      // the caller's input: refused before Sentry, Sentry's 400 or 404
	OutcomeUnauthorized = "unauthorized" // the grant: none, stale, refused, or a scope missing
	OutcomeForbidden    = "forbidden"    // Sentry's 403: no access to that organization or project
	OutcomeRateLimited  = "rate_limited" // Sentry's 429, after retries
	OutcomeUpstream     = "upstream_error"
	OutcomeUnavailable  = "unavailable" // lookout's database, the token endpoint, a missing key
	OutcomeTimeout      = "timeout"     // the call's budget ran out
	OutcomeCanceled     = "canceled"    // the caller went away
	OutcomeError        = "error"       // anything else: lookout itself
)

// Calls counts, times and traces the tool calls of one front door. Its
// methods are what internal/mcpserver's CallObserver and internal/agent's
// call hook need.
type Calls struct {
	m        *Metrics
	via      string
	tools    cache[string, *toolSeries]
	outcomes cache[toolOutcome, prometheus.Counter]
}

type toolSeries struct {
	duration prometheus.Observer
	span     string // span name
}

type toolOutcome struct{ tool, outcome string }

// Calls returns the tool-call metrics of front door via (ViaMCP,
// ViaSlack).
func (m *Metrics) Calls(via string) *Calls {
	return &Calls{m: m, via: via}
}

// StartCall begins a call of tool: with tracing on, ctx gets the call's
// span, which Sentry requests made with ctx are children of. Without, ctx
// is returned as it is, at no cost.
func (c *Calls) StartCall(ctx context.Context, tool string) context.Context {
	if c == nil || c.m.tracer == nil {
		return ctx
	}
	s := c.series(tool)
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "execute_tool"),
		attribute.String("gen_ai.tool.name", tool),
		attribute.String("lookout.via", c.via),
	}
	if id := requestid.From(ctx); id != "" {
		attrs = append(attrs, attribute.String("lookout.request_id", id))
	}
	ctx, _ = c.m.tracer.Start(ctx, s.span, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx
}

// EndCall records the end of a call of tool that took d and ended with err
// (nil: answered). ctx is the call's: its deadline tells a call that ran
// out of time from one that failed.
func (c *Calls) EndCall(ctx context.Context, tool string, err error, d time.Duration) {
	if c == nil {
		return
	}
	outcome := Outcome(ctx, err)
	c.series(tool).duration.Observe(d.Seconds())
	c.outcomes.get(toolOutcome{tool, outcome}, c.newOutcome).Inc()
	if c.m.tracer == nil {
		return
	}
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(attribute.String("lookout.outcome", outcome))
	if outcome != OutcomeOK {
		// The outcome word, never err's text: it can hold URLs and
		// Sentry's own messages, which the log (redacted) has.
		span.SetAttributes(attribute.String("error.type", outcome))
		span.SetStatus(codes.Error, outcome)
	}
	span.End()
}

func (c *Calls) series(tool string) *toolSeries {
	return c.tools.get(tool, func(tool string) *toolSeries {
		return &toolSeries{duration: c.m.toolDuration.WithLabelValues(c.via, tool), span: "execute_tool " + tool}
	})
}

func (c *Calls) newOutcome(k toolOutcome) prometheus.Counter {
	return c.m.toolCalls.WithLabelValues(c.via, k.tool, k.outcome)
}

// Outcome names how a tool call ended, from its error and its context:
// one of the Outcome words.
func Outcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	case ctx.Err() != nil, errors.Is(err, context.Canceled):
		return OutcomeCanceled
	case errors.Is(err, vault.ErrUnavailable):
		// Before the grant's errors: a 401 whose refresh then failed for a
		// transient reason is trouble, not a sign-in.
		return OutcomeUnavailable
	case errors.Is(err, vault.ErrNoGrant), errors.Is(err, vault.ErrStale), errors.Is(err, vault.ErrDecrypt),
		errors.Is(err, sentry.ErrUnauthorized), errors.Is(err, sentry.ErrMissingScope):
		return OutcomeUnauthorized
	case isInputError(err), errors.Is(err, sentry.ErrInvalidArgument), errors.Is(err, sentry.ErrNotFound):
		return OutcomeInvalid
	case errors.Is(err, sentry.ErrNoAccess):
		return OutcomeForbidden
	case errors.Is(err, sentry.ErrRateLimited):
		return OutcomeRateLimited
	case errors.Is(err, sentry.ErrUnavailable):
		return OutcomeUpstream
	}
	return OutcomeError
}

// isInputError is errors.As for a tools.InputError, apart so that its
// target escapes only when a call failed.
func isInputError(err error) bool {
	var ie *tools.InputError
	return errors.As(err, &ie)
}
