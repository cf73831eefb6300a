package tools

import (
	"fmt"
	"testing"
)

func TestSearchAgentConversations(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"search_agent_conversations", "search_ai_conversations"} {
		t.Run(tool, func(t *testing.T) {
			runToolCase(t, toolCase{
				tool: tool,
				args: `{"organizationSlug":"acme"}`,
				want: []string{"# Agent conversations in **acme** (the last 30d)", "/organizations/acme/explore/conversations/",
					"## Checkout worker timeouts (`conv-checkout-triage`)", "· 1 errors · 2 model calls · 1 tool calls (1 failed) · 1000 tokens · $0.0125",
					"- agents triage-agent · tools search_events · user oncall@acme.example · traces aaaaaaaa1111bbbb2222cccc3333dddd",
					"- First input: What failed in checkout?", "- Last output: The checkout worker is timing out"},
				scope:    "event:read",
				noAccess: `{"organizationSlug":"globex"}`,
				notFound: `{"organizationSlug":"nope"}`,
				badInput: []string{
					`{}`,
					`{"organizationSlug":"acme","limit":0}`,
					`{"organizationSlug":"acme","period":"forever"}`,
					`{"organizationSlug":"acme","project":[]}`,
					`{"organizationSlug":"acme","project":["a/b"]}`,
					`{"organizationSlug":"acme","project":7}`,
					`{"organizationSlug":"acme","environment":""}`,
					`{"organizationSlug":"acme","start":"2026-11-01T00:00:00Z"}`,
				},
			})
		})
	}
}

func TestSearchAgentConversationsFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := f.mustCall("search_agent_conversations", `{"organizationSlug":"acme","project":["api","-1"],"environment":"production","query":"checkout","limit":5}`)
	contains(t, "filtered", out, `matching "checkout"`, "?project=4506000000000103&project=-1&query=checkout", "conv-checkout-triage")
	q := f.fake.Requests()
	last := q[len(q)-1].Query
	if fmt.Sprint(last["project"]) != "[4506000000000103 -1]" || last.Get("environment") != "production" || last.Get("per_page") != "5" {
		t.Errorf("query sent: %v", last)
	}
	if out := f.mustCall("search_agent_conversations", `{"organizationSlug":"acme","query":"refund"}`); out[:len("No agent conversation")] != "No agent conversation" {
		t.Errorf("no match: %s", out)
	}
	out = f.mustCall("search_agent_conversations", `{"organizationSlug":"acme","start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"}`)
	contains(t, "absolute window", out, "(2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z)", "conv-checkout-triage")
	if _, err := f.pinned("acme", "api", "search_agent_conversations", `{"project":"api"}`); err != nil {
		t.Errorf("pinned to api, project api: %v", err)
	}
	_, err := f.pinned("acme", "api", "search_agent_conversations", `{"project":"web"}`)
	isInputError(t, "another project, pinned", err, `pinned to project "api"`)
	out, err = f.pinned("acme", "web", "search_agent_conversations", `{}`)
	if err != nil || out[:len("No agent conversation")] != "No agent conversation" {
		t.Errorf("pinned to web, api's conversations show: %v %s", err, out)
	}
}
