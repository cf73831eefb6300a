//go:build stdio

package main

import (
	"strings"
	"testing"
)

// The stdio build (-tags stdio) has mcp and version; asked for a server
// subcommand, it says which build has it instead of a bare "unknown".
func TestStdioBuildNamesTheFullBuild(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"serve", "demo", "admin", "migrate"} {
		code, _, stderr := runCapture(name)
		if code != 2 || !strings.Contains(stderr, "stdio build") || !strings.Contains(stderr, "go build -o lookout ./cmd/lookout") {
			t.Errorf("lookout %s on the stdio build: exit %d\n%s", name, code, stderr)
		}
	}
	code, stdout, _ := runCapture("--help")
	if code != 0 || !strings.Contains(stdout, "\n  mcp ") || strings.Contains(stdout, "\n  serve ") {
		t.Errorf("help of the stdio build: exit %d\n%s", code, stdout)
	}
}
