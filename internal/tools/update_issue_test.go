package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestUpdateIssue(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "update_issue",
		args:     `{"organizationSlug":"acme","issueId":"WEB-1A","status":"resolved"}`,
		want:     []string{"# Updated WEB-1A in **acme**", "**Status**: unresolved (new) → **resolved**", "**Link**:"},
		scope:    "event:write",
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ","status":"resolved"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","assignedTo":"  "}`,
			`{"issueId":"WEB-1A","status":"resolved"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"closed"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"ignored","ignoreCount":0}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"ignored","ignoreCount":10,"ignoreWindowMinutes":20000}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"ignored","ignoreWindowMinutes":60}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"ignored","ignoreDurationMinutes":60,"ignoreCount":5}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"ignored","ignoreMode":"forever","ignoreCount":5}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"ignored","ignoreMode":"forDuration"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"ignored","ignoreMode":"untilUserCount","ignoreCount":5}`,
			`{"organizationSlug":"acme","issueId":"not an id!!","status":"resolved"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"resolved","ignoreMode":"forever"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","status":"resolved","reason":""}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","issueUrl":"https://evil.example/organizations/acme/issues/WEB-1A/","status":"resolved"}`,
		},
	})
}

func TestUpdateIssueNoAccess(t *testing.T) {
	expectNoAccessOnGlobex(t, "update_issue", `{"organizationSlug":"globex","issueId":"MOBILE-1A","status":"resolved","regionUrl":%q}`)
}

// The triage tools are offered only to callers with the triage permission,
// and say they write.
func TestTriageToolsNeedTheTriagePermission(t *testing.T) {
	readOnly := Catalog(Options{Permissions: []Permission{Read}})
	triage := Catalog(Options{Permissions: []Permission{Read, Triage}})
	for _, name := range []string{"update_issue", "add_issue_note"} {
		if _, ok := Find(readOnly, name); ok {
			t.Errorf("%s is offered without the triage permission", name)
		}
		tool, ok := Find(triage, name)
		if !ok {
			t.Fatalf("%s is not offered with the triage permission", name)
		}
		if tool.ReadOnly || tool.Permission != Triage || !slices.Equal(tool.Scopes, []string{"event:write"}) {
			t.Errorf("%s: readOnly=%t permission=%s scopes=%v", name, tool.ReadOnly, tool.Permission, tool.Scopes)
		}
		if want := name == "update_issue"; tool.Destructive != want {
			t.Errorf("%s: destructive = %t, want %t (as @sentry/mcp-server says)", name, tool.Destructive, want)
		}
	}
}

// writesTo returns the write requests the fake received for path.
func writesTo(f *fixture, method, path string) []sentrytest.Request {
	var out []sentrytest.Request
	for _, r := range f.fake.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func TestUpdateIssueChangeIsVisibleAfterwards(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "update_issue", `{"issueUrl":"`+f.fake.URL+`/organizations/acme/issues/WEB-1A/","status":"resolved","assignedTo":"team:frontend","reason":"Fixed in web@1.2.4"}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"→ **resolved**", "**Assignee**: unassigned → **", "(team)", `Reason posted as a note**: "Fixed in web@1.2.4"`} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if puts := writesTo(f, http.MethodPut, "/api/0/organizations/acme/issues/WEB-1A/"); len(puts) != 1 || puts[0].Status != http.StatusOK || puts[0].UserID != sentrytest.AliceID {
		t.Errorf("want one PUT as alice, got %+v", puts)
	}
	if posts := writesTo(f, http.MethodPost, "/api/0/organizations/acme/issues/WEB-1A/notes/"); len(posts) != 1 || posts[0].Status != http.StatusCreated {
		t.Errorf("want one note POST, got %+v", posts)
	}

	ctx := context.Background()
	is, err := env.Sentry.GetIssue(ctx, "acme", "WEB-1A")
	if err != nil {
		t.Fatal(err)
	}
	if is.Status != "resolved" || is.AssignedTo == nil || is.AssignedTo.Type != "team" || is.AssignedTo.Name != "frontend" {
		t.Errorf("after the update: status %q, assignee %+v", is.Status, is.AssignedTo)
	}
	acts, err := env.Sentry.ListIssueActivity(ctx, "acme", "WEB-1A")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	note := false
	for _, a := range acts {
		kinds = append(kinds, a.Type)
		note = note || (a.Type == "note" && a.Data["text"] == "Fixed in web@1.2.4" && a.User != nil && a.User.ID == sentrytest.AliceID)
	}
	if !slices.Contains(kinds, "set_resolved") || !slices.Contains(kinds, "assigned") || !note {
		t.Errorf("activity lacks the change or the reason note: %v", kinds)
	}
}

