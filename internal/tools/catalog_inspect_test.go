package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// Helpers of the inspect tools' tests.

// mustCall runs tool as alice and fails the test on an error.
func (f *fixture) mustCall(tool, args string) string {
	f.t.Helper()
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), tool, args)
	if err != nil {
		f.t.Fatalf("%s(%s): %v", tool, args, err)
	}
	return out
}

// result runs tool as alice and returns the text and media.
func (f *fixture) result(tool, args string) (Result, error) {
	f.t.Helper()
	tl, ok := Find(Catalog(Options{Permissions: []Permission{Read, Triage}}), tool)
	if !ok {
		f.t.Fatalf("no tool %s", tool)
	}
	return tl.CallResult(context.Background(), f.env(sentrytest.AliceID, allScopes), json.RawMessage(args))
}

// pinned runs tool as alice on a connection pinned to org and project.
func (f *fixture) pinned(org, project, tool, args string) (string, error) {
	f.t.Helper()
	tl, ok := Find(Catalog(Options{Permissions: []Permission{Read}, Org: org, Project: project}), tool)
	if !ok {
		f.t.Fatalf("no tool %s", tool)
	}
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org, env.Project = org, project
	return tl.Call(context.Background(), env, json.RawMessage(args))
}

func contains(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func lacks(t *testing.T, what, out string, not ...string) {
	t.Helper()
	for _, n := range not {
		if strings.Contains(out, n) {
			t.Errorf("%s has %q:\n%s", what, n, out)
		}
	}
}

// isInputError checks err is an *InputError whose problem says want.
func isInputError(t *testing.T, what string, err error, want string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Problem, want) {
		t.Errorf("%s: err = %v, want an input error saying %q", what, err, want)
	}
}

// requested reports whether a request with path containing part was made.
func (f *fixture) requested(part string) bool {
	for _, r := range f.fake.Requests() {
		if strings.Contains(r.Path, part) {
			return true
		}
	}
	return false
}

func TestInspectToolsAreReadOnlyAndExperimentalOnesMarked(t *testing.T) {
	t.Parallel()
	for _, tl := range inspectTools() {
		if !tl.ReadOnly || tl.Destructive || tl.Permission != Read {
			t.Errorf("%s: read-only %t, destructive %t, permission %s", tl.Name, tl.ReadOnly, tl.Destructive, tl.Permission)
		}
		want := tl.Name == "get_profile" || tl.Name == "get_profile_details"
		if tl.Experimental != want {
			t.Errorf("%s: experimental = %t", tl.Name, tl.Experimental)
		}
		if len(tl.Scopes) == 0 {
			t.Errorf("%s declares no scopes", tl.Name)
		}
	}
}

// The deprecated aliases answer exactly as the tools they stand for.
func TestConversationAliases(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for alias, tool := range map[string]string{"get_ai_conversation_details": "get_agent_conversation_details", "search_ai_conversations": "search_agent_conversations"} {
		args := `{"organizationSlug":"acme","conversationId":"` + sentrytest.ConversationID + `"}`
		if strings.HasPrefix(tool, "search") {
			args = `{"organizationSlug":"acme"}`
		}
		if a, b := f.mustCall(alias, args), f.mustCall(tool, args); a != b {
			t.Errorf("%s answers differently from %s:\n%s\n---\n%s", alias, tool, a, b)
		}
		al, _ := Find(Catalog(Options{}), alias)
		if !strings.HasPrefix(al.Description, "Deprecated alias of "+tool) {
			t.Errorf("%s does not say it is deprecated: %q", alias, al.Description)
		}
	}
}

// The inspect tools of issue #10 §2 are in the catalog every caller gets.
func TestInspectToolsInCatalog(t *testing.T) {
	t.Parallel()
	catalog := Catalog(Options{})
	for _, name := range []string{
		"find_dashboards", "get_dashboard_details", "get_monitor_details", "find_alert_rules", "get_alert_rule",
		"get_issue_user_reports", "get_span_details", "get_replay_details", "get_event_attachment", "get_profile",
		"get_profile_details", "get_snapshot", "get_snapshot_image", "get_latest_base_snapshot",
		"get_agent_conversation_details", "get_ai_conversation_details", "search_agent_conversations", "search_ai_conversations",
	} {
		if _, ok := Find(catalog, name); !ok {
			t.Errorf("catalog lacks %s", name)
		}
	}
}
