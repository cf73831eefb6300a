package metrics

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Endpoint families of Sentry requests: the endpoint label. A fixed set
// derived from the path's shape, so that organization slugs, issue ids and
// release versions never become label values.
const (
	EndpointIssues     = "issues"     // an organization's issue search
	EndpointIssue      = "issue"      // one issue: details, activity, tags, notes, reports, Seer
	EndpointEvents     = "events"     // events: of an issue, one event, Discover, attachments
	EndpointTrace      = "trace"      // a trace and its metadata
	EndpointOrgs       = "orgs"       // organizations, one organization, the user's regions
	EndpointProjects   = "projects"   // projects, one project and what hangs off it
	EndpointTeams      = "teams"      // teams and their projects
	EndpointReleases   = "releases"   // releases, commits, deploys
	EndpointMonitors   = "monitors"   // cron and uptime monitors
	EndpointAlerts     = "alerts"     // alert rules and workflows
	EndpointReplays    = "replays"    // session replays
	EndpointProfiling  = "profiling"  // profiles and flamegraphs
	EndpointDashboards = "dashboards" // dashboards
	EndpointToken      = "token"      // the OAuth token endpoint: code exchange, refresh
	EndpointOther      = "other"
)

type upstreamKey struct {
	endpoint string
	code     int // 0: no answer
}

type upstreamSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// Transport counts, times and traces the requests base sends to Sentry.
// Wrap the transport of every client that talks to Sentry (the API
// client's and the OAuth client's). nil base means http.DefaultTransport.
func (m *Metrics) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{m: m, base: base}
}

type transport struct {
	m    *Metrics
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	endpoint := Endpoint(req.URL.Path)
	var span trace.Span
	if t.m.tracer != nil {
		ctx, s := t.m.tracer.Start(req.Context(), req.Method+" "+endpoint,
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				// The path and query are left out: a query can hold what a
				// user searched for, and the family says enough.
				attribute.String("http.request.method", req.Method),
				attribute.String("server.address", req.URL.Hostname()),
				attribute.String("lookout.sentry.endpoint", endpoint),
			))
		span = s
		req = req.WithContext(ctx)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	s := t.m.upstreamSeries.get(upstreamKey{endpoint, code}, t.m.newUpstreamSeries)
	s.requests.Inc()
	s.duration.Observe(time.Since(start).Seconds())
	if span != nil {
		switch {
		case err != nil:
			span.SetAttributes(attribute.String("error.type", "no_answer"))
			span.SetStatus(codes.Error, "no answer")
		default:
			span.SetAttributes(attribute.Int("http.response.status_code", code))
			if code >= 500 {
				span.SetAttributes(attribute.String("error.type", statusText(code)))
				span.SetStatus(codes.Error, statusText(code))
			}
		}
		span.End()
	}
	return resp, err
}

func (m *Metrics) newUpstreamSeries(k upstreamKey) upstreamSeries {
	code := "error"
	if k.code != 0 {
		code = statusText(k.code)
	}
	return upstreamSeries{
		requests: m.upstream.WithLabelValues(k.endpoint, code),
		duration: m.upstreamDuration.WithLabelValues(k.endpoint),
	}
}

// Endpoint is the family of a Sentry request path (the Endpoint
// constants).
func Endpoint(path string) string {
	if strings.HasPrefix(path, "/oauth/token") {
		return EndpointToken
	}
	rest, ok := strings.CutPrefix(path, "/api/0/")
	if !ok {
		return EndpointOther
	}
	// The segments after /api/0/, without allocating: seg(i) is the i-th.
	seg := func(i int) string {
		s := rest
		for ; i > 0; i-- {
			j := strings.IndexByte(s, '/')
			if j < 0 {
				return ""
			}
			s = s[j+1:]
		}
		if j := strings.IndexByte(s, '/'); j >= 0 {
			return s[:j]
		}
		return s
	}
	switch seg(0) {
	case "organizations":
		// organizations/{org}/{what}/...
		switch what := seg(2); what {
		case "":
			return EndpointOrgs
		case "issues":
			switch seg(4) {
			case "":
				if seg(3) == "" {
					return EndpointIssues
				}
				return EndpointIssue
			case "events":
				return EndpointEvents
			}
			return EndpointIssue
		case "events", "events-stats", "events-timeseries":
			return EndpointEvents
		case "trace", "trace-meta", "trace-logs":
			return EndpointTrace
		case "projects":
			return EndpointProjects
		case "teams":
			return EndpointTeams
		case "releases":
			return EndpointReleases
		case "monitors", "uptime":
			return EndpointMonitors
		case "alert-rules", "combined-rules", "workflows":
			return EndpointAlerts
		case "replays":
			return EndpointReplays
		case "profiling":
			return EndpointProfiling
		case "dashboards":
			return EndpointDashboards
		}
		return EndpointOther
	case "issues", "groups":
		if seg(2) == "events" {
			return EndpointEvents
		}
		return EndpointIssue
	case "projects":
		// projects/{org}/{project}/{what}/...
		switch seg(3) {
		case "events":
			return EndpointEvents
		case "releases":
			return EndpointReleases
		case "monitors", "uptime":
			return EndpointMonitors
		case "replays":
			return EndpointReplays
		case "profiling":
			return EndpointProfiling
		}
		return EndpointProjects
	case "teams":
		return EndpointTeams
	case "users":
		return EndpointOrgs // users/me/regions: where the organizations live
	}
	return EndpointOther
}
