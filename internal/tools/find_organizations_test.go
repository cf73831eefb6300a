package tools

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestFindOrganizations(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "find_organizations",
		args:     `{}`,
		want:     []string{"**acme**", "**globex**", "Region URL"},
		scope:    "org:read",
		badInput: []string{`{"query": 5}`, `{"query": ["acme"]}`},
	})
}

func TestFindOrganizationsFiltersAndIsolatesUsers(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.BobID, allScopes), "find_organizations", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "acme") || strings.Contains(out, "globex") {
		t.Fatalf("bob sees only acme:\n%s", out)
	}
	out, err = f.call(f.env(sentrytest.AliceID, allScopes), "find_organizations", `{"query":"GLOB"}`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "**acme**") || strings.Count(out, "**globex**") != 1 {
		t.Fatalf("query filter (each organization once):\n%s", out)
	}
}
