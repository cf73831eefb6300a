package tools

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetReleaseDetails(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "get_release_details",
		args: `{"organizationSlug":"acme","releaseVersion":"web@1.2.3+build.4"}`,
		want: []string{"# Release web@1.2.3+build.4 in **acme**", "- Projects: web", "## Deploys (3)", "- production, ",
			"- staging, ", "## Commits (9)", " by Alice Anderson, ", "firstRelease:web@1.2.3+build.4"},
		scope:    "project:read",
		notFound: `{"organizationSlug":"acme","releaseVersion":"web@9.9.9"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"organizationSlug":"acme","releaseVersion":""}`,
			`{"organizationSlug":"acme","releaseVersion":"   "}`,
			`{"organizationSlug":"acme","releaseVersion":".."}`,
			`{"organizationSlug":"acme","releaseVersion":"web@1.2.3+build.4","limit":0}`,
			`{"organizationSlug":"acme","releaseVersion":"web@1.2.3+build.4","limit":51}`,
			`{"organizationSlug":"acme","releaseVersion":"web@1.2.3+build.4","includeHealth":"yes"}`,
			`{"organizationSlug":"acme","releaseVersion":"web@1.2.3+build.4","includeHealth":true}`, // health needs a project
			`{"organizationSlug":"acme","releaseVersion":"web@1.2.3+build.4","projectSlugOrId":"a/b"}`,
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "get_release_details", `{"organizationSlug":"globex","regionUrl":%q,"releaseVersion":"mobile@4.1.0+412"}`)
	})
}

// Versions carry "@", "+" and "/": each must reach Sentry as one path
// segment, and the link must keep it one segment too.
func TestGetReleaseDetailsEscapesVersions(t *testing.T) {
	for version, link := range map[string]string{
		"web@1.2.3+build.4": "/organizations/acme/releases/web@1.2.3%2Bbuild.4/",
		"api@release/3.4":   "/organizations/acme/releases/api@release%2F3.4/",
	} {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t)
			out, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_release_details",
				`{"organizationSlug":"acme","releaseVersion":"`+version+`"}`)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "# Release "+version+" in **acme**") || !strings.Contains(out, "- URL: "+f.fake.URL+link) {
				t.Errorf("output:\n%s", out)
			}
			// The release, its deploys and its commits: one request each.
			var paths []string
			for _, r := range f.fake.Requests() {
				if r.Status != 200 {
					t.Errorf("%s -> %d", r.Path, r.Status)
				}
				paths = append(paths, r.Path)
			}
			base := "/api/0/organizations/acme/releases/" + version + "/"
			if !slices.Equal(paths, []string{base, base + "deploys/", base + "commits/"}) {
				t.Errorf("requests %v", paths)
			}
		})
	}
}

func TestGetReleaseDetailsProjectScope(t *testing.T) {
	f := newFixture(t)
	alice := f.env(sentrytest.AliceID, allScopes)

	out, err := f.call(alice, "get_release_details", `{"organizationSlug":"acme","releaseVersion":"api@release/3.4","projectSlugOrId":"api","includeHealth":true}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"## Health in api", "New issues in this project: 2", "- Crash-free sessions: ", "- Adoption: "} {
		if !strings.Contains(out, w) {
			t.Errorf("health output lacks %q:\n%s", w, out)
		}
	}
	// A numeric project id works like the slug.
	if _, err := f.call(alice, "get_release_details", `{"organizationSlug":"acme","releaseVersion":"api@release/3.4","projectSlugOrId":"4506000000000103"}`); err != nil {
		t.Errorf("by project id: %v", err)
	}
	// A release of another project is not found in this one.
	_, err = f.call(alice, "get_release_details", `{"organizationSlug":"acme","releaseVersion":"api@release/3.4","projectSlugOrId":"web"}`)
	if !errors.Is(err, sentry.ErrNotFound) || !strings.Contains(err.Error(), `its projects: api`) {
		t.Errorf("release outside the project: %v", err)
	}

	out, err = f.call(alice, "get_release_details", `{"organizationSlug":"acme","releaseVersion":"checkout@2.0.0","includeDeploys":false,"includeCommits":false}`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "## Deploys") || strings.Contains(out, "## Commits") || strings.Contains(out, "## Health") {
		t.Errorf("sections not asked for:\n%s", out)
	}
}

func TestGetReleaseDetailsHealthUsesProjectPin(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org, env.Project = "acme", "web"
	out, err := f.call(env, "get_release_details", `{"releaseVersion":"web@1.2.3+build.4","includeHealth":true}`)
	if err != nil || !strings.Contains(out, "## Health in web") {
		t.Errorf("pinned project fills projectSlugOrId: %v\n%s", err, out)
	}
}
