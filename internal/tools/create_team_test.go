package tools

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestCreateTeam(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "create_team",
		args:     `{"organizationSlug":"acme","name":"Mobile Apps"}`,
		want:     []string{"# Created team **mobile-apps** in **acme**", "Slug: `mobile-apps`", "You are a member", "add_team_to_project("},
		scope:    "team:write",
		noAccess: `{"organizationSlug":"acme","name":"Ops"}`, // bob is a member: members may not create teams
		notFound: `{"organizationSlug":"initech","name":"Ops"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme"}`,
			`{"name":"Ops"}`,
			`{"organizationSlug":"acme","name":""}`,
			`{"organizationSlug":"acme","name":" -- "}`,
			`{"organizationSlug":"acme","name":"` + strings.Repeat("x", 65) + `"}`,
			`{"organizationSlug":"../acme","name":"Ops"}`,
		},
	})
}

func TestCreateTeamIsMadeByTheCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	if _, err := f.call(env, "create_team", `{"organizationSlug":"acme","name":"Mobile Apps"}`); err != nil {
		t.Fatal(err)
	}
	posts := writesTo(f, http.MethodPost, "/api/0/organizations/acme/teams/")
	if len(posts) != 1 || posts[0].Status != http.StatusCreated || posts[0].UserID != sentrytest.AliceID {
		t.Fatalf("want one POST as alice, got %+v", posts)
	}
	if a := auditEvents(f, "team.create"); len(a) != 1 || a[0].UserID != sentrytest.AliceID || a[0].Target != "mobile-apps" {
		t.Fatalf("audit = %+v", a)
	}
	teams, _, err := env.Sentry.ListTeams(context.Background(), "acme", sentry.ListOptions{})
	if err != nil || !hasTeam(teams, "mobile-apps") {
		t.Fatalf("teams after create: %v %v", teamList(teams), err)
	}

	// The same name again: Sentry's 409 becomes advice, and nothing more
	// is created.
	_, err = f.call(env, "create_team", `{"organizationSlug":"acme","name":"mobile apps"}`)
	wantInputError(t, err, "already exists", "find_teams")
	if a := auditEvents(f, "team.create"); len(a) != 1 {
		t.Errorf("%d teams created", len(a))
	}
}
