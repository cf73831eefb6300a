package sentrytest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultRequestID is the X-Sentry-Request-Id (and 500 errorId) of every
// injected 5xx, so tests can check that a user sees it.
const FaultRequestID = "5e1f7a3c9b2d4e6f8a0b1c2d3e4f5a6b"

// Fault is an injected failure or delay. It applies to requests whose path
// starts with PathPrefix and whose method is Method ("" matches any), on
// any region server.
type Fault struct {
	PathPrefix string // e.g. "/api/0/organizations/acme/issues/"; "" matches every path
	Method     string // e.g. "GET"; "" matches every method
	Region     string // "us" or "de"; "" matches both servers

	// Status is the answer instead of the real one (429, 500, 503, 401,
	// 403, ...); 0 leaves the request alone apart from Latency.
	Status int
	// Count is how many matching requests the fault takes before normal
	// service resumes; 0 means every one until Reset.
	Count int
	// RetryAfter is the 429 Retry-After header value; default "1".
	RetryAfter string
	// Latency delays the request before it is handled (cut short if the
	// client gives up; the request is then still handled, as a server that
	// had already started on it would).
	Latency time.Duration
	// DropAnswer handles the request for real (a token endpoint rotates the
	// token) and then closes the connection without answering: the client
	// sees a network error although the server acted.
	DropAnswer bool
	// Detail overrides the {"detail": ...} text; defaults follow Sentry.
	Detail string
	// Reset drops the connection without an answer (a TCP reset), as a
	// crashing proxy or load balancer does. Status is then ignored.
	Reset bool
}

type faultState struct {
	Fault
	left int // -1: unlimited
}

// Inject adds a fault. Faults are tried in the order injected; the first
// that matches a request (and has uses left) applies.
func (f *Fake) Inject(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left := ft.Count
	if left <= 0 {
		left = -1
	}
	f.faults = append(f.faults, &faultState{Fault: ft, left: left})
}

// Reset removes every injected fault.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// takeFault finds and spends the fault for a request; callers hold f.mu.
func (f *Fake) takeFault(region string, r *http.Request) *Fault {
	for i, fs := range f.faults {
		if !strings.HasPrefix(r.URL.Path, fs.PathPrefix) ||
			(fs.Method != "" && !strings.EqualFold(fs.Method, r.Method)) ||
			(fs.Region != "" && fs.Region != region) {
			continue
		}
		ft := fs.Fault
		if fs.left > 0 {
			fs.left--
			if fs.left == 0 {
				f.faults = slices.Delete(f.faults, i, i+1)
			}
		}
		return &ft
	}
	return nil
}

func writeFault(w http.ResponseWriter, ft *Fault) {
	detail := ft.Detail
	body := obj{}
	switch {
	case ft.Status == http.StatusTooManyRequests:
		ra := ft.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		if detail == "" {
			detail = DetailRateLimited
		}
	case ft.Status == http.StatusUnauthorized && detail == "":
		detail = DetailInvalidToken
	case ft.Status == http.StatusForbidden && detail == "":
		detail = DetailNoPermission
	case ft.Status == http.StatusNotFound && detail == "":
		detail = DetailNotFound
	case ft.Status >= 500:
		w.Header().Set("X-Sentry-Request-Id", FaultRequestID)
		if ft.Status == http.StatusInternalServerError {
			body["errorId"] = FaultRequestID
			if detail == "" {
				detail = DetailInternalError
			}
		} else if detail == "" {
			detail = DetailUnavailable
		}
	}
	if detail == "" {
		detail = http.StatusText(ft.Status)
	}
	body["detail"] = detail
	writeJSON(w, ft.Status, body)
}

// withFaults applies injected faults and records API requests.
func (f *Fake) withFaults(region string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isAPI := strings.HasPrefix(r.URL.Path, "/api/0/")
		f.mu.Lock()
		ft := f.takeFault(region, r)
		rq := Request{Region: region, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Time: f.now()}
		if isAPI {
			rq.UserID, rq.TokenFingerprint = f.identify(r)
		}
		f.mu.Unlock()

		if ft != nil && ft.Latency > 0 {
			// Read the body first: until it is consumed the server does
			// not watch the connection, and would not notice a client
			// that gives up.
			if body, err := io.ReadAll(r.Body); err == nil {
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			t := time.NewTimer(ft.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if ft != nil && ft.DropAnswer {
			next.ServeHTTP(&discard{header: http.Header{}}, r)
			rq.Fault = true
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			if isAPI {
				f.mu.Lock()
				f.requests = append(f.requests, rq)
				f.mu.Unlock()
			}
			return
		}
		if ft != nil && ft.Reset {
			rq.Fault, rq.Status = true, 0
			if isAPI {
				f.mu.Lock()
				f.requests = append(f.requests, rq)
				f.mu.Unlock()
			}
			resetConn(w)
			return
		}
		if ft != nil && ft.Status != 0 {
			rq.Fault = true
			writeFault(rec, ft)
		} else {
			next.ServeHTTP(rec, r)
		}
		if isAPI {
			rq.Status = rec.status
			f.mu.Lock()
			f.requests = append(f.requests, rq)
			f.mu.Unlock()
		}
	})
}

// resetConn closes the request's connection with a TCP reset: no status
// line, no body. Without a hijackable connection (HTTP/2) the handler
// panics with http.ErrAbortHandler, which also aborts the stream.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST instead of FIN
	}
	_ = conn.Close()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// discard is a ResponseWriter that forgets what it is told.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
