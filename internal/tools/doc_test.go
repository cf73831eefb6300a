package tools

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/tools.md from the catalog")

// docs/tools.md is generated from the catalog (and, for its parity table,
// the reference snapshot in testdata); this test fails when they drift. Regenerate with: go test ./internal/tools -run TestToolsDoc -update
func TestToolsDoc(t *testing.T) {
	const path = "../../docs/tools.md"
	want := Doc() + parityDoc(t)
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; generate it with: go test ./internal/tools -run TestToolsDoc -update", err)
	}
	if string(got) != want {
		t.Fatal("docs/tools.md is out of date; regenerate it with: go test ./internal/tools -run TestToolsDoc -update")
	}
}
