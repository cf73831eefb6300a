package tools

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// The tools of issue #10 §2: name, permission, whether they write, and
// the Sentry scopes a reconnect must ask for.
var manageCatalog = []struct {
	name       string
	permission Permission
	writes     bool
	scopes     []string
}{
	{"create_team", ProjectManagement, true, []string{"team:write"}},
	{"create_project", ProjectManagement, true, []string{"project:write", "team:read", "org:read"}},
	{"update_project", ProjectManagement, true, []string{"project:write"}},
	{"add_team_to_project", ProjectManagement, true, []string{"project:write", "team:read", "org:read"}},
	{"remove_team_from_project", ProjectManagement, true, []string{"project:write", "team:read", "org:read"}},
	{"create_dsn", ProjectManagement, true, []string{"project:write"}},
	{"update_dsn", ProjectManagement, true, []string{"project:write"}},
	{"create_uptime_monitor", ProjectManagement, true, []string{"project:write"}},
	{"update_uptime_monitor", ProjectManagement, true, []string{"project:write"}},
	{"delete_uptime_monitor", ProjectManagement, true, []string{"project:write"}},
	{"find_uptime_monitors", Read, false, []string{"org:read", "project:read"}},
	{"get_uptime_monitor_details", Read, false, []string{"project:read"}},
	{"analyze_issue_with_seer", Seer, true, []string{"event:read"}},
	{"search_docs", Docs, false, nil},
	{"get_doc", Docs, false, nil},
	{"onboarding_status_update", Read, true, []string{"org:read"}},
}

func TestManageToolsFollowTheirPermission(t *testing.T) {
	t.Parallel()
	full := Catalog(Options{Permissions: AllPermissions})
	readOnly := Catalog(Options{Permissions: []Permission{Read, Triage}})
	for _, want := range manageCatalog {
		tool, ok := Find(full, want.name)
		if !ok {
			t.Errorf("%s is not in the full catalog", want.name)
			continue
		}
		if tool.Permission != want.permission || tool.ReadOnly == want.writes || !slices.Equal(tool.Scopes, want.scopes) {
			t.Errorf("%s: permission %s, readOnly %t, scopes %v; want %s, writes %t, %v",
				want.name, tool.Permission, tool.ReadOnly, tool.Scopes, want.permission, want.writes, want.scopes)
		}
		if _, offered := Find(readOnly, want.name); offered != (want.permission == Read) {
			t.Errorf("%s offered to a read,triage caller: %t", want.name, offered)
		}
		if only, _ := Find(Catalog(Options{Permissions: []Permission{want.permission}}), want.name); only.Name != want.name {
			t.Errorf("%s not offered with just its permission %s", want.name, want.permission)
		}
	}
}

// Under a project pin, create_project is hidden (and refuses if called
// anyway); the other project tools lose their project parameter.
func TestCreateProjectHiddenUnderProjectPin(t *testing.T) {
	t.Parallel()
	pinned := Catalog(Options{Permissions: AllPermissions, Org: "acme", Project: "web"})
	if _, ok := Find(pinned, "create_project"); ok {
		t.Error("create_project offered under a project pin")
	}
	if tool, ok := Find(Catalog(Options{Permissions: AllPermissions, Org: "acme"}), "create_project"); !ok {
		t.Error("create_project hidden under an organization pin")
	} else if _, has := tool.InputSchema().Properties["organizationSlug"]; has {
		t.Error("organizationSlug advertised under an organization pin")
	}
	for _, name := range []string{"update_project", "create_dsn", "update_dsn", "create_uptime_monitor", "find_uptime_monitors", "add_team_to_project"} {
		tool, ok := Find(pinned, name)
		if !ok {
			t.Fatalf("%s missing under a project pin", name)
		}
		if _, has := tool.InputSchema().Properties["projectSlug"]; has {
			t.Errorf("%s advertises projectSlug under a project pin", name)
		}
	}

	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org, env.Project = "acme", "web"
	_, err := f.call(env, "create_project", `{"teamSlug":"frontend","name":"other"}`)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Problem, "pinned to project") {
		t.Fatalf("err = %v, want the pin refusal", err)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// auditEvents returns the audit log's entries of one event.
func auditEvents(f *fixture, event string) []sentrytest.AuditEntry {
	var out []sentrytest.AuditEntry
	for _, e := range f.fake.AuditLog() {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

// wantInputError fails unless err is an *InputError whose problem has all
// of words.
func wantInputError(t *testing.T, err error, words ...string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *InputError", err)
	}
	for _, w := range words {
		if !strings.Contains(ie.Problem, w) {
			t.Errorf("problem %q lacks %q", ie.Problem, w)
		}
	}
}

func wantContains(t *testing.T, out string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
