package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// referenceListed are the tools @sentry/mcp-server 0.39.0 puts in its
// default tools/list (its other tools are reached through the two
// wrappers): find_organizations, find_projects, update_issue, search_events,
// analyze_issue_with_seer, search_issues, get_sentry_resource and the two
// wrappers.
var referenceListed = []string{
	"analyze_issue_with_seer", "execute_sentry_tool", "find_organizations", "find_projects",
	"get_sentry_resource", "search_events", "search_issues", "search_sentry_tools", "update_issue",
}

// referenceAliases are the reference's deprecated names of other tools.
var referenceAliases = map[string]string{
	"get_ai_conversation_details": "get_agent_conversation_details",
	"search_ai_conversations":     "search_agent_conversations",
}

// Every tool of the reference's catalog is reachable in lookout: it is in
// the full catalog, search_sentry_tools finds it by its name, and
// execute_sentry_tool runs it (with no arguments it either answers or
// refuses the input; never "not available"). In a read-only session a tool
// another permission hides says which permission it needs.
func TestEveryReferenceToolIsReachable(t *testing.T) {
	t.Parallel()
	anchor := loadAnchor(t)
	if len(anchor) != 56 {
		t.Fatalf("the reference snapshot has %d tools, want 56 (54 catalog tools and the 2 wrappers)", len(anchor))
	}
	full := Catalog(Options{Permissions: AllPermissions})
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	search, _ := Find(full, searchToolsName)
	execute, _ := Find(full, executeToolsName)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range anchor {
			if !yield(n) {
				return
			}
		}
	}) {
		t.Run(name, func(t *testing.T) {
			if _, ok := Find(full, name); !ok {
				t.Fatalf("%s is not in lookout's catalog", name)
			}
			if isWrapper(name) {
				return
			}
			out, err := search.Call(context.Background(), env, json.RawMessage(fmt.Sprintf(`{"query":%q,"limit":3}`, name)))
			if err != nil {
				t.Fatalf("search_sentry_tools: %v", err)
			}
			var found struct {
				Results []struct{ Name string } `json:"results"`
			}
			if err := json.Unmarshal([]byte(out), &found); err != nil || len(found.Results) == 0 || found.Results[0].Name != name {
				t.Fatalf("search_sentry_tools(%q) does not rank it first: %s", name, out)
			}
			args := fmt.Sprintf(`{"name":%q,"arguments":{}}`, name)
			_, err = execute.Call(context.Background(), env, json.RawMessage(args))
			var ie *InputError
			if err != nil && errors.As(err, &ie) && strings.Contains(ie.Problem, "not available") {
				t.Fatalf("execute_sentry_tool refuses it: %v", err)
			}
			if why, hidden := Unavailable(Options{Permissions: []Permission{Read}}, name); hidden && !strings.Contains(why, "permission") {
				t.Errorf("hidden in a read-only session without saying which permission: %s", why)
			}
		})
	}
}

// parityDoc is the parity table appended to docs/tools.md: each tool of
// @sentry/mcp-server 0.39.0, how lookout offers it, how the reference does.
func parityDoc(t *testing.T) string {
	t.Helper()
	anchor := loadAnchor(t)
	full := Catalog(Options{Permissions: AllPermissions})
	names := make([]string, 0, len(anchor))
	for n := range anchor {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("\n## Parity with @sentry/mcp-server 0.39.0\n\n")
	b.WriteString("Every tool of the reference, with the same name and parameters (checked by `TestCompatibleWithSentryMCPServer`;\n")
	b.WriteString("`TestEveryReferenceToolIsReachable` calls each through `execute_sentry_tool`). *Listed* tools are in\n")
	b.WriteString("`tools/list`; the others are found with `search_sentry_tools` and run with `execute_sentry_tool`, in both.\n\n")
	b.WriteString("| tool | lookout | reference | notes |\n| --- | --- | --- | --- |\n")
	for _, name := range names {
		a := anchor[name]
		tool, ok := Find(full, name)
		ours := "missing"
		if ok {
			ours = "through the wrappers"
			if tool.Listed {
				ours = "listed"
			}
			ours += ", " + SkillOf(tool.Permission)
		}
		ref := "through the wrappers"
		if slices.Contains(referenceListed, name) {
			ref = "listed"
		}
		var notes []string
		if alias, ok := referenceAliases[name]; ok {
			notes = append(notes, "deprecated alias of `"+alias+"`")
		}
		if ok && tool.Experimental {
			notes = append(notes, "the reference hides it under `--experimental`; lookout always offers it")
		}
		if ok && !slices.Equal(sorted(tool.Scopes), sorted(a.RequiredScopes)) && len(a.RequiredScopes) > 0 {
			notes = append(notes, fmt.Sprintf("scopes: lookout `%s`, reference `%s`",
				strings.Join(tool.Scopes, " "), strings.Join(a.RequiredScopes, " ")))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, ours, ref, strings.Join(notes, "; "))
	}
	return b.String()
}
