package logging

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/lookout-hq/lookout/internal/requestid"
)

// New returns lookout's logger: JSON lines on w at level and above, with
// secrets and credential-shaped strings masked. To register more secrets
// later, build the logger with NewHandler and keep the Redactor, or reach it
// through logger.Handler().(*logging.Handler).Redactor().
func New(w io.Writer, level slog.Level, secrets ...string) *slog.Logger {
	inner := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(NewHandler(inner, NewRedactor(secrets...)))
}

// Handler is a slog.Handler that redacts every string it is given (the
// message, attributes at any depth, attributes added with WithAttrs, the
// text of errors, Stringers and resolved LogValuers) before passing the
// record to the handler it wraps.
//
// Attributes added with WithAttrs are redacted once and preformatted by the
// wrapped handler as usual; when the Redactor learns a new secret, the next
// record rebuilds that chain, so a secret registered late is masked there
// too.
type Handler struct {
	base slog.Handler // as given to NewHandler, before any With
	r    *Redactor
	ops  []op // the WithGroup and WithAttrs calls that led here, in order

	// cache is base with ops applied, redacted under the secret set it
	// names.
	cache atomic.Pointer[derived]
}

// op is one WithGroup (group set) or WithAttrs (attrs set) call.
type op struct {
	group string
	attrs []slog.Attr
}

type derived struct {
	set *secretSet
	h   slog.Handler
}

// NewHandler wraps inner so that everything logged through it is redacted
// by r. A nil r masks by pattern only.
func NewHandler(inner slog.Handler, r *Redactor) *Handler {
	if r == nil {
		r = NewRedactor()
	}
	h := &Handler{base: inner, r: r}
	h.cache.Store(&derived{set: r.snapshot(), h: inner})
	return h
}

// Redactor returns the Redactor h uses, to register more secrets or to scrub
// strings shown elsewhere (error pages).
func (h *Handler) Redactor() *Redactor { return h.r }

// inner returns the wrapped handler with h's groups and attributes applied,
// redacted with the current secrets.
func (h *Handler) inner() slog.Handler {
	set := h.r.snapshot() // before redacting: the cache may be older than its tag, never newer
	if d := h.cache.Load(); d.set == set {
		return d.h
	}
	inner := h.base
	for _, o := range h.ops {
		if o.attrs == nil {
			inner = inner.WithGroup(o.group)
		} else {
			inner = inner.WithAttrs(h.r.attrs(o.attrs))
		}
	}
	h.cache.Store(&derived{set: set, h: inner})
	return inner
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner().Enabled(ctx, level)
}

// Handle implements slog.Handler. A record logged with a context that
// carries a request id (internal/requestid) gets it as "request_id".
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Redact(rec.Message), rec.PC)
	if id := requestid.From(ctx); id != "" {
		out.AddAttrs(slog.String("request_id", id))
	}
	if n := rec.NumAttrs(); n > 0 {
		attrs := make([]slog.Attr, 0, n)
		rec.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, slog.Attr{Key: a.Key, Value: h.r.value(a.Value)})
			return true
		})
		out.AddAttrs(attrs...)
	}
	return h.inner().Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	attrs = slices.Clone(attrs)
	set := h.r.snapshot()
	return h.with(op{attrs: attrs}, &derived{set: set, h: h.inner().WithAttrs(h.r.attrs(attrs))})
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	set := h.r.snapshot()
	return h.with(op{group: name}, &derived{set: set, h: h.inner().WithGroup(name)})
}

func (h *Handler) with(o op, d *derived) *Handler {
	nh := &Handler{base: h.base, r: h.r, ops: append(slices.Clip(h.ops), o)}
	nh.cache.Store(d)
	return nh
}
