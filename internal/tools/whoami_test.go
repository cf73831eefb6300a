package tools

import "testing"

func TestWhoami(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "whoami",
		args:     `{}`,
		want:     []string{"alice@example.com", "User ID: 1"},
		badInput: []string{`[]`, `"x"`},
	})
}
