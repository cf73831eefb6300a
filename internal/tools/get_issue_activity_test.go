package tools

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetIssueActivity(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "get_issue_activity",
		args:     `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		want:     []string{"# Activity of issue WEB-1A in **acme**", "## History", "## Comments", "CartSummary assumes cart.items is always set"},
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","limit":0}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","limit":101}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","limit":2.5}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","includeComments":"no"}`,
		},
	})
}

func TestGetIssueActivityCommentsAndLimit(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "get_issue_activity", `{"organizationSlug":"acme","issueId":"WEB-1A","includeComments":false}`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "## Comments") || strings.Contains(out, "CartSummary assumes") {
		t.Errorf("comments shown with includeComments=false:\n%s", out)
	}
	// Bob's note is attributed to him.
	out, err = f.call(env, "get_issue_activity", `{"organizationSlug":"acme","issueId":"WEB-1A"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "**Bob") {
		t.Errorf("note author missing:\n%s", out)
	}
	// Two status changes make sure there is more history than the limit.
	for _, status := range []string{"resolved", "unresolved"} {
		if _, err := env.Sentry.UpdateIssue(t.Context(), "acme", "WEB-1A", sentry.IssueUpdate{Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	out, err = f.call(env, "get_issue_activity", `{"organizationSlug":"acme","issueId":"WEB-1A","limit":1}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "reopened the issue") || strings.Contains(out, "resolved the issue") || !strings.Contains(out, "older entries not shown") {
		t.Errorf("limit 1 should show only the newest entry (reopened):\n%s", out)
	}
}

func TestActivityText(t *testing.T) {
	for _, c := range []struct {
		a    sentry.Activity
		want string
	}{
		{sentry.Activity{Type: "set_resolved"}, "resolved the issue"},
		{sentry.Activity{Type: "set_regression", Data: map[string]any{"version": "web@1.2.3"}}, "marked the issue regressed in release web@1.2.3"},
		{sentry.Activity{Type: "assigned", Data: map[string]any{"assignee": "1", "assigneeEmail": "alice@example.com", "assigneeType": "user"}}, "assigned the issue to alice@example.com"},
		{sentry.Activity{Type: "assigned", Data: map[string]any{"assignee": "platform", "assigneeType": "team"}}, "assigned the issue to team platform"},
		{sentry.Activity{Type: "set_ignored", Data: map[string]any{"ignoreUntilEscalating": true}}, "archived the issue until it escalates"},
		{sentry.Activity{Type: "new_thing", Data: map[string]any{"b": 2, "a": "x"}}, "did new_thing (a=x, b=2)"},
	} {
		if got := activityText(c.a); got != c.want {
			t.Errorf("activityText(%s) = %q, want %q", c.a.Type, got, c.want)
		}
	}
}
