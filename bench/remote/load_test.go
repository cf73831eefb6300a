package main

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	// comm may hold spaces and parentheses; utime 250, stime 50 ticks.
	stat := []byte("4242 (look (out) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 1000 2000000 3000 18446744073709551615")
	got, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 300 * clockTick; got != want {
		t.Errorf("parseStatCPU = %v, want %v", got, want)
	}
	if _, err := parseStatCPU([]byte("4242 (short) S 1 2")); err == nil {
		t.Error("a truncated stat line was accepted")
	}
}

func TestParseMachineBusy(t *testing.T) {
	t.Parallel()
	// user nice system idle iowait irq softirq steal guest guest_nice
	stat := []byte("cpu  100 5 30 9000 40 2 3 1 7 0\ncpu0 50 2 15 4500 20 1 1 0 3 0\n")
	got, err := parseMachineBusy(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := (100 + 5 + 30 + 2 + 3 + 1) * clockTick; got != want {
		t.Errorf("parseMachineBusy = %v, want %v", got, want)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	s := summarize(lat)
	if s.n != 100 || s.p50 != 50*time.Millisecond || s.p90 != 90*time.Millisecond || s.p99 != 99*time.Millisecond || s.max != 100*time.Millisecond {
		t.Errorf("summarize = %+v", s)
	}
	if s.mean != 50500*time.Microsecond {
		t.Errorf("mean = %v", s.mean)
	}
	if got := summarize(nil); got.n != 0 || got.p99 != 0 {
		t.Errorf("summarize(nil) = %+v", got)
	}
}

// countingCaller answers at once; every third call fails if failing.
type countingCaller struct {
	n       atomic.Int64
	failing bool
}

func (c *countingCaller) call(context.Context, *http.Client) error {
	if n := c.n.Add(1); c.failing && n%3 == 0 {
		return errors.New("refused")
	}
	return nil
}

// TestOpenLoopCounts: every scheduled call is sent, the warm-up ones are
// not counted, failures are counted as errors, and the window opens once
// and closes once.
func TestOpenLoopCounts(t *testing.T) {
	t.Parallel()
	c := &countingCaller{failing: true}
	var opened, closed int
	s := openLoop(context.Background(), nil, c, 2000, 10*time.Millisecond, 40*time.Millisecond, 1000, func(end bool) {
		if end {
			closed++
		} else {
			opened++
		}
	})
	if got := c.n.Load(); got != 100 { // (10+40 ms) x 2000/s
		t.Errorf("%d calls sent, want 100", got)
	}
	if s.n+s.errors != 80 || s.dropped != 0 {
		t.Errorf("counted %d ok + %d errors (dropped %d), want 80 in the measured 40 ms", s.n, s.errors, s.dropped)
	}
	if s.errors < 26 || s.errors > 27 || s.firstErr == nil {
		t.Errorf("errors %d (first %v), want a third of 80", s.errors, s.firstErr)
	}
	if opened != 1 || closed != 1 {
		t.Errorf("window opened %d and closed %d times", opened, closed)
	}
}

func TestSaturated(t *testing.T) {
	t.Parallel()
	ok := stats{n: 1000, p99: 20 * time.Millisecond, elapsed: 5 * time.Second} // 200/s
	for _, tc := range []struct {
		name string
		s    stats
		want bool
	}{
		{"keeps up", ok, false},
		{"dropped a call", func() stats { s := ok; s.dropped = 1; return s }(), true},
		{"behind the offered rate", func() stats { s := ok; s.elapsed = 6 * time.Second; return s }(), true},
		{"p99 over a second", func() stats { s := ok; s.p99 = 1100 * time.Millisecond; return s }(), true},
		{"over 1% errors", func() stats { s := ok; s.errors = 11; return s }(), true},
	} {
		if got := tc.s.saturated(200); got != tc.want {
			t.Errorf("%s: saturated = %v, want %v", tc.name, got, tc.want)
		}
	}
}