func TestUpdateIssueIgnoreModes(t *testing.T) {
	for _, c := range []struct{ args, substatus string }{
		{`"status":"ignored"`, "archived_until_escalating"},
		{`"status":"ignored","ignoreMode":"untilEscalating"`, "archived_until_escalating"},
		{`"status":"ignored","ignoreMode":"forever"`, "archived_forever"},
	} {
		f := newFixture(t)
		env := f.env(sentrytest.AliceID, allScopes)
		out, err := f.call(env, "update_issue", `{"organizationSlug":"acme","issueId":"API-1A",`+c.args+`}`)
		if err != nil {
			t.Fatalf("%s: %v", c.args, err)
		}
		is, err := env.Sentry.GetIssue(context.Background(), "acme", "API-1A")
		if err != nil {
			t.Fatal(err)
		}
		if is.Status != "ignored" || is.Substatus != c.substatus {
			t.Errorf("%s: status %s/%s, want ignored/%s", c.args, is.Status, is.Substatus, c.substatus)
		}
		if want := "ignored (" + strings.ReplaceAll(c.substatus, "_", " ") + ")"; !strings.Contains(out, want) {
			t.Errorf("%s: output lacks %q:\n%s", c.args, want, out)
		}
	}
}

// Ignoring for a while, or until N more events or users, sends the
// condition to Sentry (archived_until_condition_met) and says it back.
func TestUpdateIssueIgnoreConditions(t *testing.T) {
	for _, c := range []struct {
		args string
		sent map[string]float64
		says string
	}{
		{`"ignoreMode":"forDuration","ignoreDurationMinutes":60`, map[string]float64{"ignoreDuration": 60}, "ignored for 60 minutes (until "},
		{`"ignoreCount":100,"ignoreWindowMinutes":60`, map[string]float64{"ignoreCount": 100, "ignoreWindow": 60}, "ignored until 100 more events within 60 minutes"},
		{`"ignoreMode":"untilUserCount","ignoreUserCount":20`, map[string]float64{"ignoreUserCount": 20}, "ignored until 20 more users"},
	} {
		f := newFixture(t)
		env := f.env(sentrytest.AliceID, allScopes)
		out, err := f.call(env, "update_issue", `{"organizationSlug":"acme","issueId":"API-1A","status":"ignored",`+c.args+`}`)
		if err != nil {
			t.Fatalf("%s: %v", c.args, err)
		}
		if !strings.Contains(out, c.says) {
			t.Errorf("%s: output lacks %q:\n%s", c.args, c.says, out)
		}
		is, err := env.Sentry.GetIssue(context.Background(), "acme", "API-1A")
		if err != nil {
			t.Fatal(err)
		}
		if is.Status != "ignored" || is.Substatus != "archived_until_condition_met" {
			t.Errorf("%s: status %s/%s", c.args, is.Status, is.Substatus)
		}
		for k, v := range c.sent {
			if got, _ := is.StatusDetails[k].(json.Number).Float64(); got != v {
				t.Errorf("%s: statusDetails[%s] = %v, want %v", c.args, k, is.StatusDetails[k], v)
			}
		}
	}
}

func TestUpdateIssueAssignsMe(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.BobID, allScopes)
	out, err := f.call(env, "update_issue", `{"organizationSlug":"acme","issueId":"CHECKOUT-1A","assignedTo":"me"}`)
	if err != nil {
		t.Fatal(err)
	}
	is, err := env.Sentry.GetIssue(context.Background(), "acme", "CHECKOUT-1A")
	if err != nil {
		t.Fatal(err)
	}
	if is.AssignedTo == nil || string(is.AssignedTo.ID) != sentrytest.BobID {
		t.Errorf("assignee = %+v, want bob", is.AssignedTo)
	}
	if !strings.Contains(out, "bob@example.com") {
		t.Errorf("output should name the new assignee:\n%s", out)
	}
}

// Without event:write nothing changes, and the guidance asks for the scope.
func TestUpdateIssueWithoutWriteScopeChangesNothing(t *testing.T) {
	f := newFixture(t)
	read := []string{"org:read", "project:read", "team:read", "event:read"}
	_, err := f.call(f.env(sentrytest.AliceID, read), "update_issue", `{"organizationSlug":"acme","issueId":"WEB-1A","status":"resolved"}`)
	if !errors.Is(err, sentry.ErrMissingScope) {
		t.Fatalf("err = %v, want ErrMissingScope", err)
	}
	is, err := f.env(sentrytest.AliceID, read).Sentry.GetIssue(context.Background(), "acme", "WEB-1A")
	if err != nil {
		t.Fatal(err)
	}
	if is.Status != "unresolved" {
		t.Errorf("status = %s after a refused update", is.Status)
	}
}
