package main

import (
	"os"
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
