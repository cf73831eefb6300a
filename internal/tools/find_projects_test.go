package tools

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestFindProjects(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "find_projects",
		args:     `{"organizationSlug":"acme"}`,
		want:     []string{"# Projects in **acme**", "| web | web | javascript-react | 4506000000000101 | frontend, platform |", "| checkout |", "| api |"},
		scope:    "project:read",
		notFound: `{"organizationSlug":"nope"}`,
		badInput: []string{`{}`, `{"organizationSlug":["acme"]}`, `{"organizationSlug":"acme","query":false}`, `{"organizationSlug":"a b"}`},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "find_projects", `{"organizationSlug":"globex","regionUrl":%q}`)
	})
}

func TestFindProjectsQuery(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "find_projects", `{"organizationSlug":"acme","query":"CHECK"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "| checkout |") || strings.Contains(out, "| web |") || strings.Contains(out, "| api |") {
		t.Errorf("query filter:\n%s", out)
	}
	out, err = f.call(f.env(sentrytest.AliceID, allScopes), "find_projects", `{"organizationSlug":"acme","query":"nothing"}`)
	if err != nil || !strings.Contains(out, "No project of **acme** matches") {
		t.Errorf("no match: %v\n%s", err, out)
	}
}

func TestFindProjectsHiddenWhenProjectPinned(t *testing.T) {
	if _, ok := Find(Catalog(Options{Org: "acme", Project: "web"}), "find_projects"); ok {
		t.Error("find_projects offered on a project-pinned connection")
	}
	tl, ok := Find(Catalog(Options{Org: "acme"}), "find_projects")
	if !ok {
		t.Fatal("find_projects missing on an org-pinned connection")
	}
	if _, has := tl.InputSchema().Properties["organizationSlug"]; has {
		t.Error("pinned organizationSlug still advertised")
	}
}
