package tools

import (
	"net/http"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestAddTeamToProject(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "add_team_to_project",
		args:     `{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":"frontend"}`,
		want:     []string{"# Team **frontend** now has access to **acme/checkout**", "Teams with access: payments, frontend."},
		scope:    "project:write",
		noAccess: `{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":"frontend"}`,
		notFound: `{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":"nope"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlug":"checkout"}`,
			`{"organizationSlug":"acme","teamSlug":"frontend"}`,
			`{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":"front end"}`,
			`{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":""}`,
		},
	})
}

func TestAddTeamToProjectIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	args := `{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":"frontend"}`
	if _, err := f.call(env, "add_team_to_project", args); err != nil {
		t.Fatal(err)
	}
	out, err := f.call(env, "add_team_to_project", args)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "already has access", "nothing changed", "Teams with access: payments, frontend.")
	if posts := writesTo(f, http.MethodPost, "/api/0/projects/acme/checkout/teams/frontend/"); len(posts) != 1 || posts[0].UserID != sentrytest.AliceID {
		t.Errorf("want one POST as alice, got %+v", posts)
	}
	if a := auditEvents(f, "project.add-team"); len(a) != 1 || a[0].Data["team"] != "frontend" {
		t.Errorf("audit = %+v", a)
	}
}
