package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestFindReleases(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "find_releases",
		args:     `{"organizationSlug":"acme"}`,
		want:     []string{"# Releases in **acme**", "## checkout@2.0.0", "## web@1.2.3+build.4", "## api@release/3.4", "Commits: 9 · Deploys: 3, last to production"},
		scope:    "project:read",
		notFound: `{"organizationSlug":"acme","projectSlug":"nope"}`,
		badInput: []string{`{}`, `{"organizationSlug":"acme","projectSlug":"acme/web"}`, `{"organizationSlug":"acme","query":1}`, `{"organizationSlug":"acme","projectSlug":3}`},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "find_releases", `{"organizationSlug":"globex","regionUrl":%q}`)
	})
}

func TestFindReleasesFilters(t *testing.T) {
	f := newFixture(t)
	alice := f.env(sentrytest.AliceID, allScopes)

	out, err := f.call(alice, "find_releases", `{"organizationSlug":"acme","projectSlug":"web"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "**acme/web**") || !strings.Contains(out, "## web@1.2.2+build.9") || strings.Contains(out, "checkout@") || strings.Contains(out, "api@") {
		t.Errorf("project filter:\n%s", out)
	}
	// The slug is resolved to the project id Sentry filters by.
	var sawID bool
	for _, r := range f.fake.Requests() {
		if strings.HasSuffix(r.Path, "/releases/") && r.Query.Get("project") == "4506000000000101" {
			sawID = true
		}
	}
	if !sawID {
		t.Errorf("releases were not filtered by project id: %+v", f.fake.Requests())
	}

	out, err = f.call(alice, "find_releases", `{"organizationSlug":"acme","query":"release/3"}`)
	if err != nil || !strings.Contains(out, "## api@release/3.4") || strings.Contains(out, "## api@3.3.2") {
		t.Errorf("query filter: %v\n%s", err, out)
	}
	out, err = f.call(alice, "find_releases", `{"organizationSlug":"acme","projectSlug":"all"}`)
	if err != nil || strings.Count(out, "\n## ") != 6 {
		t.Errorf("projectSlug=all lists all 6 acme releases: %v\n%s", err, out)
	}
	out, err = f.call(alice, "find_releases", `{"organizationSlug":"acme","query":"9.9.9"}`)
	if err != nil || !strings.Contains(out, `No release in **acme** matches "9.9.9"`) {
		t.Errorf("no match: %v\n%s", err, out)
	}
	out, err = f.call(alice, "find_releases", fmt.Sprintf(`{"organizationSlug":"globex","regionUrl":%q,"projectSlug":"mobile"}`, f.fake.RegionURL("de")))
	if err != nil || !strings.Contains(out, "## mobile@4.1.0+412") || strings.Contains(out, "backend@") {
		t.Errorf("globex/mobile: %v\n%s", err, out)
	}
}

func TestFindReleasesProjectPin(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org, env.Project = "acme", "api"
	out, err := f.call(env, "find_releases", `{}`)
	if err != nil || !strings.Contains(out, "**acme/api**") || strings.Contains(out, "web@") {
		t.Errorf("pinned to acme/api: %v\n%s", err, out)
	}
	if _, err := f.call(env, "find_releases", `{"projectSlug":"web"}`); err == nil {
		t.Error("a pinned project was overridden")
	}
}
