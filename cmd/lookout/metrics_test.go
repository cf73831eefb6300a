//go:build !stdio

package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lookout-hq/lookout/internal/logging"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// scrapeMetrics GETs url and parses the Prometheus text format.
func scrapeMetrics(t *testing.T, url string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the scrape does not parse: %v", err)
	}
	return string(body), families
}

// metricValue is the value of the series of name whose labels include
// labels (a histogram: its count), summed over the matching series, and
// whether any matched.
func metricValue(families map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
	var sum float64
	found := false
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum, found
}

// Issue #11 §2: after a sign-in and a few tool calls, /metrics on the main
// listener has every series the operations guide names, labelled by route
// pattern, tool, outcome and endpoint family, and nothing that is a token,
// a secret, a principal or an organization slug.
func TestServeMetricsAfterSignInAndToolCalls(t *testing.T) {
	srv := newLiveServer(t, storetest.SQLiteDSN(t))
	k1 := newKeySpec("k1")
	srv.start(k1)
	clientID, token := srv.signIn("Metrics client")
	for range 3 {
		srv.wantTool("a tool call", token)
	}
	srv.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/organizations/", Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	if status, body := srv.callTool(token); status != http.StatusOK || !strings.Contains(body, `"isError":true`) {
		t.Fatalf("a rate-limited tool call: %d %s", status, body)
	}
	principal := principalOf(t, srv.dsn, []keySpec{k1}, nil)

	body, families := scrapeMetrics(t, srv.base+"/metrics")
	type series struct {
		name   string
		labels map[string]string
		min    float64 // at least
	}
	for _, s := range []series{
		{"lookout_http_requests_total", map[string]string{"route": "/mcp", "method": "POST", "code": "200"}, 4},
		{"lookout_http_requests_total", map[string]string{"route": "/oauth/register", "code": "201"}, 1},
		{"lookout_http_requests_total", map[string]string{"route": "/oauth/token", "code": "200"}, 1},
		{"lookout_http_requests_total", map[string]string{"route": "/api/oauth/callback/sentry"}, 1},
		{"lookout_http_request_duration_seconds", map[string]string{"route": "/mcp", "method": "POST"}, 4},
		{"lookout_tool_calls_total", map[string]string{"via": "mcp", "tool": "find_organizations", "outcome": "ok"}, 3},
		{"lookout_tool_calls_total", map[string]string{"via": "mcp", "tool": "find_organizations", "outcome": "rate_limited"}, 1},
		{"lookout_tool_call_duration_seconds", map[string]string{"via": "mcp", "tool": "find_organizations"}, 4},
		{"lookout_upstream_requests_total", map[string]string{"endpoint": "token", "code": "200"}, 1},
		{"lookout_upstream_requests_total", map[string]string{"endpoint": "orgs", "code": "200"}, 3},
		{"lookout_upstream_requests_total", map[string]string{"endpoint": "orgs", "code": "429"}, 1},
		{"lookout_upstream_request_duration_seconds", map[string]string{"endpoint": "orgs"}, 4},
		{"lookout_grants", map[string]string{"state": "active"}, 1},
		{"lookout_store_duration_seconds", map[string]string{"op": "select grants"}, 1},
		{"lookout_store_duration_seconds", map[string]string{"op": "insert tokens"}, 1},
		{"lookout_refreshes_total", map[string]string{"outcome": "refreshed"}, 0},
		{"lookout_slack_queue_depth", nil, 0},
		{"lookout_build_info", nil, 1},
		{"go_goroutines", nil, 1},
		{"process_cpu_seconds_total", nil, 0},
	} {
		v, ok := metricValue(families, s.name, s.labels)
		if !ok || v < s.min {
			t.Errorf("%s%v = %v (present: %t), want at least %v", s.name, s.labels, v, ok, s.min)
		}
	}
	if v, _ := metricValue(families, "lookout_grants", map[string]string{"state": "stale"}); v != 0 {
		t.Errorf("stale grants: %v", v)
	}

	// No series per organization, client or token: routes are patterns.
	for _, m := range families["lookout_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && strings.Contains(l.GetValue(), clientID) {
				t.Errorf("a route label holds the client id: %q", l.GetValue())
			}
		}
	}
	secrets := append([]string{token, srv.cookie, sentrytest.DefaultClientSecret, principal, clientID, "globex", "acme"}, srv.fake.IssuedTokens()...)
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("the scrape holds %q", s)
		}
	}
	if logging.NewRedactor().Redact(body) != body {
		t.Error("the scrape holds something shaped like a credential")
	}
}

