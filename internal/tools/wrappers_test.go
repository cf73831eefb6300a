package tools

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// execute_sentry_tool passes the standard battery through to the tool it
// runs: Sentry's answers and refusals come back as that tool's.
func TestExecuteSentryTool(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "execute_sentry_tool",
		args:     `{"name":"get_issue_tag_values","arguments":{"organizationSlug":"acme","issueId":"WEB-1A","tagKey":"browser"}}`,
		want:     []string{"browser", "Chrome"},
		scope:    "event:read",
		notFound: `{"name":"get_issue_details","arguments":{"organizationSlug":"acme","issueId":"WEB-ZZZZ"}}`,
		badInput: []string{
			`{}`,
			`{"name":""}`,
			`{"name":"no_such_tool"}`,
			`{"name":"execute_sentry_tool","arguments":{"name":"whoami"}}`,
			`{"name":"get_issue_details","arguments":{"organizationSlug":"acme","issueId":"not an id!!"}}`,
			`{"name":"search_issues","arguments":{"organizationSlug":"acme","limit":1000}}`,
			`{"name":"whoami","arguments":[1]}`,
		},
	})
}

type searchResult struct {
	Query   string
	Results []struct {
		Name        string
		Description string
		InputSchema map[string]any
		Annotations map[string]bool
	}
	Unavailable []struct{ Name, Reason string }
}

func searchFor(t *testing.T, opts Options, args string) searchResult {
	t.Helper()
	tl, ok := Find(Catalog(opts), "search_sentry_tools")
	if !ok {
		t.Fatal("no search_sentry_tools")
	}
	out, err := tl.Call(context.Background(), &Env{}, json.RawMessage(args))
	if err != nil {
		t.Fatal(err)
	}
	var r searchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return r
}

func names(r searchResult) []string {
	var n []string
	for _, x := range r.Results {
		n = append(n, x.Name)
	}
	return n
}

// search_sentry_tools ranks as the reference does and returns what
// execute_sentry_tool needs: name, description, schema (pins removed),
// annotations. It makes no request.
func TestSearchSentryTools(t *testing.T) {
	r := searchFor(t, Options{}, `{"query":"release deploys"}`)
	if len(r.Results) == 0 || r.Results[0].Name != "get_release_details" {
		t.Fatalf("release deploys: %v", names(r))
	}
	first := r.Results[0]
	if first.InputSchema["properties"] == nil || first.Annotations["readOnlyHint"] != true || first.Description == "" {
		t.Errorf("result lacks schema, annotations or description: %+v", first)
	}
	if got := names(searchFor(t, Options{}, `{"query":"whoami"}`)); len(got) == 0 || got[0] != "whoami" {
		t.Errorf("exact name first: %v", got)
	}
	if got := searchFor(t, Options{}, `{"query":"issue","limit":3}`); len(got.Results) != 3 {
		t.Errorf("limit 3: %v", names(got))
	}
	if got := searchFor(t, Options{}, `{"query":"zzzz qqqq"}`); len(got.Results) != 0 || got.Query != "zzzz qqqq" {
		t.Errorf("nothing matches: %+v", got)
	}
	for _, n := range names(searchFor(t, Options{}, `{"query":"sentry tool","limit":20}`)) {
		if isWrapper(n) {
			t.Errorf("the wrappers list themselves: %s", n)
		}
	}
	// Pinned parameters are gone from the returned schemas.
	pinned := searchFor(t, Options{Org: "acme"}, `{"query":"find_teams"}`)
	props, _ := pinned.Results[0].InputSchema["properties"].(map[string]any)
	if _, ok := props["organizationSlug"]; ok {
		t.Error("pinned organizationSlug still in the schema")
	}
	// A tool the session's permissions hide is named with the way to get it.
	hidden := searchFor(t, Options{HowToEnable: func(p Permission) string { return "Restart with --skills=inspect," + SkillOf(p) + "." }},
		`{"query":"update issue status"}`)
	if slices.Contains(names(hidden), "update_issue") {
		t.Error("a hidden tool is offered")
	}
	if len(hidden.Unavailable) == 0 || hidden.Unavailable[0].Name != "update_issue" ||
		!strings.Contains(hidden.Unavailable[0].Reason, "--skills=inspect,triage") {
		t.Errorf("hidden update_issue not explained: %+v", hidden.Unavailable)
	}
	// Bad input in plain words.
	tl, _ := Find(Catalog(Options{}), "search_sentry_tools")
	for _, args := range []string{`{}`, `{"query":""}`, `{"query":"x","limit":21}`, `{"query":"x","limit":0}`} {
		var ie *InputError
		if _, err := tl.Call(context.Background(), &Env{}, json.RawMessage(args)); !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want *InputError", args, err)
		}
	}
}

