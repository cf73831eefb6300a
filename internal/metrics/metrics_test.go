package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/lookout-hq/lookout/internal/logging"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
)

// series returns the value of metric name with exactly labels (a counter,
// a gauge, or a histogram's sample count), and whether it exists.
func series(t *testing.T, m *Metrics, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			if !sameLabels(metric.GetLabel(), labels) {
				continue
			}
			switch {
			case metric.Counter != nil:
				return metric.Counter.GetValue(), true
			case metric.Gauge != nil:
				return metric.Gauge.GetValue(), true
			case metric.Histogram != nil:
				return float64(metric.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}

func sameLabels(got []*dto.LabelPair, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, l := range got {
		if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
			return false
		}
	}
	return true
}

// labelValues lists the values label takes in metric name.
func labelValues(t *testing.T, m *Metrics, name, label string) []string {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == label && !slices.Contains(out, l.GetValue()) {
					out = append(out, l.GetValue())
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func want(t *testing.T, m *Metrics, name string, labels map[string]string, value float64) {
	t.Helper()
	got, ok := series(t, m, name, labels)
	if !ok {
		t.Errorf("%s%v: no such series", name, labels)
	} else if got != value {
		t.Errorf("%s%v = %v, want %v", name, labels, got, value)
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// The route label is the mux pattern: one series for /mcp/{org} whatever
// the organization, and the raw path of an unmatched request never shows.
func TestHTTPRouteIsThePattern(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mcp/{org}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /quiet", func(http.ResponseWriter, *http.Request) {}) // writes nothing: 200
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()

	do := func(method, path string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, org := range []string{"acme", "globex", "initech"} {
		do(http.MethodPost, "/mcp/"+org)
	}
	do(http.MethodGet, "/healthz")
	do(http.MethodGet, "/quiet")
	do(http.MethodGet, "/wp-admin/secret-probe")
	do("BREW", "/healthz")

	want(t, m, "lookout_http_requests_total", map[string]string{"route": "POST /mcp/{org}", "method": "POST", "code": "202"}, 3)
	want(t, m, "lookout_http_request_duration_seconds", map[string]string{"route": "POST /mcp/{org}", "method": "POST"}, 3)
	want(t, m, "lookout_http_requests_total", map[string]string{"route": "GET /healthz", "method": "GET", "code": "200"}, 1)
	want(t, m, "lookout_http_requests_total", map[string]string{"route": "GET /quiet", "method": "GET", "code": "200"}, 1)
	want(t, m, "lookout_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}, 1)
	want(t, m, "lookout_http_requests_total", map[string]string{"route": "unmatched", "method": "other", "code": "405"}, 1)
	want(t, m, "lookout_http_requests_in_flight", map[string]string{}, 0)
	out := scrape(t, m)
	for _, raw := range []string{"acme", "globex", "initech", "wp-admin", "BREW"} {
		if strings.Contains(out, raw) {
			t.Errorf("the scrape holds %q, a raw path or method", raw)
		}
	}
}

// A handler that panics is counted as the 500 it stands for, and the panic
// still reaches net/http.
func TestHTTPPanicIsA500(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	h := m.Middleware(mux)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not propagate")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/boom", nil))
	}()
	want(t, m, "lookout_http_requests_total", map[string]string{"route": "GET /boom", "method": "GET", "code": "500"}, 1)
	want(t, m, "lookout_http_requests_in_flight", map[string]string{}, 0)
}

// The writer keeps what handlers use: Flush, and ResponseController's
// Unwrap.
func TestStatusWriterPassesThrough(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	var flushed, deadline error
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		deadline = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		w.WriteHeader(http.StatusCreated)
		flushed = rc.Flush()
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if flushed != nil || deadline != nil {
		t.Errorf("Flush: %v, SetWriteDeadline: %v", flushed, deadline)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestEndpointFamilies(t *testing.T) {
	t.Parallel()
	for path, family := range map[string]string{
		"/oauth/token/":                                       EndpointToken,
		"/api/0/organizations/":                               EndpointOrgs,
		"/api/0/organizations/acme/":                          EndpointOrgs,
		"/api/0/users/me/regions/":                            EndpointOrgs,
		"/api/0/organizations/acme/issues/":                   EndpointIssues,
		"/api/0/organizations/acme/issues/123/":               EndpointIssue,
		"/api/0/organizations/acme/issues/123/tags/browser/":  EndpointIssue,
		"/api/0/organizations/acme/issues/123/events/latest/": EndpointEvents,
		"/api/0/organizations/acme/events/":                   EndpointEvents,
		"/api/0/projects/acme/web/events/abc/attachments/":    EndpointEvents,
		"/api/0/issues/123/":                                  EndpointIssue,
		"/api/0/organizations/acme/trace/b4d1aae7216b47ff/":   EndpointTrace,
		"/api/0/organizations/acme/trace-meta/b4d1aae7216b/":  EndpointTrace,
		"/api/0/organizations/acme/projects/":                 EndpointProjects,
		"/api/0/projects/acme/web/":                           EndpointProjects,
		"/api/0/projects/acme/web/keys/d20d/":                 EndpointProjects,
		"/api/0/teams/acme/goats/projects/":                   EndpointTeams,
		"/api/0/organizations/acme/teams/":                    EndpointTeams,
		"/api/0/organizations/acme/releases/1.2.3/commits/":   EndpointReleases,
		"/api/0/projects/acme/web/releases/1.2.3/":            EndpointReleases,
		"/api/0/organizations/acme/monitors/nightly/":         EndpointMonitors,
		"/api/0/projects/acme/web/uptime/42/":                 EndpointMonitors,
		"/api/0/organizations/acme/combined-rules/":           EndpointAlerts,
		"/api/0/organizations/acme/replays/abc/":              EndpointReplays,
		"/api/0/projects/acme/web/profiling/profiles/p1/":     EndpointProfiling,
		"/api/0/organizations/acme/dashboards/7/":             EndpointDashboards,
		"/api/0/organizations/acme/code-mappings/bulk/":       EndpointOther,
		"/api/0/":      EndpointOther,
		"/favicon.ico": EndpointOther,
		"":             EndpointOther,
	} {
		if got := Endpoint(path); got != family {
			t.Errorf("Endpoint(%q) = %q, want %q", path, got, family)
		}
	}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	live := context.Background()
	expired, cancel := context.WithDeadline(live, time.Now().Add(-time.Second))
	defer cancel()
	gone, cancel2 := context.WithCancel(live)
	cancel2()
	wrap := func(err error) error { return fmt.Errorf("tool: %w", err) }
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want string
	}{
		{live, nil, OutcomeOK},
		{expired, wrap(errors.New("read tcp: i/o timeout")), OutcomeTimeout},
		{live, wrap(context.DeadlineExceeded), OutcomeTimeout},
		{gone, wrap(errors.New("stopped")), OutcomeCanceled},
		{live, wrap(vault.ErrUnavailable), OutcomeUnavailable},
		// A 401 whose refresh failed for a transient reason is trouble.
		{live, fmt.Errorf("%w: %w", sentry.ErrUnauthorized, vault.ErrUnavailable), OutcomeUnavailable},
		{live, wrap(vault.ErrNoGrant), OutcomeUnauthorized},
		{live, wrap(vault.ErrStale), OutcomeUnauthorized},
		{live, wrap(sentry.ErrUnauthorized), OutcomeUnauthorized},
		{live, wrap(sentry.ErrMissingScope), OutcomeUnauthorized},
		{live, &tools.InputError{Tool: "x", Problem: "bad"}, OutcomeInvalid},
		{live, wrap(sentry.ErrNotFound), OutcomeInvalid},
		{live, wrap(sentry.ErrInvalidArgument), OutcomeInvalid},
		{live, wrap(sentry.ErrNoAccess), OutcomeForbidden},
		{live, wrap(sentry.ErrRateLimited), OutcomeRateLimited},
		{live, wrap(sentry.ErrUnavailable), OutcomeUpstream},
		{live, errors.New("json: cannot unmarshal"), OutcomeError},
	} {
		if got := Outcome(tc.ctx, tc.err); got != tc.want {
			t.Errorf("Outcome(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestToolCallsCountedByOutcome(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	mcp, slack := m.Calls(ViaMCP), m.Calls(ViaSlack)
	call := func(c *Calls, tool string, err error) {
		ctx := c.StartCall(context.Background(), tool)
		c.EndCall(ctx, tool, err, 20*time.Millisecond)
	}
	call(mcp, "search_issues", nil)
	call(mcp, "search_issues", nil)
	call(mcp, "search_issues", sentry.ErrRateLimited)
	call(slack, "search_issues", vault.ErrNoGrant)
	call(slack, "get_issue_details", &tools.InputError{Tool: "get_issue_details", Problem: "no issue"})
	want(t, m, "lookout_tool_calls_total", map[string]string{"via": "mcp", "tool": "search_issues", "outcome": "ok"}, 2)
	want(t, m, "lookout_tool_calls_total", map[string]string{"via": "mcp", "tool": "search_issues", "outcome": "rate_limited"}, 1)
	want(t, m, "lookout_tool_calls_total", map[string]string{"via": "slack", "tool": "search_issues", "outcome": "unauthorized"}, 1)
	want(t, m, "lookout_tool_calls_total", map[string]string{"via": "slack", "tool": "get_issue_details", "outcome": "invalid"}, 1)
	want(t, m, "lookout_tool_call_duration_seconds", map[string]string{"via": "mcp", "tool": "search_issues"}, 3)
}

func TestUpstreamCountedByFamilyAndCode(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	sentrySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/issues/") {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer sentrySrv.Close()
	c := &http.Client{Transport: m.Transport(nil)}
	for _, p := range []string{"/api/0/organizations/acme/issues/", "/api/0/organizations/globex/issues/", "/api/0/organizations/"} {
		resp, err := c.Get(sentrySrv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if _, err := c.Get(dead.URL + "/api/0/organizations/acme/trace/abc/"); err == nil {
		t.Fatal("a closed server answered")
	}
	want(t, m, "lookout_upstream_requests_total", map[string]string{"endpoint": "issues", "code": "429"}, 2)
	want(t, m, "lookout_upstream_requests_total", map[string]string{"endpoint": "orgs", "code": "200"}, 1)
	want(t, m, "lookout_upstream_requests_total", map[string]string{"endpoint": "trace", "code": "error"}, 1)
	want(t, m, "lookout_upstream_request_duration_seconds", map[string]string{"endpoint": "issues"}, 2)
	if out := scrape(t, m); strings.Contains(out, "acme") || strings.Contains(out, "globex") {
		t.Error("an organization slug became a label value")
	}
}

// fakeGrants is a GrantLister over a slice, counting its calls.
type fakeGrants struct {
	rows  []store.Grant
	calls int
	err   error
}

func (f *fakeGrants) ListGrants(_ context.Context, after string, limit int) ([]store.Grant, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	var out []store.Grant
	for _, g := range f.rows {
		if g.Principal > after && len(out) < limit {
			out = append(out, g)
		}
	}
	return out, nil
}

func TestGrantsByState(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	list := &fakeGrants{}
	for i := range 1203 { // more than two pages
		g := store.Grant{Principal: fmt.Sprintf("mcp:%05d", i), KeyID: "k1"}
		switch {
		case i%100 == 0:
			g.Stale = true
		case i%250 == 1:
			g.KeyID = "gone"
		}
		list.rows = append(list.rows, g)
	}
	m.Grants(list, GrantsOptions{KnownKey: func(id string) bool { return id == "k1" }, Every: time.Hour})
	want(t, m, "lookout_grants", map[string]string{"state": "stale"}, 13)
	want(t, m, "lookout_grants", map[string]string{"state": "key_missing"}, 5)
	want(t, m, "lookout_grants", map[string]string{"state": "active"}, 1203-13-5)
	calls := list.calls
	scrape(t, m)
	if list.calls != calls {
		t.Errorf("a second scrape within Every listed the grants again (%d calls, then %d)", calls, list.calls)
	}
	if out := scrape(t, m); strings.Contains(out, "mcp:") {
		t.Error("a principal reached the scrape")
	}
}

// A count that fails keeps the last one; with none yet the gauge is
// absent rather than a misleading 0.
func TestGrantsCountFailure(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	list := &fakeGrants{err: errors.New("database down")}
	m.Grants(list, GrantsOptions{Every: time.Nanosecond})
	if _, ok := series(t, m, "lookout_grants", map[string]string{"state": "active"}); ok {
		t.Error("lookout_grants exported before any count succeeded")
	}
	list.err = nil
	list.rows = []store.Grant{{Principal: "slack:T:U"}}
	want(t, m, "lookout_grants", map[string]string{"state": "active"}, 1)
	list.err = errors.New("database down again")
	want(t, m, "lookout_grants", map[string]string{"state": "active"}, 1)
}

func TestVaultAndStoreHooks(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	m.Refreshed("refreshed")
	m.Refreshed("stale")
	m.Refreshed("something new") // never a label value of its own
	m.Renewed("not_due")
	m.RenewPass()
	m.StaleNotice(context.Background(), "slack:T1:U1")
	m.StaleNotice(context.Background(), "mcp:abc")
	m.Statement("select grants")(3 * time.Millisecond)
	m.Statement("select grants")(time.Millisecond)
	want(t, m, "lookout_refreshes_total", map[string]string{"outcome": "refreshed"}, 1)
	want(t, m, "lookout_refreshes_total", map[string]string{"outcome": "stale"}, 1)
	want(t, m, "lookout_refreshes_total", map[string]string{"outcome": "failed"}, 1)
	want(t, m, "lookout_background_refreshes_total", map[string]string{"outcome": "not_due"}, 1)
	want(t, m, "lookout_background_refresh_passes_total", map[string]string{}, 1)
	want(t, m, "lookout_stale_notices_total", map[string]string{"front_door": "slack"}, 1)
	want(t, m, "lookout_stale_notices_total", map[string]string{"front_door": "mcp"}, 1)
	want(t, m, "lookout_store_duration_seconds", map[string]string{"op": "select grants"}, 2)
	if got := labelValues(t, m, "lookout_refreshes_total", "outcome"); !slices.Equal(got, []string{"failed", "refreshed", "stale"}) {
		t.Errorf("refresh outcomes %q", got)
	}
}

func TestSlackObserver(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	want(t, m, "lookout_slack_queue_capacity", map[string]string{}, 0)
	s := m.Slack()
	s.SetQueue(func() (int, int) { return 3, 256 })
	s.Recorded("slack-message", "recorded")
	s.Recorded("slack-message", "duplicate")
	s.Recorded("slack-resume", "recorded")
	s.Finished("slack-message", "answered", 4*time.Second)
	s.Finished("slack-message", "retry", time.Second)
	s.Finished("slack-stale", "answered", time.Second)
	s.Resumed()
	want(t, m, "lookout_slack_events_total", map[string]string{"kind": "message", "outcome": "recorded"}, 1)
	want(t, m, "lookout_slack_events_total", map[string]string{"kind": "message", "outcome": "duplicate"}, 1)
	want(t, m, "lookout_slack_events_total", map[string]string{"kind": "resume", "outcome": "recorded"}, 1)
	want(t, m, "lookout_slack_turns_total", map[string]string{"kind": "message", "outcome": "answered"}, 1)
	want(t, m, "lookout_slack_turns_total", map[string]string{"kind": "message", "outcome": "retry"}, 1)
	want(t, m, "lookout_slack_turn_wait_seconds", map[string]string{"kind": "message"}, 1)
	want(t, m, "lookout_slack_turn_wait_seconds", map[string]string{"kind": "stale"}, 1)
	want(t, m, "lookout_slack_resumes_total", map[string]string{}, 1)
	want(t, m, "lookout_slack_queue_depth", map[string]string{}, 3)
	want(t, m, "lookout_slack_queue_capacity", map[string]string{}, 256)
}

// The scrape has the Go and process collectors, the build, and nothing a
// credential pattern matches.
func TestScrapeHasRuntimeAndNoSecrets(t *testing.T) {
	t.Parallel()
	m := New(Options{Version: "v1.2.3"})
	m.Calls(ViaMCP).EndCall(context.Background(), "whoami", nil, time.Millisecond)
	out := scrape(t, m)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", `lookout_build_info{goversion="go`, `version="v1.2.3"`} {
		if !strings.Contains(out, name) {
			t.Errorf("the scrape lacks %s", name)
		}
	}
	if red := logging.NewRedactor().Redact(out); red != out {
		t.Error("the scrape holds something shaped like a credential")
	}
}
