package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// The stack is three processes, so that /proc/<pid>/stat gives each one's
// CPU on its own: this load generator, the fake Sentry (this same binary
// re-executed with roleEnv=fake-sentry) and `lookout serve`. In one
// process the fake's and the generator's CPU would be mixed up with
// nothing to tell them apart, and a GC in one would stall the other.

// roleEnv makes this binary serve the fake Sentry instead of benchmarking.
const roleEnv = "LOOKOUT_BENCH_ROLE"

const sentryClientID = "lookout-bench"

// process is a child process this benchmark started and stops.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // from Wait, once exited is closed
	stdin  io.Closer
}

func startProcess(name string, cmd *exec.Cmd) (*process, error) {
	p := &process{name: name, cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// alive reports an error if the process has exited.
func (p *process) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	default:
		return nil
	}
}

// stop ends the process with SIGTERM (and closes its stdin), then SIGKILL
// after 30 s.
func (p *process) stop() {
	if p.stdin != nil {
		p.stdin.Close()
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// fakeInfo is what the fake Sentry child prints on its first stdout line.
type fakeInfo struct {
	URL     string `json:"url"`     // main ("us") region
	Control string `json:"control"` // the benchmark's control server
}

// fakeSentry is the fake Sentry child.
type fakeSentry struct {
	*process
	fakeInfo
	http *http.Client
}

func startFakeSentry(ctx context.Context, self, clientSecret, redirectURI string) (*fakeSentry, error) {
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), roleEnv+"=fake-sentry",
		"BENCH_SENTRY_CLIENT_SECRET="+clientSecret, "BENCH_SENTRY_REDIRECT_URI="+redirectURI)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p, err := startProcess("fake Sentry", cmd)
	if err != nil {
		return nil, err
	}
	p.stdin = stdin
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("fake Sentry: no address line: %w", err)
	}
	f := &fakeSentry{process: p, http: &http.Client{Timeout: 10 * time.Second}}
	if err := json.Unmarshal([]byte(line), &f.fakeInfo); err != nil {
		p.stop()
		return nil, fmt.Errorf("fake Sentry: %q: %w", line, err)
	}
	return f, nil
}

