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

// Building the catalog infers and resolves no schema: that is done for a
// tool when it is first listed, searched or called (it was most of a
// `lookout mcp` start-up: 6 ms and 2.5 MB for all the tools).
func TestCatalogBuildsSchemasOnUse(t *testing.T) {
	var built []string
	for _, group := range [][]Tool{orgTools(), issueTools(), eventTools(), triageTools(), projectManagementTools(), seerTools(), docsTools(), inspectTools()} {
		for _, tl := range group {
			if tl.input.schema != nil {
				built = append(built, tl.Name)
			}
		}
	}
	if len(built) > 0 {
		t.Fatalf("schemas built with the catalog: %v", built)
	}
	tl, _ := Find(Catalog(Options{}), "search_issues")
	if s := tl.InputSchema(); s.Properties["organizationSlug"] == nil || tl.input.schema == nil {
		t.Fatal("search_issues: no schema once asked for")
	}
}

// Every tool's schema builds (a broken one would panic on first use, in a
// call, rather than when the catalog is built), and a pinned catalog
// advertises it without the pinned parameters but validates with them.
func TestEverySchemaBuilds(t *testing.T) {
	pinned := Catalog(Options{Permissions: AllPermissions, Org: "acme", Project: "web"})
	for _, tl := range Catalog(Options{Permissions: AllPermissions}) {
		s := tl.InputSchema()
		if s == nil || s.Type != "object" {
			t.Errorf("%s: schema %v", tl.Name, s)
		}
		p, ok := Find(pinned, tl.Name)
		if !ok {
			continue
		}
		full, _ := tl.input.get()
		for _, name := range []string{paramOrg, paramProject, paramProjectSlugOrID} {
			if p.InputSchema().Properties[name] != nil {
				t.Errorf("%s: pinned catalog advertises %s", tl.Name, name)
			}
			if _, wasThere := s.Properties[name]; wasThere && full.Properties[name] == nil {
				t.Errorf("%s: pinning removed %s from the full schema", tl.Name, name)
			}
		}
	}
}
