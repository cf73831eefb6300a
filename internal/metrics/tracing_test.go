package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lookout-hq/lookout/internal/logging"
	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
)

// With a tracer, a tool call is a span and each Sentry request made for it
// a child span; neither carries the token, the query or the path's slugs.
func TestSpansOfAToolCall(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	m := New(Options{Tracer: tp})

	const token = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	var sawToken bool
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawToken = r.Header.Get("Authorization") == "Bearer "+token
		if strings.Contains(r.URL.Path, "/issues/") {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer fake.Close()
	client := &http.Client{Transport: m.Transport(nil)}

	calls := m.Calls(ViaMCP)
	ctx := calls.StartCall(requestid.With(context.Background(), "7f3a0c1d2e4b5a69"), "search_issues")
	for _, path := range []string{"/api/0/organizations/?query=is:unresolved+secret-words", "/api/0/organizations/acme/issues/"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fake.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	calls.EndCall(ctx, "search_issues", sentry.ErrUnavailable, 10*time.Millisecond)
	if !sawToken {
		t.Fatal("the request lost its Authorization header on the way")
	}

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3 (a tool call and two requests)", len(spans))
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	tool, orgs, issues := byName["execute_tool search_issues"], byName["GET orgs"], byName["GET issues"]
	if tool.Name == "" || orgs.Name == "" || issues.Name == "" {
		t.Fatalf("span names: %v", names(spans))
	}
	for _, child := range []tracetest.SpanStub{orgs, issues} {
		if child.Parent.SpanID() != tool.SpanContext.SpanID() {
			t.Errorf("%s is not a child of the tool call's span", child.Name)
		}
	}
	if issues.Status.Code != codes.Error || tool.Status.Code != codes.Error || orgs.Status.Code == codes.Error {
		t.Errorf("statuses: tool %v, orgs %v, issues %v", tool.Status, orgs.Status, issues.Status)
	}
	attrs := map[string]string{}
	for _, a := range tool.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["gen_ai.tool.name"] != "search_issues" || attrs["lookout.request_id"] != "7f3a0c1d2e4b5a69" ||
		attrs["lookout.outcome"] != OutcomeUpstream || attrs["lookout.via"] != "mcp" {
		t.Errorf("tool span attributes: %v", attrs)
	}
	for _, s := range spans {
		text := s.Name + " " + s.Status.Description
		for _, a := range s.Attributes {
			text += " " + string(a.Key) + "=" + a.Value.Emit()
		}
		for _, bad := range []string{token, "secret-words", "acme", "Bearer"} {
			if strings.Contains(text, bad) {
				t.Errorf("span %s carries %q: %s", s.Name, bad, text)
			}
		}
		if logging.NewRedactor().Redact(text) != text {
			t.Errorf("span %s carries something shaped like a credential: %s", s.Name, text)
		}
	}
}

// Without a tracer, counting a call allocates nothing and starts no span.
// (Not parallel: AllocsPerRun counts the whole process's allocations.)
func TestNoTracerNoSpan(t *testing.T) {
	m := New(Options{})
	calls := m.Calls(ViaMCP)
	calls.EndCall(calls.StartCall(context.Background(), "whoami"), "whoami", nil, time.Millisecond) // warm the caches
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		c := calls.StartCall(ctx, "whoami")
		if c != ctx {
			t.Fatal("StartCall changed the context without a tracer")
		}
		calls.EndCall(c, "whoami", nil, time.Millisecond)
	})
	if allocs != 0 {
		t.Errorf("a counted call allocates %v times", allocs)
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