// With LOOKOUT_METRICS_ADDR, /metrics is served there and not on the main
// listener, which answers it 404 (counted as an unmatched route).
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	srv := newLiveServer(t, storetest.SQLiteDSN(t))
	metricsAddr := freeAddr(t)
	srv.env = map[string]string{"LOOKOUT_METRICS_ADDR": metricsAddr}
	srv.start(newKeySpec("k1"))
	resp, err := http.Get(srv.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404", resp.StatusCode)
	}
	_, families := scrapeMetrics(t, "http://"+metricsAddr+"/metrics")
	if v, ok := metricValue(families, "lookout_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}); !ok || v < 1 {
		t.Errorf("the main listener's 404 for /metrics is not counted: %v %t", v, ok)
	}
	if v, ok := metricValue(families, "lookout_http_requests_total", map[string]string{"route": "GET /healthz", "code": "200"}); !ok || v < 1 {
		t.Errorf("the health checks of start-up are not counted: %v %t", v, ok)
	}
}

// otlpReceiver is an OTLP/HTTP traces endpoint: it decodes what it is sent.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	attrs []*commonpb.KeyValue // resource attributes
	bad   []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, _ := io.ReadAll(body)
		var msg collectortrace.ExportTraceServiceRequest
		r.mu.Lock()
		defer r.mu.Unlock()
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			r.bad = append(r.bad, req.Method+" "+req.URL.Path+" "+req.Header.Get("Content-Type"))
		}
		if err := proto.Unmarshal(data, &msg); err != nil {
			r.bad = append(r.bad, "undecodable: "+err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rs := range msg.GetResourceSpans() {
			r.attrs = append(r.attrs, rs.GetResource().GetAttributes()...)
			for _, ss := range rs.GetScopeSpans() {
				r.spans = append(r.spans, ss.GetSpans()...)
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// Issue #11 §2: with OTEL_EXPORTER_OTLP_ENDPOINT set, serve sends a span
// per tool call and per Sentry request over OTLP/HTTP; no attribute holds
// a token.
func TestServeSendsTraces(t *testing.T) {
	rcv := newOTLPReceiver(t)
	srv := newLiveServer(t, storetest.SQLiteDSN(t))
	srv.env = map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}
	srv.start(newKeySpec("k1"))
	_, token := srv.signIn("Traced client")
	srv.wantTool("a traced tool call", token)
	srv.stop() // shutting down sends what is buffered

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.bad) > 0 {
		t.Errorf("bad OTLP requests: %q", rcv.bad)
	}
	byName := map[string]*tracepb.Span{}
	for _, s := range rcv.spans {
		byName[s.GetName()] = s
	}
	tool, orgs, tok := byName["execute_tool find_organizations"], byName["GET orgs"], byName["POST token"]
	if tool == nil || orgs == nil || tok == nil {
		names := []string{}
		for n := range byName {
			names = append(names, n)
		}
		t.Fatalf("spans %q; want execute_tool find_organizations, GET orgs and POST token", names)
	}
	if string(orgs.GetParentSpanId()) != string(tool.GetSpanId()) || string(orgs.GetTraceId()) != string(tool.GetTraceId()) {
		t.Error("the Sentry request's span is not a child of the tool call's")
	}
	service := ""
	for _, a := range rcv.attrs {
		if a.GetKey() == "service.name" {
			service = a.GetValue().GetStringValue()
		}
	}
	if service != "lookout" {
		t.Errorf("service.name %q", service)
	}
	secrets := append([]string{token, srv.cookie, sentrytest.DefaultClientSecret}, srv.fake.IssuedTokens()...)
	for _, s := range rcv.spans {
		text := s.GetName()
		for _, a := range s.GetAttributes() {
			text += " " + a.GetKey() + "=" + a.GetValue().String()
		}
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("span %s carries a secret", s.GetName())
			}
		}
		if logging.NewRedactor().Redact(text) != text {
			t.Errorf("span %s carries something shaped like a credential: %s", s.GetName(), text)
		}
	}
}
