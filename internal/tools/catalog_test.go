package tools

import (
	"context"
	"slices"
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
