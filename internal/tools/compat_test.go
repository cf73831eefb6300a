package tools

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

// anchorTool is a tool of @sentry/mcp-server 0.39.0 as extracted into
// testdata (see its "extracted" field for how).
type anchorTool struct {
	Name           string             `json:"name"`
	Annotations    map[string]bool    `json:"annotations"`
	InputSchema    *jsonschema.Schema `json:"inputSchema"`
	RequiredScopes []string           `json:"requiredScopes"`
}

func loadAnchor(t *testing.T) map[string]anchorTool {
	t.Helper()
	b, err := os.ReadFile("testdata/sentry-mcp-server-0.39.0.json")
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Tools []anchorTool `json:"tools"`
	}
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	m := map[string]anchorTool{}
	for _, a := range snap.Tools {
		m[a.Name] = a
	}
	return m
}

// requiredTools is the catalog issue #3 asks for.
var requiredTools = []string{
	"whoami", "find_organizations", "find_teams", "find_projects", "find_releases",
	"get_release_details", "search_issues", "get_issue_details", "search_issue_events",
	"get_issue_tag_values", "get_issue_activity", "get_issue_breadcrumbs", "get_event_stacktrace",
	"get_trace_details", "search_events", "get_sentry_resource", "find_dsns", "find_monitors",
	"update_issue", "add_issue_note",
}

// Prompts written for @sentry/mcp-server must work unchanged: every tool we
// offer has its name, parameter names, required set, types, enums and
// read-only/destructive hints.
func TestCompatibleWithSentryMCPServer(t *testing.T) {
	anchor := loadAnchor(t)
	ours := Catalog(Options{Permissions: AllPermissions})
	for _, name := range requiredTools {
		if _, ok := Find(ours, name); !ok {
			t.Errorf("catalog lacks %s", name)
		}
	}
	for _, tool := range ours {
		t.Run(tool.Name, func(t *testing.T) {
			a, ok := anchor[tool.Name]
			if !ok {
				t.Fatalf("%s is not a tool of @sentry/mcp-server 0.39.0", tool.Name)
			}
			if got, want := tool.ReadOnly, a.Annotations["readOnlyHint"]; got != want {
				t.Errorf("readOnlyHint = %t, want %t", got, want)
			}
			if got, want := tool.Destructive, a.Annotations["destructiveHint"]; got != want {
				t.Errorf("destructiveHint = %t, want %t", got, want)
			}
			s := tool.InputSchema()
			if got, want := sortedKeys(s.Properties), sortedKeys(a.InputSchema.Properties); !slices.Equal(got, want) {
				t.Fatalf("parameters = %v, want %v", got, want)
			}
			if got, want := sorted(s.Required), sorted(a.InputSchema.Required); !slices.Equal(got, want) {
				t.Errorf("required = %v, want %v", got, want)
			}
			for name, want := range a.InputSchema.Properties {
				got := s.Properties[name]
				if g, w := typesOf(got), typesOf(want); !slices.Equal(g, w) {
					t.Errorf("%s: types %v, want %v", name, g, w)
				}
				if g, w := enumOf(got), enumOf(want); !slices.Equal(g, w) {
					t.Errorf("%s: enum %v, want %v", name, g, w)
				}
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sorted(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }

// typesOf flattens type, types and anyOf branches into a sorted set;
// "integer" counts as "number" (the reference server mixes them).
func typesOf(s *jsonschema.Schema) []string {
	var out []string
	add := func(t string) {
		if t == "integer" {
			t = "number"
		}
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	add(s.Type)
	for _, t := range s.Types {
		add(t)
	}
	for _, b := range s.AnyOf {
		for _, t := range typesOf(b) {
			add(t)
		}
	}
	sort.Strings(out)
	return out
}

func enumOf(s *jsonschema.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		if str, ok := v.(string); ok {
			out = append(out, str)
		}
	}
	for _, b := range s.AnyOf {
		out = append(out, enumOf(b)...)
	}
	sort.Strings(out)
	return out
}
