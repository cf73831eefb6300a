package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetAgentConversationDetails(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"get_agent_conversation_details", "get_ai_conversation_details"} {
		t.Run(tool, func(t *testing.T) {
			runToolCase(t, toolCase{
				tool: tool,
				args: `{"organizationSlug":"acme","conversationId":"` + sentrytest.ConversationID + `"}`,
				want: []string{`# Conversation "Checkout worker timeouts" (` + "`conv-checkout-triage`) in **acme**",
					"- 4 spans · 2 model calls · 1 tool calls · 1000 tokens", "- Projects: api · Traces: aaaaaaaa1111bbbb2222cccc3333dddd",
					"- +0 ms **user oncall@acme.example**: What failed in checkout?",
					"**assistant** (triage-agent, gpt-5-mini-2026-05-01, 420 tokens, 1.5 s): Let me search the errors.",
					"tool `search_events` (internal_error, ", `args: ` + "`{\"query\":\"level:error transaction:\\\"POST /api/checkout/pay\\\"\"}`",
					"**assistant** (triage-agent, gpt-5-mini-2026-05-01, 580 tokens, 1.0 s): The checkout worker is timing out",
					"System instructions: Respond with concise diagnostics.", "| +1.8 s | http.client | GET https://sentry.io/api/0/ | ok |"},
				scope:    "event:read",
				noAccess: `{"organizationSlug":"globex","conversationId":"` + sentrytest.GlobexConversationID + `"}`,
				notFound: `{"organizationSlug":"acme","conversationId":"conv-unknown"}`,
				badInput: []string{
					`{"organizationSlug":"acme"}`,
					`{"conversationId":"conv-1"}`,
					`{"organizationSlug":"acme","conversationId":"../x"}`,
					`{"organizationSlug":"acme","conversationId":"conv-1","project":"api"}`,
					`{"organizationSlug":"acme","conversationId":"conv-1","start":"2026-11-01T00:00:00Z"}`,
				},
			})
		})
	}
}

func TestGetAgentConversationDetailsWindowProjectAndPins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contains(t, "window", f.mustCall("get_agent_conversation_details", `{"organizationSlug":"acme","conversationId":"conv-checkout-triage","project":"4506000000000103","start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"}`),
		"Looked in: 2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z")
	if q := f.fake.Requests(); q[len(q)-1].Query.Get("project") != "4506000000000103" {
		t.Errorf("project not sent: %v", q[len(q)-1].Query)
	}
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_agent_conversation_details", `{"organizationSlug":"acme","conversationId":"conv-checkout-triage","project":"4506000000000101"}`)
	if msg := TokenGuide(f.fake.URL).Explain(err); err == nil || !strings.Contains(msg, "found nothing") {
		t.Errorf("the conversation looked up in web: %v", err)
	}
	if _, err := f.pinned("acme", "api", "get_agent_conversation_details", `{"conversationId":"conv-checkout-triage"}`); err != nil {
		t.Errorf("pinned to api: %v", err)
	}
	_, err = f.pinned("acme", "api", "get_agent_conversation_details", `{"conversationId":"conv-checkout-triage","project":"4506000000000101"}`)
	isInputError(t, "another project, pinned", err, `pinned to project "api"`)
	if _, err := f.pinned("acme", "web", "get_agent_conversation_details", `{"conversationId":"conv-checkout-triage"}`); err == nil {
		t.Error("api's conversation read on a connection pinned to web")
	}
	out := f.mustCall("get_agent_conversation_details", fmt.Sprintf(`{"organizationSlug":"globex","conversationId":%q,"regionUrl":%q}`, sentrytest.GlobexConversationID, f.fake.RegionURL("de")))
	contains(t, "globex", out, "**user**: Where is my order?", "Your order ships tomorrow.")
}

// Messages come in several shapes: a JSON list of role/content messages
// (content may be a list of parts), an object holding messages, plain text.
func TestLastMessage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ raw, role, want string }{
		{`[{"role":"system","content":"be brief"},{"role":"user","content":"first"},{"role":"assistant","content":"a"},{"role":"user","content":"second"}]`, "user", "second"},
		{`[{"role":"user","content":[{"type":"text","text":"part one"},{"type":"text","text":"part two"}]}]`, "user", "part one\npart two"},
		{`{"messages":[{"role":"assistant","content":"inside"}]}`, "assistant", "inside"},
		{`[{"role":"tool","content":"only a tool"}]`, "user", "only a tool"},
		{`plain words`, "user", "plain words"},
		{`[Filtered]`, "user", "[Filtered]"},
		{``, "user", ""},
	} {
		if got := lastMessage(c.raw, c.role); got != c.want {
			t.Errorf("lastMessage(%s, %s) = %q, want %q", c.raw, c.role, got, c.want)
		}
	}
}
