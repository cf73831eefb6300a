package tools

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// Pinning hides parameters from the advertised schema only: the full
// schema still validates the call once the pins are filled in. (A pinned
// catalog once emptied the full schema's required list in place.)
func TestPinnedCatalogKeepsFullSchema(t *testing.T) {
	pinned, _ := Find(Catalog(Options{Org: "acme"}), "search_issues")
	if _, ok := pinned.InputSchema().Properties["organizationSlug"]; ok {
		t.Fatal("organizationSlug still advertised while pinned")
	}
	if slices.Contains(pinned.InputSchema().Required, "organizationSlug") {
		t.Fatal("organizationSlug still required while pinned")
	}
	full, _ := Find(Catalog(Options{}), "search_issues")
	if !slices.Equal(full.InputSchema().Required, []string{"organizationSlug"}) {
		t.Fatalf("unpinned required = %q", full.InputSchema().Required)
	}
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org = "acme"
	if _, err := pinned.Call(context.Background(), env, []byte(`{}`)); err != nil {
		t.Fatalf("pinned call: %v", err)
	}
}

// The catalog is built once per process: explaining a hidden tool, which
// runs on a call, must not build it again (it did, on every call of a
// listed tool: 47,000 allocations each).
func TestUnavailableDoesNotRebuildTheCatalog(t *testing.T) {
	opts := Options{}
	if why, ok := Unavailable(opts, "update_issue"); !ok || !strings.Contains(why, "triage") {
		t.Fatalf("Unavailable(update_issue) = %q, %v", why, ok)
	}
	if n := testing.AllocsPerRun(20, func() { Unavailable(opts, "update_issue") }); n > 20 {
		t.Errorf("Unavailable allocates %v times per call, want a handful", n)
	}
	if n := testing.AllocsPerRun(20, func() { Unavailable(opts, "no_such_tool") }); n != 0 {
		t.Errorf("Unavailable of an unknown name allocates %v times", n)
	}
}

// A table cell costs its escaped copy, not a new Replacer (13% of a
// search_issues call's bytes).
func TestCellAllocatesOnlyItsResult(t *testing.T) {
	if got := cell(" a|b\nc\r "); got != `a\|b c` {
		t.Fatalf("cell = %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { cell("a|b\nc") }); n > 1 {
		t.Errorf("cell allocates %v times, want at most 1", n)
	}
}
