package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The per-call cost of the hooks on a tool call's path (issue #12's budget
// is 0.3 ms of lookout CPU per call): go test -bench . -benchmem
// ./internal/metrics/

func BenchmarkToolCall(b *testing.B) {
	m := New(Options{})
	calls := m.Calls(ViaMCP)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c := calls.StartCall(ctx, "search_issues")
		calls.EndCall(c, "search_issues", nil, time.Millisecond)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	m := New(Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mcp", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h := m.Middleware(mux)
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	w := httptest.NewRecorder()
	bare := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	}
	b.Run("mux", func(b *testing.B) { bare(b, mux) })
	b.Run("mux+metrics", func(b *testing.B) { bare(b, h) })
}

func BenchmarkUpstream(b *testing.B) {
	m := New(Options{})
	resp := &http.Response{StatusCode: http.StatusOK}
	base := roundTripFunc(func(*http.Request) (*http.Response, error) { return resp, nil })
	t := m.Transport(base)
	req := httptest.NewRequest(http.MethodGet, "https://sentry.io/api/0/organizations/acme/issues/123/", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.RoundTrip(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStoreStatement(b *testing.B) {
	m := New(Options{})
	done := m.Statement("select grants")
	b.ReportAllocs()
	for b.Loop() {
		done(time.Millisecond)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
