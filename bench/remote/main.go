// Command remote benchmarks lookout's remote MCP endpoint (/mcp) against
// the fake Sentry, on one machine.
//
// It starts the fake Sentry and `lookout serve` as child processes, signs
// in once through the real OAuth flow, then sends MCP requests (raw
// JSON-RPC POSTs with the bearer: the server is stateless and answers
// JSON) at fixed rates (open loop) until lookout saturates, and as fast as
// a fixed number of workers can (closed loop). The floor is the same
// upstream request(s) sent straight to the fake Sentry. For each step it
// reports latency percentiles, the achieved rate, and each process's CPU
// per call read from /proc/<pid>/stat; lookout's allocations and GCs come
// from its runtime statistics (a pprof listener added to the benchmark's
// build only, see pprofOverlay).
//
//	go run ./bench/remote                      # from the repository root
//	go run ./bench/remote -duration 5s -calls ping -out /tmp/remote.md
//	go run ./bench/remote -profile /tmp/prof   # CPU and allocation profiles
//
// See docs/benchmarks.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// protocolVersion is what the benchmark's requests declare.
const protocolVersion = "2025-11-25"

type options struct {
	lookoutBin  string
	src         string
	buildFlags  string
	calls       []string
	rates       []float64
	maxRate     float64
	duration    time.Duration
	warmup      time.Duration
	concurrency []int
	floor       bool
	maxInFlight int64
	out         string
	jsonOut     string
	profileDir  string
	profileRate float64
	logLevel    string
	lookoutEnv  string
}

