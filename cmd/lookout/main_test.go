package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMain lets tests run this test binary as the lookout command itself
// (LOOKOUT_RUN_MAIN=1), so end-to-end tests exercise the real main without
// a separate build step.
func TestMain(m *testing.M) {
	if os.Getenv("LOOKOUT_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// runCapture runs lookout in-process with an empty environment.
func runCapture(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	env := &environment{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

// --version and -v are the version command, as the README says.
func TestVersionFlags(t *testing.T) {
	t.Parallel()
	want := regexp.MustCompile(`^lookout \S+ \(go[0-9.]+\S*, [a-z0-9]+/[a-z0-9]+\)\n$`)
	for _, args := range [][]string{{"--version"}, {"-v"}, {"version"}} {
		code, stdout, stderr := runCapture(args...)
		if code != 0 || !want.MatchString(stdout) || stderr != "" {
			t.Errorf("lookout %v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestInvokedAs(t *testing.T) {
	t.Parallel()
	for arg0, want := range map[string]string{
		"lookout":                "lookout",
		"./lookout":              "./lookout",
		"/usr/local/bin/lookout": "/usr/local/bin/lookout",
		"/tmp/build/lookout":     "/tmp/build/lookout",
		filepath.Join(os.TempDir(), "go-build123/b001/exe/lookout"): "lookout",
	} {
		if got := invokedAs(arg0); got != want {
			t.Errorf("invokedAs(%q) = %q, want %q", arg0, got, want)
		}
	}
}
