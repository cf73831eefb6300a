// Package requestid gives every HTTP request (and every Slack turn) an id
// that appears on each log line about it and in every error a user sees, so
// "request id 7f3a..." in a bug report finds the log lines with the detail
// the user was not shown.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// Header carries the id back to the client.
const Header = "X-Request-Id"

type key struct{}

// New returns a fresh id: 16 hex digits.
func New() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns ctx's id, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Ensure returns ctx with an id, adding a fresh one if it has none.
func Ensure(ctx context.Context) (context.Context, string) {
	if id := From(ctx); id != "" {
		return ctx, id
	}
	id := New()
	return With(ctx, id), id
}

// Middleware gives each request a fresh id, in its context and in the
// response's X-Request-Id header. An id sent by the client is not trusted:
// it would let one request's log lines pose as another's.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := New()
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}

// Suffix is " (request id X)" for user-facing messages, or "" without one.
func Suffix(ctx context.Context) string {
	if id := From(ctx); id != "" {
		return " (request id " + id + ")"
	}
	return ""
}
