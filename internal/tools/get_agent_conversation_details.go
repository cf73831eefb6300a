package tools

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getAgentConversationDetailsInput struct {
	OrganizationSlug string `json:"organizationSlug" jsonschema:"The organization's slug."`
	ConversationID   string `json:"conversationId" jsonschema:"The conversation id (gen_ai.conversation.id); search_agent_conversations lists them."`
	Project          string `json:"project,omitempty" jsonschema:"The numeric id of the project to look in; default all projects."`
	Start            string `json:"start,omitempty" jsonschema:"Start of the window to look in (ISO 8601); needs end. Default: the last 30 days."`
	End              string `json:"end,omitempty" jsonschema:"End of the window; needs start."`
	RegionURL        string `json:"regionUrl,omitempty" jsonschema:"The region URL of the organization, e.g. https://us.sentry.io. Usually omitted."`
}

// Bounds of a conversation answer.
const (
	conversationEventsShown = 40
	conversationTextShown   = 500
	conversationSpansShown  = 25
)

func getAgentConversationDetailsTool(name string, alias bool) Tool {
	desc := `Show one AI agent conversation as a transcript: user and assistant messages, tool calls with their arguments and status, models, tokens, and the traces and spans behind them.

Use it when the user asks what an AI agent did or why it went wrong in a conversation; search_agent_conversations finds conversation ids. Conversations are not issues: do not use search_issues for them.
Example: get_agent_conversation_details(organizationSlug='acme', conversationId='conv-checkout-triage').`
	if alias {
		desc = "Deprecated alias of get_agent_conversation_details; use that name.\n\n" + desc
	}
	return newTool(spec{
		Name:        name,
		Title:       "Get an AI agent conversation",
		Scopes:      []string{"event:read", "project:read"},
		Description: desc,
		Schema: func(s *schemaT) {
			withSlugPattern(s, "organizationSlug")
			s.Properties["conversationId"].Pattern = convIDRe().String()
			s.Properties["project"].Pattern = `^[0-9]+$`
		},
	}, func(ctx context.Context, env *Env, in getAgentConversationDetailsInput) (string, error) {
		from, to, err := timeWindow(name, "", in.Start, in.End)
		if err != nil {
			return "", err
		}
		if err := useRegionArg(env, in.OrganizationSlug, regionParam{&in.RegionURL}); err != nil {
			return "", err
		}
		return conversationDetails(ctx, env, name, in.OrganizationSlug, in.ConversationID, in.Project, from, to)
	})
}

