//go:build !stdio

package main

import (
	"regexp"
	"strings"
	"testing"
)

// Help and flag errors write flags as the README does, with --.
func TestFlagsAreShownWithTwoDashes(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCapture("demo", "--help")
	if code != 0 || !strings.Contains(stdout, "usage: lookout demo") || !strings.Contains(stdout, "  --addr=ADDR ") {
		t.Errorf("demo --help: exit %d\n%s", code, stdout)
	}
	if regexp.MustCompile(`(?m)^\s+-[a-z]`).MatchString(stdout) {
		t.Errorf("demo --help lists a single-dash flag:\n%s", stdout)
	}
	code, stdout, stderr := runCapture("serve", "--bogus")
	if code != 2 || stdout != "" ||
		stderr != "lookout serve: flag provided but not defined: --bogus\nRun 'lookout serve --help' for its flags.\n" {
		t.Errorf("serve --bogus: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runCapture("migrate", "--database-url")
	if code != 2 || !strings.Contains(stderr, "flag needs an argument: --database-url\n") {
		t.Errorf("migrate --database-url: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCapture("version", "extra")
	if code != 2 || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
	if code, stdout, _ := runCapture("--help"); code != 0 || !strings.Contains(stdout, "lookout <command> --help") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}
