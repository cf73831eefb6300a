package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lookout-hq/lookout/internal/logging"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
)

// Without an endpoint nothing starts: no provider, and a shutdown that has
// nothing to do.
func TestNoEndpointNoTracing(t *testing.T) {
	t.Parallel()
	tp, shutdown, err := Start(Options{})
	if err != nil || tp != nil {
		t.Fatalf("Start without an endpoint: %v, %v", tp, err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Spans reach the endpoint in the encoding asked for, when the provider
// shuts down; the log names the endpoint without its credentials.
func TestSpansReachTheEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		json        bool
		contentType string
	}{{false, "application/x-protobuf"}, {true, "application/json"}} {
		var mu sync.Mutex
		var got []string // content types
		var bodies []string
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, r.URL.Path+" "+r.Header.Get("Content-Type"))
			bodies = append(bodies, string(b))
			mu.Unlock()
			w.Header().Set("Content-Type", tc.contentType)
			if tc.json {
				io.WriteString(w, "{}")
			}
		}))
		defer rcv.Close()
		var logs logtest.Buffer
		endpoint := strings.Replace(rcv.URL, "http://", "http://collector-user:s3cret-pass@", 1) + "/v1/traces?key=s3cret-key"
		tp, shutdown, err := Start(Options{Endpoint: endpoint, JSON: tc.json, Version: "v9.9.9",
			Logger: logging.New(&logs, 0)})
		if err != nil || tp == nil {
			t.Fatalf("Start: %v", err)
		}
		_, span := tp.Tracer("test").Start(context.Background(), "execute_tool whoami")
		span.End()
		if err := shutdown(context.Background()); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		mu.Lock()
		if len(got) != 1 || got[0] != "/v1/traces "+tc.contentType {
			t.Errorf("json=%t: requests %q", tc.json, got)
		}
		if tc.json && (len(bodies) != 1 || !strings.Contains(bodies[0], "execute_tool whoami") || !strings.Contains(bodies[0], "v9.9.9")) {
			t.Errorf("json body: %q", bodies)
		}
		mu.Unlock()
		if strings.Contains(logs.String(), "s3cret") || !strings.Contains(logs.String(), "telemetry: sending traces") {
			t.Errorf("log:\n%s", logs.String())
		}
	}
}
