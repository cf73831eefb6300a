package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/config"
)

// quickStart is the README's quick start, line by line, as this test runs
// it. TestREADMEQuickStart fails when the README's block and this list
// differ, so a change to one is a change to the other.
var quickStart = []string{
	"git clone https://github.com/lookout-hq/lookout && cd lookout",
	"go build -o lookout ./cmd/lookout",
	"./lookout --version",
	"./lookout serve --help",
	"./lookout demo",
}

// TestREADMEQuickStart follows the README's quick start as a new user
// would, in a fresh clone of this repository's HEAD in a temporary
// directory: build, --version, serve --help, demo. Then it runs the lines
// the demo's banner prints, as printed: the MCP Inspector CLI (from npm,
// pinned in package-lock.json) with the demo token, and `lookout mcp` with
// the same token as a stdio server.
//
// The clone is of the committed HEAD: uncommitted changes are not in it.
// Two things differ from a user's terminal: the clone comes from the local
// repository instead of GitHub, and LOOKOUT_ADDR picks a free port, since
// the demo's default 127.0.0.1:8080 may be taken on a test machine.
func TestREADMEQuickStart(t *testing.T) {
	requireNodeModules(t, "@modelcontextprotocol/inspector")
	node := inspectorNode(t)
	git, err := exec.LookPath("git")
	if err != nil {
		missing(t, "git is needed to clone the repository: apt-get install -y git")
	}

	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := quickStartBlocks(t, string(readme))
	if len(blocks) != 2 {
		t.Fatalf("the README's quick start has %d sh blocks, want 2: the steps and the demo's two lines", len(blocks))
	}
	if !slices.Equal(blocks[0], quickStart) {
		t.Fatalf("the README's quick start is\n  %s\nbut this test runs\n  %s\nchange both together",
			strings.Join(blocks[0], "\n  "), strings.Join(quickStart, "\n  "))
	}

	// git clone https://github.com/lookout-hq/lookout && cd lookout
	top := strings.TrimSpace(mustRun(t, "", nil, git, "-C", "..", "rev-parse", "--show-toplevel"))
	head := strings.TrimSpace(mustRun(t, "", nil, git, "-C", top, "rev-parse", "HEAD"))
	if status := mustRun(t, "", nil, git, "-C", top, "status", "--porcelain", "--untracked-files=no"); status != "" {
		t.Logf("note: uncommitted changes are not part of the clone under test:\n%s", status)
	}
	dir := filepath.Join(t.TempDir(), "lookout")
	mustRun(t, "", nil, git, "clone", "--quiet", "--no-checkout", top, dir)
	mustRun(t, "", nil, git, "-C", dir, "checkout", "--quiet", head)
	t.Logf("cloned %s at %s", top, head[:12])

	// The README's shell lines run as written, with sh, in the clone. The
	// go command is this test's own toolchain; the build cache is shared.
	env := append(cleanEnv(), "PATH="+filepath.Dir(goTool())+string(os.PathListSeparator)+os.Getenv("PATH"))
	start := time.Now()
	mustRun(t, dir, env, "sh", "-c", quickStart[1])
	t.Logf("%s: %s", quickStart[1], time.Since(start).Round(time.Millisecond))

	version := mustRun(t, dir, env, "sh", "-c", quickStart[2])
	if !regexp.MustCompile(`^lookout \S+ \(go\S+, \S+/\S+\)\n$`).MatchString(version) {
		t.Errorf("%s printed %q", quickStart[2], version)
	}

	help := mustRun(t, dir, env, "sh", "-c", quickStart[3])
	cfg, _ := config.Load(nil)
	for _, line := range strings.Split(cfg.RequireServe().Error(), "\n") {
		name, _, _ := strings.Cut(line, " ")
		if !regexp.MustCompile(`(?m)^  ` + name + ` +\S`).MatchString(help) {
			t.Errorf("%s does not explain the required variable %s:\n%s", quickStart[3], name, help)
		}
	}

	addr := freeLoopbackAddr(t)
	demo := startDemo(t, dir, append(env, "LOOKOUT_ADDR="+addr), quickStart[4])
	banner := demo.waitFor(t, "Press Ctrl-C")
	inspectorLine := bannerLine(t, banner, `Inspector CLI +(npx @modelcontextprotocol/inspector --cli .+)`)
	stdioLine := bannerLine(t, banner, `stdio +(\./lookout mcp .+)`)
	// The README shows the same two lines with the token and the fake
	// Sentry's port left out and the default address.
	fakeURL := bannerLine(t, banner, `Fake Sentry +(http://\S+) .*`)
	generic := strings.NewReplacer(demo.token(t), "sntryu_...", "http://"+addr+"/mcp", "http://127.0.0.1:8080/mcp", fakeURL, "http://127.0.0.1:PORT")
	if got := []string{generic.Replace(inspectorLine), generic.Replace(stdioLine)}; !slices.Equal(got, blocks[1]) {
		t.Errorf("the demo prints\n  %s\nbut the README shows\n  %s", strings.Join(got, "\n  "), strings.Join(blocks[1], "\n  "))
	}

	// The Inspector CLI line, run as printed from e2e/, where npx finds the
	// pinned package (offline: nothing is fetched). Its home is a temporary
	// directory: it keeps a catalog and secrets there.
	e2eDir, _ := os.Getwd()
	npxEnv := append(cleanEnv(),
		"PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+t.TempDir(), "npm_config_offline=true", "npm_config_update_notifier=false", "NODE_NO_WARNINGS=1")
	tools := mustRun(t, e2eDir, npxEnv, "sh", "-c", inspectorLine)
	for _, want := range []string{`"name": "find_organizations"`, `"name": "search_issues"`} {
		if !strings.Contains(tools, want) {
			t.Errorf("the Inspector's tools/list lacks %s:\n%s", want, tail(tools, 40))
		}
	}
	// The same line calling a tool: the token reaches the fake Sentry as
	// alice, who sees acme and globex.
	callLine := strings.Replace(inspectorLine, "--method tools/list", "--method tools/call --tool-name find_organizations", 1)
	orgs := mustRun(t, e2eDir, npxEnv, "sh", "-c", callLine)
	if !strings.Contains(orgs, "acme") || !strings.Contains(orgs, "globex") || strings.Contains(orgs, `"isError": true`) {
		t.Errorf("find_organizations through the Inspector:\n%s", orgs)
	}
	// Without the token the same line gets nowhere: the token is what works.
	noToken, _, _ := strings.Cut(inspectorLine, " --header ")
	if out, err := run(e2eDir, npxEnv, "sh", "-c", noToken); err == nil || strings.Contains(out, "find_organizations") {
		t.Errorf("the Inspector line without the demo token succeeded (%v):\n%s", err, out)
	}

	// The stdio line, as an MCP client's command would run it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.Command("sh", "-c", stdioLine)
	cmd.Dir, cmd.Env = dir, env
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	session, err := mcp.NewClient(&mcp.Implementation{Name: "quickstart", Version: "1"}, nil).
		Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("%s: %v\n%s", stdioLine, err, stderr.String())
	}
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "find_organizations", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("find_organizations over %s: %v %+v\n%s", stdioLine, err, res, stderr.String())
	}
	if text := contentText(res); !strings.Contains(text, "acme") || !strings.Contains(text, "globex") {
		t.Errorf("find_organizations over stdio: %s", text)
	}
	if err := session.Close(); err != nil {
		t.Logf("closing the stdio session: %v", err)
	}

	demo.stop(t)
	if leaked := strings.Contains(demo.stderr.String(), demo.token(t)); leaked {
		t.Error("the demo logged its demo token")
	}
}

