package tools

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestAddIssueNote(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "add_issue_note",
		args:     `{"organizationSlug":"acme","issueId":"CHECKOUT-1A","text":"Payments team is on it."}`,
		want:     []string{"# Note added to CHECKOUT-1A in **acme**", "> Payments team is on it.", "**By**: Alice"},
		scope:    "event:write",
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ","text":"hello"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","text":""}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","text":"   \n "}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","text":5}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","text":"` + strings.Repeat("x", 4097) + `"}`,
			`{"text":"hello"}`,
			`{"issueId":"WEB-1A","text":"hello"}`,
			`{"issueUrl":"https://acme.evil.example/issues/WEB-1A/","text":"hello"}`,
		},
	})
}

func TestAddIssueNoteNoAccess(t *testing.T) {
	expectNoAccessOnGlobex(t, "add_issue_note", `{"organizationSlug":"globex","issueId":"MOBILE-1A","text":"hello","regionUrl":%q}`)
}

func TestAddIssueNoteIsVisibleInActivity(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	text := "Rolled back checkout@2.0.0.\nWatching the error rate."
	if _, err := f.call(env, "add_issue_note", `{"issueUrl":"`+f.fake.URL+`/organizations/acme/issues/CHECKOUT-1A/","text":"Rolled back checkout@2.0.0.\nWatching the error rate."}`); err != nil {
		t.Fatal(err)
	}
	posts := writesTo(f, http.MethodPost, "/api/0/organizations/acme/issues/CHECKOUT-1A/notes/")
	if len(posts) != 1 || posts[0].Status != http.StatusCreated || posts[0].UserID != sentrytest.AliceID {
		t.Fatalf("want one POST as alice, got %+v", posts)
	}
	acts, err := env.Sentry.ListIssueActivity(context.Background(), "acme", "CHECKOUT-1A")
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) == 0 {
		t.Fatal("no activity")
	}
	if acts[0].Type != "note" || acts[0].Data["text"] != text || acts[0].User == nil || acts[0].User.ID != sentrytest.AliceID {
		t.Errorf("newest activity is not alice's note: %+v", acts[0])
	}
	// The 4096-character limit is inclusive.
	long := strings.Repeat("y", 4096)
	if _, err := f.call(env, "add_issue_note", `{"organizationSlug":"acme","issueId":"CHECKOUT-1A","text":"`+long+`"}`); err != nil {
		t.Errorf("a 4096-character note: %v", err)
	}
}