// conversationDetails renders a conversation as get_agent_conversation_details
// and get_sentry_resource show it.
func conversationDetails(ctx context.Context, env *Env, tool, org, id, project string, from, to time.Time) (string, error) {
	if env.Project != "" {
		pinned, err := projectIDOf(ctx, env, org, env.Project)
		if err != nil {
			return "", err
		}
		if project != "" && project != pinned {
			return "", &InputError{Tool: tool, Problem: fmt.Sprintf("this connection is pinned to project %q (id %s); project=%s is outside it", env.Project, pinned, project)}
		}
		project = pinned
	}
	cq := sentry.ConversationQuery{}
	window := "the last 30 days"
	if !from.IsZero() {
		cq.Start, cq.End = from.Format(time.RFC3339), to.Format(time.RFC3339)
		window = cq.Start + " to " + cq.End
	}
	if project != "" {
		cq.Projects = []string{project}
	}
	conv, err := env.Sentry.GetAgentConversation(ctx, org, id, cq)
	if err != nil {
		return "", err
	}
	if len(conv.Spans) == 0 {
		return "", notFound("conversation %s in organization %s (%s)", id, org, window)
	}
	spans := slices.Clone(conv.Spans)
	slices.SortStableFunc(spans, func(a, b sentry.ConversationSpan) int {
		return cmp.Or(cmp.Compare(a.StartTS, b.StartTS), strings.Compare(a.SpanID, b.SpanID))
	})
	var traces, projects []string
	var tokens, aiCalls, toolCalls int64
	start, end := float64(spans[0].StartTS), 0.0
	for _, s := range spans {
		traces, projects = appendNew(traces, s.Trace), appendNew(projects, s.Project)
		tokens += int64(s.TotalTokens)
		end = max(end, float64(s.FinishTS))
		switch s.Operation() {
		case "ai_client":
			aiCalls++
		case "tool":
			toolCalls++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Conversation %q (`%s`) in **%s**\n\n", orDefault(conv.Title, "untitled"), id, org)
	fmt.Fprintf(&b, "- Link: %s\n", orgWebURL(env, org, "explore", "conversations", id))
	fmt.Fprintf(&b, "- When: %s, %s · Looked in: %s\n", secTime(start), durationText(time.Duration((end-start)*float64(time.Second))), window)
	fmt.Fprintf(&b, "- %d spans · %d model calls · %d tool calls · %d tokens\n", len(spans), aiCalls, toolCalls, tokens)
	fmt.Fprintf(&b, "- Projects: %s · Traces: %s\n", strings.Join(projects, ", "), strings.Join(traces, ", "))
	if conv.Truncated {
		b.WriteString("- Only the first spans were fetched: the conversation is longer.\n")
	}
	b.WriteString("\n## Timeline\n\n")
	shown := 0
	system := ""
	for _, s := range spans {
		for _, line := range conversationLines(s, start, &system) {
			if shown == conversationEventsShown {
				break
			}
			b.WriteString(line)
			shown++
		}
	}
	if shown == 0 {
		b.WriteString("No messages or tool calls recorded (the spans carry no gen_ai messages).\n")
	} else if shown == conversationEventsShown {
		fmt.Fprintf(&b, "- … the timeline goes on; open the conversation in Sentry.\n")
	}
	if system != "" {
		fmt.Fprintf(&b, "\nSystem instructions: %s\n", shorten(oneLine(system), conversationTextShown))
	}
	fmt.Fprintf(&b, "\n## Spans\n\n| start | op | description | status | duration | span | trace |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for i, s := range spans {
		if i == conversationSpansShown {
			fmt.Fprintf(&b, "\n_…and %d more spans._\n", len(spans)-i)
			break
		}
		fmt.Fprintf(&b, "| +%s | %s | %s | %s | %s | `%s` | `%s` |\n", durationText(time.Duration((float64(s.StartTS)-start)*float64(time.Second))),
			cell(orDefault(s.Op, s.Name)), cell(shorten(orDefault(s.Description, s.ToolName), 60)), cell(orDefault(s.Status, "-")),
			durationText(time.Duration(float64(s.FinishTS-s.StartTS)*float64(time.Second))), s.SpanID, s.Trace)
	}
	fmt.Fprintf(&b, "\nA span's trace: get_span_details(organizationSlug='%s', traceId='<trace>', spanId='<span>').\n", org)
	return b.String(), nil
}

// conversationLines are a span's timeline entries: a tool call, or the
// user message a model call answered and the answer.
func conversationLines(s sentry.ConversationSpan, start float64, system *string) []string {
	at := func(ts sentry.FlexFloat) string {
		return "+" + durationText(time.Duration((float64(ts)-start)*float64(time.Second)))
	}
	dur := durationText(time.Duration(float64(s.FinishTS-s.StartTS) * float64(time.Second)))
	switch s.Operation() {
	case "tool":
		if s.ToolName == "" {
			return nil
		}
		line := fmt.Sprintf("- %s tool `%s` (%s, %s)", at(s.StartTS), s.ToolName, orDefault(s.Status, "?"), dur)
		if args := orDefault(string(s.ToolArguments), string(s.ToolInput)); args != "" {
			line += " args: `" + shorten(oneLine(args), 300) + "`"
		}
		if r := string(s.ToolResult); r != "" {
			line += " → " + shorten(oneLine(r), 300)
		}
		return []string{line + "\n"}
	case "ai_client":
	default:
		return nil
	}
	if *system == "" {
		*system = string(s.SystemInstructions)
	}
	var out []string
	if user := lastMessage(orDefault(string(s.InputMessages), string(s.RequestMessages)), "user"); user != "" {
		who := "user"
		if s.UserEmail != "" {
			who += " " + s.UserEmail
		}
		out = append(out, fmt.Sprintf("- %s **%s**: %s\n", at(s.StartTS), who, shorten(oneLine(user), conversationTextShown)))
	}
	answer := lastMessage(string(s.OutputMessages), "assistant")
	if answer == "" {
		answer = orDefault(string(s.ResponseText), string(s.ResponseObject))
	}
	meta := []string{orDefault(s.ResponseModel, s.RequestModel)}
	if s.AgentName != "" {
		meta = append([]string{s.AgentName}, meta...)
	}
	if s.TotalTokens > 0 {
		meta = append(meta, fmt.Sprintf("%d tokens", s.TotalTokens))
	}
	meta = append(meta, dur)
	if s.Status != "" && s.Status != "ok" {
		meta = append(meta, s.Status)
	}
	info := strings.Join(slices.DeleteFunc(meta, func(m string) bool { return m == "" }), ", ")
	if answer != "" {
		out = append(out, fmt.Sprintf("- %s **assistant** (%s): %s\n", at(s.FinishTS), info, shorten(oneLine(answer), conversationTextShown)))
	} else {
		out = append(out, fmt.Sprintf("- %s model call (%s), no answer recorded\n", at(s.FinishTS), info))
	}
	return out
}

// lastMessage is the content of the last message of role in a gen_ai
// messages attribute (a JSON list of {role, content}, or plain text), or
// of the last message when none has that role. "[Filtered]" stays as is.
func lastMessage(raw, role string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "[Filtered]" {
		return raw
	}
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return raw
	}
	if m, ok := v.(map[string]any); ok && m["messages"] != nil {
		v = m["messages"]
	}
	list, ok := v.([]any)
	if !ok {
		return contentText(v)
	}
	for _, want := range []string{role, ""} {
		for i := len(list) - 1; i >= 0; i-- {
			m, _ := list[i].(map[string]any)
			if r, _ := m["role"].(string); want != "" && r != want {
				continue
			}
			if t := messageText(list[i]); t != "" {
				return t
			}
		}
	}
	return ""
}

// messageText is a message's text: its content, text or parts.
func messageText(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return contentText(v)
	}
	for _, k := range []string{"content", "text", "parts"} {
		if t := contentText(m[k]); t != "" {
			return t
		}
	}
	return ""
}

// contentText flattens a message content: a string, a list of parts with
// text, or anything else as JSON.
func contentText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		var parts []string
		for _, p := range x {
			if t := contentText(p); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, "\n")
	case map[string]any:
		for _, k := range []string{"text", "content", "message"} {
			if s, ok := x[k].(string); ok {
				return s
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func appendNew(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// secTime prints Unix seconds in UTC.
func secTime(s float64) string {
	if s <= 0 {
		return "unknown"
	}
	return time.Unix(0, int64(s*1e9)).UTC().Format(time.DateTime) + " UTC"
}
