package metrics

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpKey is one series of the HTTP metrics.
type httpKey struct {
	route, method string
	code          int
}

type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// unmatched is the route of a request no pattern matched (a 404 or 405 of
// the mux): the raw path would make a series per scanner probe.
const unmatched = "unmatched"

// Middleware counts and times the requests next serves. next must be the
// *http.ServeMux itself (or hand it the request it was given): the route
// label is the pattern the mux matched, which the mux records on the
// request it is handed (r.Pattern), never the raw path, so /mcp/{org} is
// one series, not one per organization.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.httpInFlight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			m.httpInFlight.Dec()
			code := sw.status
			if code == 0 {
				code = http.StatusOK // nothing written: net/http answers 200
				if p := recover(); p != nil {
					// net/http turns a panic into a dropped connection; count
					// it as the 500 it stands for, then let it go on up.
					m.observeHTTP(r, http.StatusInternalServerError, start)
					panic(p)
				}
			}
			m.observeHTTP(r, code, start)
		}()
		next.ServeHTTP(sw, r)
	})
}

func (m *Metrics) observeHTTP(r *http.Request, code int, start time.Time) {
	route := r.Pattern
	if route == "" {
		route = unmatched
	}
	s := m.http.get(httpKey{route: route, method: method(r.Method), code: code}, m.newHTTPSeries)
	s.requests.Inc()
	s.duration.Observe(time.Since(start).Seconds())
}

func (m *Metrics) newHTTPSeries(k httpKey) httpSeries {
	return httpSeries{
		requests: m.httpRequests.WithLabelValues(k.route, k.method, statusText(k.code)),
		duration: m.httpDuration.WithLabelValues(k.route, k.method),
	}
}

// method maps a request method to a fixed set: clients may send any token.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusText is an HTTP status as a label value: three digits, or "other"
// for what is not a status code.
func statusText(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
}

// statusWriter remembers the status a handler answered with. It passes
// Flush and Hijack through, and Unwrap lets http.ResponseController reach
// the rest.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are interim answers
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("metrics: the response writer cannot be hijacked")
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
