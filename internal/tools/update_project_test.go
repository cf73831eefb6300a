package tools

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestUpdateProject(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "update_project",
		args:     `{"organizationSlug":"acme","projectSlug":"web","name":"Storefront","platform":"javascript-nextjs"}`,
		want:     []string{"# Updated project **acme/web**", "**Name**: web → **Storefront**", "**Platform**: javascript-react → **javascript-nextjs**"},
		scope:    "project:write",
		noAccess: `{"organizationSlug":"acme","projectSlug":"web","name":"Bob's"}`,
		notFound: `{"organizationSlug":"acme","projectSlug":"nope","name":"x"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlug":"web"}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":null}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":" "}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"` + strings.Repeat("x", 51) + `"}`,
			`{"organizationSlug":"acme","projectSlug":"web","slug":"Store Front"}`,
			`{"organizationSlug":"acme","projectSlug":"web","slug":"42"}`,
			`{"organizationSlug":"acme","projectSlug":"web","platform":"Next JS"}`,
			`{"organizationSlug":"acme","name":"x"}`,
		},
	})
}

func TestUpdateProjectSlug(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "update_project", `{"organizationSlug":"acme","projectSlug":"web","slug":"storefront"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "# Updated project **acme/storefront**", "**Slug**: web → **storefront**", "projectSlug='storefront'")
	ctx := context.Background()
	if _, err := env.Sentry.GetProject(ctx, "acme", "storefront"); err != nil {
		t.Errorf("new slug: %v", err)
	}
	if _, err := env.Sentry.GetProject(ctx, "acme", "web"); !errors.Is(err, sentry.ErrNotFound) {
		t.Errorf("old slug: %v, want not found", err)
	}
	if a := auditEvents(f, "project.edit"); len(a) != 1 || a[0].UserID != sentrytest.AliceID || a[0].Data["oldSlug"] != "web" {
		t.Errorf("audit = %+v", a)
	}
	// A slug taken by another project is Sentry's to refuse.
	_, err = f.call(env, "update_project", `{"organizationSlug":"acme","projectSlug":"storefront","slug":"api"}`)
	if !errors.Is(err, sentry.ErrInvalidArgument) || !strings.Contains(TokenGuide(f.fake.URL).Explain(err), "already using that slug") {
		t.Errorf("taken slug: %v", err)
	}
}

// Under a project pin the slug cannot change (the pin would then name
// nothing); other changes go through.
func TestUpdateProjectUnderProjectPin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org, env.Project = "acme", "web"
	_, err := f.call(env, "update_project", `{"slug":"storefront"}`)
	wantInputError(t, err, `pinned to project "web"`)
	if n := len(f.fake.Requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	if _, err := f.call(env, "update_project", `{"name":"Storefront","slug":"web"}`); err != nil {
		t.Fatalf("rename under the pin: %v", err)
	}
	if puts := writesTo(f, http.MethodPut, "/api/0/projects/acme/web/"); len(puts) != 1 {
		t.Errorf("want one PUT, got %d", len(puts))
	}
}

// Values that would not change are not sent; nothing to change, no PUT.
func TestUpdateProjectUnchanged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "update_project", `{"organizationSlug":"acme","projectSlug":"web","name":"web"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "**Name**: web (unchanged)")
	if puts := writesTo(f, http.MethodPut, "/api/0/projects/acme/web/"); len(puts) != 0 {
		t.Errorf("%d PUTs for no change", len(puts))
	}
}