func (f *fakeSentry) control(method, path string, out any) error {
	req, err := http.NewRequest(method, f.Control+path, nil)
	if err != nil {
		return err
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("fake Sentry control %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// upstreamRequest is one API request the fake Sentry received, with the
// URL to send it again.
type upstreamRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// serveFakeSentry is the fake Sentry child's main: the fake on loopback,
// plus a control server for the benchmark (request log, a token for the
// floor). It runs until its stdin closes or SIGTERM.
func serveFakeSentry() error {
	fake, err := sentrytest.Start(sentrytest.Options{
		ClientID: sentryClientID, ClientSecret: os.Getenv("BENCH_SENTRY_CLIENT_SECRET"),
		AppName: "lookout (benchmark)", RedirectURIs: []string{os.Getenv("BENCH_SENTRY_REDIRECT_URI")},
	})
	if err != nil {
		return err
	}
	defer fake.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /clear-requests", func(w http.ResponseWriter, _ *http.Request) { fake.ClearRequests() })
	mux.HandleFunc("GET /requests", func(w http.ResponseWriter, _ *http.Request) {
		var out []upstreamRequest
		for _, r := range fake.Requests() {
			u := fake.RegionURL(r.Region) + (&url.URL{Path: r.Path}).EscapedPath()
			if len(r.Query) > 0 {
				u += "?" + r.Query.Encode()
			}
			out = append(out, upstreamRequest{Method: r.Method, URL: u, Status: r.Status})
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, _ *http.Request) {
		// A personal token of alice with the scopes a read sign-in grants:
		// the floor's requests are authenticated as lookout's are.
		_ = json.NewEncoder(w).Encode(fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() { srv.Close(); <-served }()

	if err := json.NewEncoder(os.Stdout).Encode(fakeInfo{URL: fake.URL, Control: "http://" + ln.Addr().String()}); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	stdinClosed := make(chan struct{})
	go func() { // ends when the parent closes stdin or exits
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	case err := <-served:
		return err
	}
	return nil
}

// lookoutProc is the `lookout serve` child.
type lookoutProc struct {
	*process
	base    string // http://127.0.0.1:port
	pprof   string // http://127.0.0.1:port of the overlay's pprof server
	logPath string
}

// pprofOverlay is added to package main of cmd/lookout at build time with
// `go build -overlay` (the repository's files are not touched): with
// LOOKOUT_BENCH_PPROF_ADDR set, the binary serves net/http/pprof there, on
// its own listener (lookout's mux is not http.DefaultServeMux), for the
// benchmark's allocation counts and profiles. The listener lives as long
// as the process: this build exists only for the benchmark.
const pprofOverlay = `package main

import (
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("LOOKOUT_BENCH_PPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic("benchmark pprof listener: " + err.Error())
	}
	go http.Serve(ln, nil)
}
`

// buildLookout builds ./cmd/lookout of the module at root, with the pprof
// overlay, into dir.
func buildLookout(ctx context.Context, root, dir string, extraFlags []string) (string, error) {
	src := filepath.Join(dir, "bench_pprof.go")
	if err := os.WriteFile(src, []byte(pprofOverlay), 0o644); err != nil {
		return "", err
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{
		filepath.Join(root, "cmd", "lookout", "zz_bench_pprof.go"): src,
	}})
	ovPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovPath, overlay, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "lookout")
	args := append([]string{"build", "-overlay", ovPath, "-o", bin}, extraFlags...)
	args = append(args, "./cmd/lookout")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// moduleRoot finds the lookout module's root from the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the lookout module (go env GOMOD is empty)")
	}
	return filepath.Dir(mod), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startLookout runs `bin serve` configured like `lookout demo` configures
// itself (throwaway secrets, SQLite in dir), against the fake Sentry.
func startLookout(ctx context.Context, bin, dir, addr, sentryURL, clientSecret, logLevel, extraEnv string) (*lookoutProc, error) {
	pprofAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	l := &lookoutProc{base: "http://" + addr, pprof: "http://" + pprofAddr, logPath: filepath.Join(dir, "lookout.log")}
	logFile, err := os.Create(l.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(cleanEnv(),
		"LOOKOUT_BASE_URL="+l.base,
		"LOOKOUT_ADDR="+addr,
		"SENTRY_URL="+sentryURL,
		"SENTRY_CLIENT_ID="+sentryClientID,
		"SENTRY_CLIENT_SECRET="+clientSecret,
		"COOKIE_SECRET="+randomB64(32),
		"LOOKOUT_ENCRYPTION_KEYS=bench:"+randomB64(32),
		"DATABASE_URL=sqlite://"+filepath.Join(dir, "lookout.db"),
		"LOOKOUT_LOG_LEVEL="+logLevel,
		"LOOKOUT_BENCH_PPROF_ADDR="+pprofAddr,
	)
	for kv := range strings.SplitSeq(extraEnv, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			if !strings.Contains(kv, "=") {
				return nil, fmt.Errorf("-lookout-env: %q is not NAME=value", kv)
			}
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = dir
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := startProcess("lookout serve", cmd)
	if err != nil {
		return nil, err
	}
	l.process = p
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := p.alive(); err != nil {
			return nil, fmt.Errorf("%w; log %s:\n%s", err, l.logPath, tailFile(l.logPath))
		}
		resp, err := http.Get(l.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("lookout not healthy after 60 s (%v); log:\n%s", err, tailFile(l.logPath))
		}
		time.Sleep(20 * time.Millisecond) // polling a child process's readiness with a deadline
	}
}

// cleanEnv is this process's environment without lookout's configuration.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "LOOKOUT_"), strings.HasPrefix(name, "SENTRY_"), strings.HasPrefix(name, "SLACK_"),
			strings.HasPrefix(name, "OPENAI_"), strings.HasPrefix(name, "ANTHROPIC_"),
			name == "COOKIE_SECRET", name == "DATABASE_URL", name == roleEnv:
			continue
		}
		out = append(out, kv)
	}
	return out
}

func tailFile(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
