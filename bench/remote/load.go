package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A caller makes one logical call (one MCP request to lookout, or the
// same upstream request(s) sent straight to the fake Sentry) and says
// whether it succeeded.
type caller interface {
	call(ctx context.Context, c *http.Client) error
}

// mcpCaller POSTs one JSON-RPC request to lookout's /mcp with the bearer.
type mcpCaller struct {
	url, bearer string
	body        []byte
}

var (
	errorMarker   = []byte(`"isError":true`)
	resultMarker  = []byte(`"result":`)
	rpcErrMarker  = []byte(`"error":{`)
	contentTypeJS = "application/json"
)

func (m *mcpCaller) call(ctx context.Context, c *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url, bytes.NewReader(m.body))
	if err != nil {
		return err
	}
	req.Header["Authorization"] = []string{"Bearer " + m.bearer}
	req.Header["Content-Type"] = []string{contentTypeJS}
	req.Header["Accept"] = []string{"application/json, text/event-stream"}
	req.Header["Mcp-Protocol-Version"] = []string{protocolVersion}
	status, body, err := do(c, req)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", status, body)
	}
	// Every response is checked cheaply here; the first of each run is
	// decoded in full (checkResponse) before the load starts.
	if !bytes.Contains(body, resultMarker) || bytes.Contains(body, errorMarker) || bytes.Contains(body, rpcErrMarker) {
		return fmt.Errorf("failed call: %.300s", body)
	}
	return nil
}

// directCaller sends the upstream requests of one tool call straight to
// the fake Sentry as lookout sends them: one after the other, or at once.
type directCaller struct {
	token string
	reqs  []upstreamRequest
	// atOnce: lookout sends these requests concurrently (the regions of
	// find_organizations), so the floor does too.
	atOnce bool
}

func (d *directCaller) call(ctx context.Context, c *http.Client) error {
	if d.atOnce && len(d.reqs) > 1 {
		errs := make([]error, len(d.reqs))
		var wg sync.WaitGroup
		for i, u := range d.reqs {
			wg.Go(func() { errs[i] = d.one(ctx, c, u) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	for _, u := range d.reqs {
		if err := d.one(ctx, c, u); err != nil {
			return err
		}
	}
	return nil
}

func (d *directCaller) one(ctx context.Context, c *http.Client, u upstreamRequest) error {
	req, err := http.NewRequestWithContext(ctx, u.Method, u.URL, nil)
	if err != nil {
		return err
	}
	req.Header["Authorization"] = []string{"Bearer " + d.token}
	status, body, err := do(c, req)
	if err != nil {
		return err
	}
	if status != u.Status {
		return fmt.Errorf("%s %s: status %d, lookout's got %d: %.200s", u.Method, u.URL, status, u.Status, body)
	}
	return nil
}

// do sends req and reads the whole answer.
func do(c *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(resp)
	return resp.StatusCode, body, err
}

// bufPool holds response buffers: the generator's own garbage competes
// with lookout for the same two cores.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads and closes a response body into a pooled buffer and
// returns a copy: one allocation of the body's size instead of
// io.ReadAll's doublings.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := io.Copy(buf, resp.Body)
	b := slices.Clone(buf.Bytes())
	bufPool.Put(buf)
	return b, err
}

// stats summarizes the latencies of one run.
type stats struct {
	n                  int
	errors, dropped    int
	firstErr           error
	p50, p90, p99, max time.Duration
	mean               time.Duration
	elapsed            time.Duration // from the first send of the window to the last completion
}

func (s stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.n) / s.elapsed.Seconds()
}

func summarize(lat []time.Duration) stats {
	s := stats{n: len(lat)}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	s.p50, s.p90, s.p99 = percentile(lat, 0.50), percentile(lat, 0.90), percentile(lat, 0.99)
	s.max = lat[len(lat)-1]
	var sum time.Duration
	for _, l := range lat {
		sum += l
	}
	s.mean = sum / time.Duration(len(lat))
	return s
}

// percentile of sorted values, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// recorder collects latencies from many goroutines.
type recorder struct {
	mu       sync.Mutex
	lat      []time.Duration
	errors   int
	firstErr error
	last     time.Time
}

func (r *recorder) add(d time.Duration, done time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.lat = append(r.lat, d)
	if done.After(r.last) {
		r.last = done
	}
}

// openLoop sends calls at a fixed rate whatever the answers: the i-th
// call is due at start + i/rate and its latency counts from then, so a
// server that falls behind is charged for the queue it builds (no
// coordinated omission). Calls due in the first warmup are sent but not
// counted. At most maxInFlight calls are outstanding; a due call beyond
// that is dropped and counted. window is called when the measured part
// starts and again when its last call has finished.
func openLoop(ctx context.Context, c *http.Client, cl caller, rate float64, warmup, dur time.Duration, maxInFlight int64, window func(end bool)) stats {
	start := time.Now()
	measureFrom := start.Add(warmup)
	total := int((warmup + dur).Seconds() * rate)
	interval := time.Duration(float64(time.Second) / rate)
	rec := &recorder{lat: make([]time.Duration, 0, int(dur.Seconds()*rate)+1)}
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	dropped := 0
	windowStarted := false
	for i := 0; i < total && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait) // pacing the open loop: the schedule is the experiment
		}
		measured := !due.Before(measureFrom)
		if measured && !windowStarted {
			windowStarted = true
			window(false)
		}
		if inFlight.Load() >= maxInFlight {
			if measured {
				dropped++
			}
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			err := cl.call(ctx, c)
			done := time.Now()
			if measured {
				rec.add(done.Sub(due), done, err)
			}
		}()
	}
	wg.Wait()
	if !windowStarted {
		window(false)
	}
	window(true)
	s := summarize(rec.lat)
	s.errors, s.firstErr, s.dropped = rec.errors, rec.firstErr, dropped
	if !rec.last.IsZero() {
		s.elapsed = rec.last.Sub(measureFrom)
	}
	return s
}

// closedLoop runs workers that each send the next call as soon as the
// previous one is answered, for warmup+dur: the maximum throughput at that
// concurrency. Latency counts from each send.
func closedLoop(ctx context.Context, c *http.Client, cl caller, workers int, warmup, dur time.Duration, window func(end bool)) stats {
	start := time.Now()
	measureFrom, stopAt := start.Add(warmup), start.Add(warmup+dur)
	rec := &recorder{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(stopAt) {
					return
				}
				err := cl.call(ctx, c)
				done := time.Now()
				if !t0.Before(measureFrom) {
					rec.add(done.Sub(t0), done, err)
				}
			}
		}()
	}
	timer := time.NewTimer(warmup)
	select {
	case <-timer.C:
	case <-ctx.Done():
		timer.Stop()
	}
	window(false)
	wg.Wait()
	window(true)
	s := summarize(rec.lat)
	s.errors, s.firstErr = rec.errors, rec.firstErr
	if !rec.last.IsZero() {
		s.elapsed = rec.last.Sub(measureFrom)
	}
	return s
}

// saturated: the server no longer keeps up with the offered rate.
func (s stats) saturated(rate float64) bool {
	return s.dropped > 0 || s.rate() < 0.95*rate || s.p99 > time.Second || s.errors > s.n/100
}
