package tools

import (
	"net/http"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestRemoveTeamFromProject(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "remove_team_from_project",
		args:     `{"organizationSlug":"acme","projectSlug":"web","teamSlug":"platform"}`,
		want:     []string{"# Team **platform** no longer has access to **acme/web**", "Teams with access: frontend."},
		scope:    "project:write",
		noAccess: `{"organizationSlug":"acme","projectSlug":"web","teamSlug":"platform"}`,
		notFound: `{"organizationSlug":"acme","projectSlug":"nope","teamSlug":"platform"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlug":"web"}`,
			`{"organizationSlug":"acme","projectSlug":"web","teamSlug":"a/b"}`,
			`{"projectSlug":"web","teamSlug":"platform"}`,
		},
	})
}

// The last team is never removed, nor a team without access: both are
// refused after looking, with nothing deleted.
func TestRemoveTeamFromProjectRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	_, err := f.call(env, "remove_team_from_project", `{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":"payments"}`)
	wantInputError(t, err, `"payments" is the only team`, "add_team_to_project")
	_, err = f.call(env, "remove_team_from_project", `{"organizationSlug":"acme","projectSlug":"checkout","teamSlug":"frontend"}`)
	wantInputError(t, err, `team "frontend" has no access`, "Teams with access: payments")
	if _, err := f.call(env, "remove_team_from_project", `{"organizationSlug":"acme","projectSlug":"web","teamSlug":"platform"}`); err != nil {
		t.Fatal(err)
	}
	_, err = f.call(env, "remove_team_from_project", `{"organizationSlug":"acme","projectSlug":"web","teamSlug":"frontend"}`)
	wantInputError(t, err, "only team")
	var deletes int
	for _, r := range f.fake.Requests() {
		if r.Method == http.MethodDelete {
			deletes++
		}
	}
	if deletes != 1 {
		t.Errorf("%d DELETEs, want 1", deletes)
	}
	if a := auditEvents(f, "project.remove-team"); len(a) != 1 || a[0].UserID != sentrytest.AliceID || a[0].Data["team"] != "platform" {
		t.Errorf("audit = %+v", a)
	}
}