func TestScoreToolFollowsTheReference(t *testing.T) {
	for _, c := range []struct {
		name, desc, query string
		want              int
	}{
		{"find_dsns", "List a project's DSNs.", "find_dsns", 20 + 12},
		{"find_dsns", "List a project's DSNs.", "dsn", 20 + 8 + 2},
		{"find_dsns", "List a project's DSNs.", "project dsns", 2 + 8 + 2}, // "project's dsns" is not "project dsns"
		{"whoami", "Who you are.", "teams", 0},
	} {
		if got := scoreTool(c.name, c.desc, c.query); got != c.want {
			t.Errorf("scoreTool(%s, %q) = %d, want %d", c.name, c.query, got, c.want)
		}
	}
}

// A tool the permissions hide answers with what is missing and how to get
// it, through execute_sentry_tool as through Unavailable; a typo gets the
// nearest name.
func TestExecuteSentryToolExplainsWhatIsNotAvailable(t *testing.T) {
	opts := Options{HowToEnable: func(p Permission) string { return "Restart lookout mcp with --skills=inspect," + SkillOf(p) + "." }}
	tl, _ := Find(Catalog(opts), "execute_sentry_tool")
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	for args, want := range map[string]string{
		`{"name":"update_issue","arguments":{"organizationSlug":"acme","issueId":"WEB-1A","status":"resolved"}}`: "update_issue is not enabled in this session: it needs the triage permission (skill triage)",
		`{"name":"get_isue_details"}`: `Tool "get_isue_details" is not available in this session. Use search_sentry_tools to find an executable tool. Did you mean get_issue_details?`,
	} {
		_, err := tl.Call(context.Background(), env, json.RawMessage(args))
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Problem, want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
	if why, ok := Unavailable(opts, "update_issue"); !ok || !strings.Contains(why, "--skills=inspect,triage") {
		t.Errorf("Unavailable(update_issue) = %q, %t", why, ok)
	}
	if why, ok := Unavailable(Options{Org: "acme"}, "find_organizations"); !ok || !strings.Contains(why, "pinned to organization") {
		t.Errorf("Unavailable(find_organizations) pinned = %q, %t", why, ok)
	}
	if _, ok := Unavailable(opts, "search_issues"); ok {
		t.Error("an available tool reported unavailable")
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("refused calls reached Sentry: %d", n)
	}
}

// execute_sentry_tool keeps the session's pins: they fill in the
// arguments and another organization is refused.
func TestExecuteSentryToolKeepsPins(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org = "acme"
	tl, _ := Find(Catalog(Options{Org: "acme"}), "execute_sentry_tool")
	out, err := tl.Call(context.Background(), env, json.RawMessage(`{"name":"find_teams","arguments":{}}`))
	if err != nil || !strings.Contains(out, "frontend") {
		t.Fatalf("pinned find_teams: %v\n%s", err, out)
	}
	_, err = tl.Call(context.Background(), env, json.RawMessage(`{"name":"find_teams","arguments":{"organizationSlug":"globex"}}`))
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Problem, "pinned") {
		t.Errorf("globex through the wrapper: %v", err)
	}
}

// Listed is a property of the tool: the catalog lists a few directly and
// every available tool, listed or not, is reachable through the wrappers.
func TestListedToolsAndWrappersReachEverything(t *testing.T) {
	catalog := Catalog(Options{Permissions: AllPermissions})
	var listed []string
	for _, tl := range catalog {
		if tl.Listed {
			listed = append(listed, tl.Name)
		}
	}
	for _, want := range []string{"search_sentry_tools", "execute_sentry_tool", "find_organizations", "search_issues", "get_issue_details", "update_issue"} {
		if !slices.Contains(listed, want) {
			t.Errorf("%s not listed: %v", want, listed)
		}
	}
	for _, tl := range catalog {
		if isWrapper(tl.Name) {
			continue
		}
		got := names(searchFor(t, Options{Permissions: AllPermissions}, `{"query":"`+tl.Name+`"}`))
		if len(got) == 0 || got[0] != tl.Name {
			t.Errorf("search for %s finds %v", tl.Name, got)
		}
	}
}
