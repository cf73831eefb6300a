// Package metrics owns lookout's Prometheus registry and every collector in
// it, and starts the OpenTelemetry spans of tool calls and Sentry requests
// when tracing is on (internal/telemetry builds the tracer provider).
//
// The rest of lookout knows nothing of Prometheus: each package declares
// the small hook it calls (mcpserver's CallObserver, the vault's OnRefresh,
// the store's statement observer, the Slack bot's Observer) and cmd/lookout
// plugs this package's methods into them. Label values come only from
// bounded sets: mux patterns, catalog tool names, fixed outcome words,
// endpoint families, the store's constant statements. None is a principal,
// a user id, a slug typed by a user, or anything secret.
//
// Everything on a request's path is resolved once per label combination
// (see cache) so that counting a call costs a map read and a few atomic
// adds, without allocating: the per-call budget of a tool call is small
// (docs/benchmarks.md).
package metrics

import (
	"net/http"
	"runtime"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
)

const namespace = "lookout"

// Buckets, in seconds. Requests and tool calls run from a millisecond (a
// metadata document) to the 30 s tool budget and the 2-minute write
// timeout; store calls from tens of microseconds to the 5 s store timeout.
var (
	requestBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	storeBuckets   = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	waitBuckets    = []float64{.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600}
)

// Options configure a Metrics.
type Options struct {
	// Version is the build's version, exported as lookout_build_info.
	Version string
	// Tracer, when set, starts a span per tool call and per Sentry request
	// (internal/telemetry). Nil: no spans, and no cost for them.
	Tracer trace.TracerProvider
}

// Metrics is the registry and its collectors. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg    *prometheus.Registry
	tracer trace.Tracer // nil: tracing is off

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge
	http         cache[httpKey, httpSeries]

	toolCalls    *prometheus.CounterVec
	toolDuration *prometheus.HistogramVec

	upstream         *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	upstreamSeries   cache[upstreamKey, upstreamSeries]

	refreshes     *prometheus.CounterVec
	renewals      *prometheus.CounterVec
	renewPasses   prometheus.Counter
	staleNotices  *prometheus.CounterVec
	storeDuration *prometheus.HistogramVec
	storeSeries   cache[string, prometheus.Observer]
	slackEvents   *prometheus.CounterVec
	slackTurns    *prometheus.CounterVec
	slackTurnWait *prometheus.HistogramVec
	slackResumes  prometheus.Counter
	slackQueue    atomic.Pointer[func() (depth, capacity int)]
}

// New returns lookout's metrics, with the Go runtime and process
// collectors.
func New(opts Options) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	if opts.Tracer != nil {
		m.tracer = opts.Tracer.Tracer("github.com/lookout-hq/lookout")
	}
	f := factory{reg}
	m.httpRequests = f.counterVec("http_requests_total",
		"HTTP requests served, by route (the mux pattern), method and status code.", "route", "method", "code")
	m.httpDuration = f.histogramVec("http_request_duration_seconds",
		"Time to serve an HTTP request, by route and method.", requestBuckets, "route", "method")
	m.httpInFlight = f.gauge("http_requests_in_flight", "HTTP requests being served.")

	m.toolCalls = f.counterVec("tool_calls_total",
		"Tool calls, by front door (mcp, slack), tool and outcome.", "via", "tool", "outcome")
	m.toolDuration = f.histogramVec("tool_call_duration_seconds",
		"Time a tool call took, grant refresh and Sentry's retries included, by front door and tool.", requestBuckets, "via", "tool")

	m.upstream = f.counterVec("upstream_requests_total",
		"Requests to Sentry (API and token endpoint), by endpoint family and status code (\"error\": no answer).", "endpoint", "code")
	m.upstreamDuration = f.histogramVec("upstream_request_duration_seconds",
		"Time Sentry took to answer one request, by endpoint family.", requestBuckets, "endpoint")

	m.refreshes = f.counterVec("refreshes_total",
		"Grant refreshes sent to Sentry's token endpoint (on demand and background), by outcome: refreshed, stale (Sentry refused the grant), failed (transient: the grant is untouched).", "outcome")
	m.renewals = f.counterVec("background_refreshes_total",
		"Grants the background refresher looked at, by outcome: refreshed, not_due, stale, failed, gone.", "outcome")
	m.renewPasses = f.counter("background_refresh_passes_total",
		"Passes of the background refresher over the grants due (on the replica elected to run it).")
	m.staleNotices = f.counterVec("stale_notices_total",
		"Grants that became stale (Sentry refused them), counted once per grant by the replica that noticed; Slack owners are told privately. By front door: slack, mcp.", "front_door")

	m.storeDuration = f.histogramVec("store_duration_seconds",
		"Time a database statement took, by statement (verb and table).", storeBuckets, "op")

	m.slackEvents = f.counterVec("slack_events_total",
		"Work offered to the Slack inbox, by kind (message: a question; resume: a parked question after consent; stale: a dead-grant notice) and outcome: recorded, duplicate (already answered), redelivered (not answered yet), error (not recorded: Slack delivers it again).", "kind", "outcome")
	m.slackTurns = f.counterVec("slack_turns_total",
		"Slack inbox items worked on, by kind and outcome: answered, failed (given up, the user told), retry (handed back), taken_over (another worker has it).", "kind", "outcome")
	m.slackTurnWait = f.histogramVec("slack_turn_wait_seconds",
		"Time from a Slack item being recorded to its answer (what the user waited), by kind.", waitBuckets, "kind")
	m.slackResumes = f.counter("slack_resumes_total",
		"Parked Slack questions handed back to the inbox after their user connected Sentry.")

	// The series alerts divide or take rates of exist from the start, at
	// 0, rather than appearing with their first event.
	for _, o := range refreshOutcomes {
		m.refreshes.WithLabelValues(o)
	}
	for _, o := range renewOutcomes {
		m.renewals.WithLabelValues(o)
	}
	for _, door := range []string{ViaSlack, ViaMCP} {
		m.staleNotices.WithLabelValues(door)
	}
	for _, kind := range slackKinds {
		for _, o := range slackRecordOutcomes {
			m.slackEvents.WithLabelValues(kind, o)
		}
		for _, o := range slackTurnOutcomes {
			m.slackTurns.WithLabelValues(kind, o)
		}
	}

	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "slack_queue_depth",
			Help: "Slack items recorded on this replica and waiting for one of its workers.",
		}, func() float64 { d, _ := m.slackQueueLen(); return float64(d) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "slack_queue_capacity",
			Help: "How many Slack items this replica's queue holds before users are told they are queued (0: no Slack bot).",
		}, func() float64 { _, c := m.slackQueueLen(); return float64(c) }),
	)
	version := opts.Version
	if version == "" {
		version = "unknown"
	}
	info := f.gaugeVec("build_info", "The running lookout: 1, labelled with its version and Go version.", "version", "goversion")
	info.WithLabelValues(version, runtime.Version()).Set(1)
	return m
}

// Registry is the registry, for collectors registered elsewhere (grants).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. A collector that fails is reported in the scrape (an error
// comment and HTTP 500 would hide every other metric), so it keeps
// serving what it has.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          m.reg, // promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	})
}

// factory makes collectors in the lookout namespace and registers them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}