func main() {
	if os.Getenv(roleEnv) == "fake-sentry" {
		if err := serveFakeSentry(); err != nil {
			fmt.Fprintln(os.Stderr, "fake Sentry:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	var calls, rates, conc string
	flag.StringVar(&o.lookoutBin, "lookout", "", "lookout binary to run (default: build ./cmd/lookout with the pprof overlay)")
	flag.StringVar(&o.src, "src", "", "build lookout from this checkout of the repository (default: the module this runs in), e.g. an export of main to compare with")
	flag.StringVar(&o.buildFlags, "buildflags", "", "extra go build flags for lookout, space-separated (e.g. \"-trimpath -ldflags=-s\")")
	flag.StringVar(&calls, "calls", "ping,find_organizations,search_issues", "calls to measure")
	flag.StringVar(&rates, "rates", "50,200,800,1600", "open-loop rates (calls/s); after the last, the rate doubles until lookout saturates")
	flag.Float64Var(&o.maxRate, "max-rate", 25600, "highest open-loop rate tried")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per step")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each step")
	flag.StringVar(&conc, "concurrency", "32", "closed-loop worker counts")
	flag.BoolVar(&o.floor, "floor", true, "also measure the upstream requests sent straight to the fake Sentry")
	flag.Int64Var(&o.maxInFlight, "max-inflight", 4096, "open loop: most outstanding calls; more are dropped (and the step counts as saturated)")
	flag.StringVar(&o.out, "out", "", "also write the markdown tables to this file")
	flag.StringVar(&o.jsonOut, "json", "", "write every step's numbers as JSON to this file")
	flag.StringVar(&o.profileDir, "profile", "", "instead of the sweep: CPU and allocation profiles of lookout per call at -profile-rate into this directory")
	flag.Float64Var(&o.profileRate, "profile-rate", 800, "open-loop rate while profiling")
	flag.StringVar(&o.logLevel, "log-level", "info", "lookout's LOOKOUT_LOG_LEVEL (info is the default a deployment runs with)")
	flag.StringVar(&o.lookoutEnv, "lookout-env", "", "more of lookout's settings, comma-separated NAME=value pairs (e.g. LOOKOUT_TOKEN_CACHE_TTL=0)")
	flag.Parse()
	o.calls = strings.Split(calls, ",")
	for _, r := range strings.Split(rates, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || v <= 0 {
			fatalf("bad -rates %q", rates)
		}
		o.rates = append(o.rates, v)
	}
	for _, c := range strings.Split(conc, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || v <= 0 {
			fatalf("bad -concurrency %q", conc)
		}
		o.concurrency = append(o.concurrency, v)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/remote: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// bench is a running stack: fake Sentry, lookout, and a signed-in client.
type bench struct {
	o       options
	lookout *lookoutProc
	fake    *fakeSentry
	mcpURL  string
	bearer  string
	client  *http.Client
	meter   *cpuMeter
	results []result
	memWarn sync.Once
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "lookout-bench-remote-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := o.lookoutBin
	if bin == "" {
		root := o.src
		if root == "" {
			if root, err = moduleRoot(); err != nil {
				return err
			}
		}
		logf("building lookout from %s (with the benchmark's pprof overlay)", root)
		if bin, err = buildLookout(ctx, root, dir, strings.Fields(o.buildFlags)); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	addr, err := freeAddr()
	if err != nil {
		return err
	}
	clientSecret := "bench-" + randomHex(24)
	fake, err := startFakeSentry(ctx, self, clientSecret, "http://"+addr+"/api/oauth/callback/sentry")
	if err != nil {
		return err
	}
	defer fake.stop()
	lk, err := startLookout(ctx, bin, dir, addr, fake.URL, clientSecret, o.logLevel, o.lookoutEnv)
	if err != nil {
		return err
	}
	defer lk.stop()
	logf("lookout %s (pid %d), fake Sentry %s (pid %d)", lk.base, lk.pid(), fake.URL, fake.pid())

	b := &bench{o: o, lookout: lk, fake: fake, mcpURL: lk.base + "/mcp"}
	b.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: int(o.maxInFlight), MaxIdleConnsPerHost: int(o.maxInFlight), IdleConnTimeout: time.Minute,
	}}
	b.meter = &cpuMeter{names: []string{"lookout", "fake Sentry", "generator"}, pids: []int{lk.pid(), fake.pid(), os.Getpid()}}

	if b.bearer, err = signIn(b.mcpURL); err != nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	logf("signed in through OAuth (DCR, approval, Sentry consent, callback, token)")
	if err := b.checkSession(ctx); err != nil {
		return err
	}
	if o.profileDir != "" {
		return b.profile(ctx)
	}
	for _, name := range o.calls {
		if err := b.sweep(ctx, name); err != nil {
			return err
		}
		if err := lk.alive(); err != nil {
			return err
		}
	}
	report := b.markdown(bin)
	fmt.Print(report)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	if o.jsonOut != "" {
		j, _ := json.MarshalIndent(b.results, "", "  ")
		if err := os.WriteFile(o.jsonOut, j, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// params of each benchmarked call; search_issues as the tools benchmark
// calls it.
var callParams = map[string]struct {
	method string
	params string
}{
	"ping":               {"ping", `{}`},
	"find_organizations": {"tools/call", `{"name":"find_organizations","arguments":{}}`},
	"search_issues":      {"tools/call", `{"name":"search_issues","arguments":{"organizationSlug":"acme","query":"is:unresolved","limit":10}}`},
	"whoami":             {"tools/call", `{"name":"whoami","arguments":{}}`},
}

func (b *bench) mcpCall(name string, id int) (*mcpCaller, error) {
	p, ok := callParams[name]
	if !ok {
		return nil, fmt.Errorf("unknown call %q (known: ping, find_organizations, search_issues, whoami)", name)
	}
	return b.rpc(p.method, p.params, id)
}

func (b *bench) rpc(method, params string, id int) (*mcpCaller, error) {
	rid, err := jsonrpc.MakeID(float64(id))
	if err != nil {
		return nil, err
	}
	body, err := jsonrpc.EncodeMessage(&jsonrpc.Request{ID: rid, Method: method, Params: json.RawMessage(params)})
	if err != nil {
		return nil, err
	}
	return &mcpCaller{url: b.mcpURL, bearer: b.bearer, body: body}, nil
}

// send makes one MCP request and decodes its response in full.
func (b *bench) send(ctx context.Context, m *mcpCaller) (*jsonrpc.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m.url, strings.NewReader(string(m.body)))
	req.Header.Set("Authorization", "Bearer "+m.bearer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	msg, err := jsonrpc.DecodeMessage(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, body)
	}
	r, ok := msg.(*jsonrpc.Response)
	if !ok || r.Error != nil {
		return nil, fmt.Errorf("not a successful response: %s", body)
	}
	return r, nil
}

// checkSession runs initialize and tools/list once, and each benchmarked
// call once, decoding the answers in full: the load then checks only
// markers.
func (b *bench) checkSession(ctx context.Context) error {
	init, _ := b.rpc("initialize", `{"protocolVersion":"`+protocolVersion+`","capabilities":{},"clientInfo":{"name":"lookout-bench","version":"1"}}`, 1)
	r, err := b.send(ctx, init)
	if err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	var ir mcp.InitializeResult
	if err := json.Unmarshal(r.Result, &ir); err != nil || ir.ServerInfo == nil {
		return fmt.Errorf("initialize result %s: %v", r.Result, err)
	}
	list, _ := b.rpc("tools/list", `{}`, 2)
	if r, err = b.send(ctx, list); err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	var lr mcp.ListToolsResult
	if err := json.Unmarshal(r.Result, &lr); err != nil {
		return err
	}
	logf("initialize: %s %s, protocol %s; tools/list: %d tools", ir.ServerInfo.Name, ir.ServerInfo.Version, ir.ProtocolVersion, len(lr.Tools))
	for _, name := range b.o.calls {
		c, err := b.mcpCall(name, 3)
		if err != nil {
			return err
		}
		r, err := b.send(ctx, c)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if callParams[name].method == "tools/call" {
			var res mcp.CallToolResult
			if err := json.Unmarshal(r.Result, &res); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			text := ""
			for _, c := range res.Content {
				if t, ok := c.(*mcp.TextContent); ok {
					text += t.Text
				}
			}
			if res.IsError || text == "" {
				return fmt.Errorf("%s failed: %s", name, r.Result)
			}
			logf("%s: %d characters of text, starting %q", name, len(text), firstLine(text))
		}
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// floorCaller records the upstream requests lookout makes for one call of
// name (after a warm-up call) and returns a caller that sends them
// straight to the fake Sentry; nil for a call with no upstream request.
func (b *bench) floorCaller(ctx context.Context, name string) (*directCaller, error) {
	c, err := b.mcpCall(name, 4)
	if err != nil {
		return nil, err
	}
	if _, err := b.send(ctx, c); err != nil { // warm: region and org lookups are cached
		return nil, err
	}
	if err := b.fake.control(http.MethodPost, "/clear-requests", nil); err != nil {
		return nil, err
	}
	if _, err := b.send(ctx, c); err != nil {
		return nil, err
	}
	var reqs []upstreamRequest
	if err := b.fake.control(http.MethodGet, "/requests", &reqs); err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	var token string
	if err := b.fake.control(http.MethodPost, "/token", &token); err != nil {
		return nil, err
	}
	for _, r := range reqs {
		logf("%s upstream: %s %s -> %d", name, r.Method, r.URL, r.Status)
	}
	// find_organizations asks the user's regions at once (sentry.AllOrganizations).
	return &directCaller{token: token, reqs: reqs, atOnce: name == "find_organizations"}, nil
}

// result is one measured step.
type result struct {
	Call        string  `json:"call"`
	Via         string  `json:"via"`  // lookout or direct
	Mode        string  `json:"mode"` // open or closed
	Offered     float64 `json:"offered_per_s,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	Achieved    float64 `json:"achieved_per_s"`
	Calls       int     `json:"calls"`
	Errors      int     `json:"errors"`
	Dropped     int     `json:"dropped"`
	FirstError  string  `json:"first_error,omitempty"`
	P50Ms       float64 `json:"p50_ms"`
	P90Ms       float64 `json:"p90_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	MeanMs      float64 `json:"mean_ms"`
	// CPU per completed call, ms, of each process.
	LookoutCPUMs   float64 `json:"lookout_cpu_ms_per_call"`
	FakeCPUMs      float64 `json:"fake_cpu_ms_per_call"`
	GeneratorCPUMs float64 `json:"generator_cpu_ms_per_call"`
	// lookout's allocation per call and collections per 1000 calls, when
	// MemStats (its runtime statistics could be read: a build with the
	// benchmark's overlay).
	MemStats   bool    `json:"lookout_memstats"`
	AllocBytes float64 `json:"lookout_alloc_bytes_per_call"`
	Allocs     float64 `json:"lookout_allocs_per_call"`
	GCsPer1000 float64 `json:"lookout_gcs_per_1000_calls"`
	// OtherCPU is the CPU (in cores) that processes other than the three
	// of the benchmark used during the step: above ~0.1 the latencies are
	// not to be trusted (a shared machine).
	OtherCPU      float64 `json:"other_cpu_cores"`
	Saturated     bool    `json:"saturated"`
	ElapsedSecond float64 `json:"elapsed_s"`
}

// measure wraps a run with CPU and memory samples over its window.
// settle, before a step, closes the generator's idle connections and
// waits until lookout and the fake Sentry are idle (under 5% of a core
// over a quarter second, for at most 30 s): a step must not pay for the
// backlog a saturated one left behind: the thousands of connections it
// opened (each a goroutine in lookout and in the fake while it stays
// open) and the work still queued.
func (b *bench) settle() {
	b.client.CloseIdleConnections()
	const window = 250 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	prev := b.meter.sample()
	for time.Now().Before(deadline) {
		time.Sleep(window) // a measuring window, not a wait for an event
		cur := b.meter.sample()
		busy := (cur[0] - prev[0]) + (cur[1] - prev[1])
		if busy < window/20 {
			return
		}
		prev = cur
	}
}

func (b *bench) measure(call, via string, runFn func(window func(end bool)) stats) result {
	b.settle()
	var cpu0, cpu1 []time.Duration
	var mem0, mem1 memStats
	var memErr error
	s := runFn(func(end bool) {
		if !end {
			mem0, memErr = b.lookout.memStats()
			cpu0 = b.meter.sample()
			return
		}
		cpu1 = b.meter.sample()
		m, err := b.lookout.memStats()
		mem1, memErr = m, errors.Join(memErr, err)
	})
	r := result{Call: call, Via: via, Achieved: s.rate(), Calls: s.n, Errors: s.errors, Dropped: s.dropped,
		P50Ms: ms(s.p50), P90Ms: ms(s.p90), P99Ms: ms(s.p99), MaxMs: ms(s.max), MeanMs: ms(s.mean), ElapsedSecond: s.elapsed.Seconds()}
	if s.firstErr != nil {
		r.FirstError = s.firstErr.Error()
	}
	if n := float64(s.n); n > 0 {
		r.LookoutCPUMs = ms(cpu1[0]-cpu0[0]) / n
		r.FakeCPUMs = ms(cpu1[1]-cpu0[1]) / n
		r.GeneratorCPUMs = ms(cpu1[2]-cpu0[2]) / n
		ours := (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1]) + (cpu1[2] - cpu0[2])
		if s.elapsed > 0 {
			r.OtherCPU = max(0, float64(cpu1[3]-cpu0[3]-ours)/float64(s.elapsed))
		}
		if memErr == nil {
			r.MemStats = true
			r.AllocBytes = float64(mem1.TotalAlloc-mem0.TotalAlloc) / n
			r.Allocs = float64(mem1.Mallocs-mem0.Mallocs) / n
			r.GCsPer1000 = float64(mem1.NumGC-mem0.NumGC) * 1000 / n
		} else if via == "lookout" {
			b.memWarn.Do(func() { logf("no allocation figures: %v", memErr) })
		}
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sweep measures one call: closed loop at each concurrency, open loop over
// the rates until saturation; then the same for the floor.
func (b *bench) sweep(ctx context.Context, name string) error {
	c, err := b.mcpCall(name, 7)
	if err != nil {
		return err
	}
	var floor *directCaller
	if b.o.floor {
		if floor, err = b.floorCaller(ctx, name); err != nil {
			return fmt.Errorf("%s floor: %w", name, err)
		}
	}
	vias := []struct {
		via string
		cl  caller
	}{{"lookout", c}}
	if floor != nil {
		vias = append(vias, struct {
			via string
			cl  caller
		}{"direct", floor})
	}
	for _, v := range vias {
		// The closed loop first: after a saturated open-loop step the
		// processes are still digesting its backlog (thousands of
		// connections, a grown heap), which cost the closed loop that
		// followed it up to half its rate.
		for _, n := range b.o.concurrency {
			_ = b.fake.control(http.MethodPost, "/clear-requests", nil)
			r := b.measure(name, v.via, func(w func(bool)) stats {
				return closedLoop(ctx, b.client, v.cl, n, b.o.warmup, b.o.duration, w)
			})
			r.Mode, r.Concurrency = "closed", n
			b.results = append(b.results, r)
			logf("%-18s %-7s closed x%d: %7.1f/s p50 %6.2f ms p99 %7.2f ms, lookout CPU %.3f ms/call, errors %d",
				name, v.via, n, r.Achieved, r.P50Ms, r.P99Ms, r.LookoutCPUMs, r.Errors)
		}
		for _, rate := range b.rateSteps() {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			_ = b.fake.control(http.MethodPost, "/clear-requests", nil) // the fake's request log grows with every call
			r := b.measure(name, v.via, func(w func(bool)) stats {
				return openLoop(ctx, b.client, v.cl, rate, b.o.warmup, b.o.duration, b.o.maxInFlight, w)
			})
			r.Mode, r.Offered = "open", rate
			sat := stats{n: r.Calls, dropped: r.Dropped, errors: r.Errors, p99: time.Duration(r.P99Ms * float64(time.Millisecond)), elapsed: time.Duration(r.ElapsedSecond * float64(time.Second))}
			r.Saturated = sat.saturated(rate)
			b.results = append(b.results, r)
			logf("%-18s %-7s open %6.0f/s: achieved %7.1f/s p50 %6.2f ms p99 %7.2f ms, lookout CPU %.3f ms/call, alloc %.0f B/call, errors %d dropped %d, other load %.2f%s",
				name, v.via, rate, r.Achieved, r.P50Ms, r.P99Ms, r.LookoutCPUMs, r.AllocBytes, r.Errors, r.Dropped, r.OtherCPU, satMark(r.Saturated))
			if r.Errors > 0 {
				logf("  first error: %s", r.FirstError)
			}
			if r.Saturated { // higher rates would only queue more
				break
			}
		}
	}
	return nil
}

func satMark(s bool) string {
	if s {
		return " (saturated)"
	}
	return ""
}

// rateSteps: the given rates, then doubling up to maxRate; sweep stops
// at the first saturated step.
func (b *bench) rateSteps() []float64 {
	out := append([]float64(nil), b.o.rates...)
	for r := out[len(out)-1] * 2; r <= b.o.maxRate; r *= 2 {
		out = append(out, r)
	}
	return out
}

// memStats is the part of runtime.MemStats the benchmark reads.
type memStats struct {
	TotalAlloc, Mallocs, NumGC uint64
}

// memStats reads lookout's runtime.MemStats from the overlay's pprof
// listener (the tail of /debug/pprof/heap?debug=1).
func (l *lookoutProc) memStats() (memStats, error) {
	resp, err := http.Get(l.pprof + "/debug/pprof/heap?debug=1")
	if err != nil {
		return memStats{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return memStats{}, err
	}
	var m memStats
	found := 0
	for _, line := range strings.Split(string(body), "\n") {
		name, val, ok := strings.Cut(strings.TrimPrefix(line, "# "), " = ")
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "TotalAlloc":
			m.TotalAlloc, found = v, found+1
		case "Mallocs":
			m.Mallocs, found = v, found+1
		case "NumGC":
			m.NumGC, found = v, found+1
		}
	}
	if found != 3 {
		return m, fmt.Errorf("no MemStats in %s/debug/pprof/heap?debug=1 (a lookout built without the overlay?)", l.pprof)
	}
	return m, nil
}

// profile takes, per call, a CPU profile and an allocation profile of
// lookout while it serves -profile-rate calls/s for -duration.
func (b *bench) profile(ctx context.Context) error {
	if err := os.MkdirAll(b.o.profileDir, 0o755); err != nil {
		return err
	}
	secs := int(b.o.duration.Seconds())
	for _, name := range b.o.calls {
		c, err := b.mcpCall(name, 9)
		if err != nil {
			return err
		}
		// The profiles start with the measured window, after the warm-up,
		// and the load runs a second longer than they do.
		type got struct {
			name string
			err  error
		}
		done := make(chan got, 2)
		startProfiles := func() {
			for kind, suffix := range map[string]string{"profile": "cpu", "allocs": "allocs"} {
				path := filepath.Join(b.o.profileDir, name+"."+suffix+".pprof")
				go func() {
					done <- got{path, fetchProfile(ctx, b.lookout.pprof+"/debug/pprof/"+kind+"?seconds="+strconv.Itoa(secs), path)}
				}()
			}
		}
		r := b.measure(name, "lookout", func(w func(bool)) stats {
			return openLoop(ctx, b.client, c, b.o.profileRate, b.o.warmup, b.o.duration+time.Second, b.o.maxInFlight, func(end bool) {
				if !end {
					startProfiles()
				}
				w(end)
			})
		})
		for range 2 {
			g := <-done
			if g.err != nil {
				return fmt.Errorf("profile %s: %w", g.name, g.err)
			}
			logf("wrote %s", g.name)
		}
		logf("%s at %.0f/s while profiling: p50 %.2f ms p99 %.2f ms, lookout CPU %.3f ms/call, %.0f B and %.0f allocations/call, %.1f GCs/1000 calls",
			name, b.o.profileRate, r.P50Ms, r.P99Ms, r.LookoutCPUMs, r.AllocBytes, r.Allocs, r.GCsPer1000)
	}
	return nil
}

func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", url, resp.StatusCode, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// markdown renders the results as tables.
func (b *bench) markdown(bin string) string {
	var sb strings.Builder
	st, _ := os.Stat(bin)
	size := int64(0)
	if st != nil {
		size = st.Size()
	}
	fmt.Fprintf(&sb, "\n## Remote /mcp: %s, %d cores, %s, lookout binary %.1f MB, %s per step after %s warm-up\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), float64(size)/1e6, b.o.duration, b.o.warmup)
	sb.WriteString("\"other load\" is the CPU (in cores) used by processes outside the benchmark during the step; latencies from a step with more than ~0.1 are not comparable.\n\n")
	sb.WriteString("Open loop (latency from each call's scheduled time; CPU and allocations per completed call):\n\n")
	sb.WriteString("| call | via | offered/s | achieved/s | p50 ms | p90 ms | p99 ms | max ms | lookout CPU ms | fake CPU ms | lookout KB alloc | allocs | GCs/1k | errors | other load |\n")
	sb.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range b.results {
		if r.Mode != "open" {
			continue
		}
		ach := fmt.Sprintf("%.0f", r.Achieved)
		if r.Saturated {
			ach += " (sat.)"
		}
		fmt.Fprintf(&sb, "| %s | %s | %.0f | %s | %.2f | %.2f | %.2f | %.1f | %s | %.3f | %s | %s | %s | %d | %.2f |\n",
			r.Call, r.Via, r.Offered, ach, r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs, lookoutOnly(r, "%.3f", r.LookoutCPUMs), r.FakeCPUMs,
			allocCol(r, "%.1f", r.AllocBytes/1024), allocCol(r, "%.0f", r.Allocs), allocCol(r, "%.1f", r.GCsPer1000), r.Errors+r.Dropped, r.OtherCPU)
	}
	sb.WriteString("\nClosed loop (each worker sends its next call when the last is answered):\n\n")
	sb.WriteString("| call | via | workers | calls/s | p50 ms | p99 ms | lookout CPU ms | fake CPU ms | generator CPU ms | errors | other load |\n")
	sb.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range b.results {
		if r.Mode != "closed" {
			continue
		}
		fmt.Fprintf(&sb, "| %s | %s | %d | %.0f | %.2f | %.2f | %s | %.3f | %.3f | %d | %.2f |\n",
			r.Call, r.Via, r.Concurrency, r.Achieved, r.P50Ms, r.P99Ms, lookoutOnly(r, "%.3f", r.LookoutCPUMs), r.FakeCPUMs, r.GeneratorCPUMs, r.Errors, r.OtherCPU)
	}
	// lookout's added latency: lookout minus direct at the same offered rate.
	var added strings.Builder
	for _, r := range b.results {
		if r.Mode != "open" || r.Via != "lookout" {
			continue
		}
		for _, d := range b.results {
			if d.Mode == "open" && d.Via == "direct" && d.Call == r.Call && d.Offered == r.Offered && !r.Saturated && !d.Saturated {
				fmt.Fprintf(&added, "| %s | %.0f | %.2f | %.2f | %+.2f | %.2fx | %.2f | %.2f | %+.2f |\n",
					r.Call, r.Offered, r.P50Ms, d.P50Ms, r.P50Ms-d.P50Ms, r.P50Ms/d.P50Ms, r.P99Ms, d.P99Ms, r.P99Ms-d.P99Ms)
			}
		}
	}
	if added.Len() > 0 {
		sb.WriteString("\nlookout's added latency over the direct upstream call (open loop, both unsaturated):\n\n")
		sb.WriteString("| call | rate/s | p50 lookout | p50 direct | added p50 | ratio | p99 lookout | p99 direct | added p99 |\n")
		sb.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		sb.WriteString(added.String())
	}
	return sb.String()
}

func lookoutOnly(r result, format string, v float64) string {
	if r.Via != "lookout" {
		return "—"
	}

	return fmt.Sprintf(format, v)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, val, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return runtime.GOARCH
}

// allocCol is lookoutOnly for lookout's runtime statistics, which a
// binary built without the benchmark's overlay does not serve.
func allocCol(r result, format string, v float64) string {
	if r.Via == "lookout" && !r.MemStats {
		return "n/a"
	}
	return lookoutOnly(r, format, v)
}