// quickStartBlocks returns the command lines of each sh block under
// "## Quick start", comments and blank lines dropped.
func quickStartBlocks(t *testing.T, readme string) [][]string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Quick start\n")
	if !ok {
		t.Fatal("README.md has no '## Quick start' section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks [][]string
	for {
		var block string
		if _, section, ok = strings.Cut(section, "```sh\n"); !ok {
			return blocks
		}
		block, section, _ = strings.Cut(section, "```")
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			l, _, _ = strings.Cut(l, " #")
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		blocks = append(blocks, lines)
	}
}

func bannerLine(t *testing.T, banner, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s+` + pattern + `$`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("the demo's banner has no line matching %q:\n%s", pattern, banner)
	}
	return strings.TrimSpace(m[1])
}

func contentText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// run runs a command to completion (at most two minutes) and returns its
// stdout and, on failure, an error carrying its stderr.
func run(dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.WaitDelay = 5 * time.Second
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), errors.Join(err, errors.New(stderr.String()))
	}
	return string(out), nil
}

func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := run(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// demoProc is the README's `./lookout demo`, running.
type demoProc struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	exited chan error
}

func startDemo(t *testing.T, dir string, env []string, line string) *demoProc {
	t.Helper()
	// No shell, so Ctrl-C's SIGINT reaches lookout itself. A relative
	// command path is taken relative to Dir, as the shell would.
	fields := strings.Fields(line)
	d := &demoProc{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	d.cmd = exec.Command(fields[0], fields[1:]...)
	d.cmd.Dir, d.cmd.Env = dir, env
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("lookout demo: stdout:\n%s\nlog (stderr):\n%s", d.stdout.String(), tail(d.stderr.String(), 60))
		}
	})
	return d
}

// waitFor waits until the demo has printed marker, and returns its stdout.
func (d *demoProc) waitFor(t *testing.T, marker string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(d.stdout.String(), marker) {
		select {
		case err := <-d.exited:
			t.Fatalf("lookout demo exited (%v) before printing %q:\n%s\n%s", err, marker, d.stdout.String(), d.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("lookout demo did not print %q within a minute:\n%s", marker, d.stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d.stdout.String()
}

func (d *demoProc) token(t *testing.T) string {
	t.Helper()
	return bannerLine(t, d.stdout.String(), `Demo token +(sntryu_[0-9a-f]+) .*`)
}

// stop ends the demo as Ctrl-C would and checks that it shut down cleanly.
func (d *demoProc) stop(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("lookout demo exited with %v after Ctrl-C", err)
		}
	case <-time.After(40 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		t.Error("lookout demo did not stop within 40 s of Ctrl-C")
	}
}

// inspectorNode returns a node the MCP Inspector runs on: its package asks
// for Node 22.19 or later.
func inspectorNode(t *testing.T) string {
	t.Helper()
	return nodeAtLeast(t, 22, 19, inspectorNodeInstruction)
}
