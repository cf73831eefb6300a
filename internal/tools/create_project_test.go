package tools

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestCreateProject(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "create_project",
		args:     `{"organizationSlug":"acme","teamSlug":"payments","name":"Billing API","platform":"go"}`,
		want:     []string{"# Created project **acme/billing-api**", "Platform: go", "- Team: payments", "## SENTRY_DSN", "`http://"},
		scope:    "project:write",
		noAccess: `{"organizationSlug":"acme","teamSlug":"frontend","name":"Bob's"}`,
		notFound: `{"organizationSlug":"acme","teamSlug":"nope","name":"Billing API"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","name":"x"}`,
			`{"organizationSlug":"acme","teamSlug":"payments"}`,
			`{"organizationSlug":"acme","teamSlug":"payments","name":""}`,
			`{"organizationSlug":"acme","teamSlug":"payments","name":"   "}`,
			`{"organizationSlug":"acme","teamSlug":"payments","name":"` + strings.Repeat("x", 51) + `"}`,
			`{"organizationSlug":"acme","teamSlug":"payments","name":"x","slug":"Billing API"}`,
			`{"organizationSlug":"acme","teamSlug":"payments","name":"x","slug":"12345"}`,
			`{"organizationSlug":"acme","teamSlug":"payments","name":"x","platform":"Go Lang"}`,
			`{"organizationSlug":"acme","teamSlug":"../payments","name":"x"}`,
		},
	})
}

// The DSN shown is the new project's, and the project exists afterwards
// with the team, made by the caller.
func TestCreateProjectShowsItsDSN(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "create_project", `{"organizationSlug":"acme","teamSlug":"payments","name":"Billing API","slug":"billing"}`)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := env.Sentry.GetProject(ctx, "acme", "billing")
	if err != nil || p.Name != "Billing API" || len(p.Teams) != 1 || p.Teams[0].Slug != "payments" {
		t.Fatalf("project = %+v, %v", p, err)
	}
	keys, _, err := env.Sentry.ListProjectKeys(ctx, "acme", "billing", sentry.ListOptions{})
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
	wantContains(t, out, "`"+keys[0].DSN.Public+"`", "Platform: not set")
	if a := auditEvents(f, "project.create"); len(a) != 1 || a[0].UserID != sentrytest.AliceID || a[0].Data["team"] != "payments" {
		t.Errorf("audit = %+v", a)
	}
	// Creating it again is refused with advice, not a raw 409.
	_, err = f.call(env, "create_project", `{"organizationSlug":"acme","teamSlug":"payments","name":"Billing API","slug":"billing"}`)
	wantInputError(t, err, "already exists", "find_projects")
}

func TestCreateProjectLinksTheRepository(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, append(allScopes, "org:integrations"))
	out, err := f.call(env, "create_project", `{"organizationSlug":"acme","teamSlug":"frontend","name":"storefront","repository":"web-frontend"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Repository: acme/web-frontend (linked", "## SENTRY_DSN")
	if a := auditEvents(f, "code-mapping.create"); len(a) != 1 || a[0].Target != "storefront" || a[0].Data["repository"] != "acme/web-frontend" {
		t.Errorf("audit = %+v", a)
	}
}

// Without an integration scope the project is still created and the reply
// says what is left to do.
func TestCreateProjectWithoutIntegrationScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "create_project",
		`{"organizationSlug":"acme","teamSlug":"frontend","name":"storefront","repository":"acme/web-frontend"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "# Created project **acme/storefront**", "acme/web-frontend **not linked**", "org:integrations", "## SENTRY_DSN")
	if len(auditEvents(f, "code-mapping.create")) != 0 {
		t.Error("a code mapping was created without the scope")
	}
}

// An unknown or ambiguous repository is refused before the project is
// created.
func TestCreateProjectRefusesUnknownRepository(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	_, err := f.call(env, "create_project", `{"organizationSlug":"acme","teamSlug":"frontend","name":"storefront","repository":"acme/nope"}`)
	wantInputError(t, err, `no repository named "acme/nope"`, "Settings > Integrations")
	if n := len(writesTo(f, http.MethodPost, "/api/0/teams/acme/frontend/projects/")); n != 0 {
		t.Errorf("%d projects created", n)
	}
}
