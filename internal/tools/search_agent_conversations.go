package tools

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type searchAgentConversationsInput struct {
	OrganizationSlug string `json:"organizationSlug" jsonschema:"The organization's slug."`
	Query            string `json:"query,omitempty" jsonschema:"Search text or filter, e.g. checkout, or gen_ai.agent.name:triage-agent."`
	Project          any    `json:"project,omitempty" jsonschema:"A project (slug or numeric id, -1 for all) or a list of them."`
	Environment      any    `json:"environment,omitempty" jsonschema:"An environment or a list of them, e.g. production."`
	Period           string `json:"period,omitempty" jsonschema:"How far back: 30d by default, e.g. 24h, 7d."`
	Start            string `json:"start,omitempty" jsonschema:"Start of an absolute window (ISO 8601); needs end, replaces period."`
	End              string `json:"end,omitempty" jsonschema:"End of the absolute window."`
	Cursor           string `json:"cursor,omitempty" jsonschema:"The cursor a previous answer gave, for the next page."`
	Limit            int    `json:"limit,omitempty" jsonschema:"How many conversations, 1 to 100."`
	RegionURL        string `json:"regionUrl,omitempty" jsonschema:"The region URL of the organization, e.g. https://us.sentry.io. Usually omitted."`
}

// conversationPreview bounds the input and output previews.
const conversationPreview = 240

func searchAgentConversationsTool(name string, alias bool) Tool {
	desc := `Find AI agent conversations (spans sharing a gen_ai.conversation.id): title, when, duration, errors, model and tool calls, tokens, cost, agents, tools used, user, and the first input and last output.

Use it for questions about AI agents in production: which conversations failed, used a tool, cost the most. Then get_agent_conversation_details shows one. Conversations are not issues: do not use search_issues for them.
Examples: search_agent_conversations(organizationSlug='acme') or search_agent_conversations(organizationSlug='acme', query='checkout', project='api', period='7d').`
	if alias {
		desc = "Deprecated alias of search_agent_conversations; use that name.\n\n" + desc
	}
	return newTool(spec{
		Name:        name,
		Title:       "Search AI agent conversations",
		Scopes:      []string{"event:read", "project:read"},
		Description: desc,
		Schema: func(s *schemaT) {
			withSlugPattern(s, "organizationSlug")
			s.Properties["period"].Pattern = periodPattern
			setDefault(s, "period", `"30d"`)
			setDefault(s, "limit", "10")
			intRange(s, "limit", 1, 100, false)
			one := 1
			for _, p := range []string{"project", "environment"} {
				s.Properties[p] = &schemaT{
					Description: s.Properties[p].Description,
					Types:       []string{"string", "array"},
					MinLength:   &one, MinItems: &one,
					Items: &schemaT{Type: "string", MinLength: &one},
				}
			}
		},
	}, func(ctx context.Context, env *Env, in searchAgentConversationsInput) (string, error) {
		return searchAgentConversations(ctx, env, name, in)
	})
}

func searchAgentConversations(ctx context.Context, env *Env, tool string, in searchAgentConversationsInput) (string, error) {
	org := in.OrganizationSlug
	bad := func(format string, a ...any) (string, error) {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf(format, a...)}
	}
	from, to, err := timeWindow(tool, "", in.Start, in.End)
	if err != nil {
		return "", err
	}
	projects, err := eventsEnvironments(in.Project) // a string or a list of strings
	if err != nil {
		return bad("project must be a slug, a numeric id or a list of them")
	}
	envs, err := eventsEnvironments(in.Environment)
	if err != nil {
		return "", &InputError{Tool: tool, Problem: err.Error()}
	}
	for _, p := range projects {
		if !projectRef().MatchString(p) {
			return bad("project %q is not a project slug or id", shorten(p, 60))
		}
	}
	if err := useRegionArg(env, org, regionParam{&in.RegionURL}); err != nil {
		return "", err
	}
	if env.Project != "" {
		for _, p := range projects {
			if !strings.EqualFold(p, env.Project) {
				pinned, err := projectIDOf(ctx, env, org, env.Project)
				if err != nil {
					return "", err
				}
				if p != pinned {
					return bad("this connection is pinned to project %q; project=%s is outside it", env.Project, p)
				}
			}
		}
		projects = []string{env.Project}
	}
	var ids []string
	for _, p := range projects {
		id, err := projectIDOf(ctx, env, org, p)
		if err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	cq := sentry.ConversationQuery{Query: strings.TrimSpace(in.Query), Projects: ids, Environments: envs, Limit: in.Limit, Cursor: strings.TrimSpace(in.Cursor)}
	window := "the last " + orDefault(in.Period, "30d")
	if from.IsZero() {
		cq.StatsPeriod = orDefault(in.Period, "30d")
	} else {
		cq.Start, cq.End = from.Format(time.RFC3339), to.Format(time.RFC3339)
		window = cq.Start + " to " + cq.End
	}
	convs, page, err := env.Sentry.ListAgentConversations(ctx, org, cq)
	if err != nil {
		return "", err
	}
	search := url.Values{}
	if cq.Query != "" {
		search.Set("query", cq.Query)
	}
	for _, id := range ids {
		search.Add("project", id)
	}
	searchURL := orgWebURL(env, org, "explore", "conversations")
	if len(search) > 0 {
		searchURL += "?" + search.Encode()
	}
	var b strings.Builder
	filter := ""
	if cq.Query != "" {
		filter = fmt.Sprintf(" matching %q", cq.Query)
	}
	if len(convs) == 0 {
		return fmt.Sprintf("No agent conversation in **%s**%s in %s. Widen the period or drop filters; %s\n", org, filter, window, searchURL), nil
	}
	fmt.Fprintf(&b, "# Agent conversations in **%s**%s (%s)\n\n", org, filter, window)
	fmt.Fprintf(&b, "In Sentry: %s\n", searchURL)
	for _, c := range convs {
		fmt.Fprintf(&b, "\n## %s (`%s`)\n\n", orDefault(oneLine(c.Title), "untitled"), c.ConversationID)
		dur := time.Duration(int64(c.EndTimestamp)-int64(c.StartTimestamp)) * time.Millisecond
		fmt.Fprintf(&b, "- %s, %s · %d errors · %d model calls · %d tool calls (%d failed) · %d tokens · $%.4f\n", msTime(int64(c.StartTimestamp)),
			durationText(max(dur, 0)), c.Errors, c.LLMCalls, c.ToolCalls, c.ToolErrors, c.TotalTokens, float64(c.TotalCost))
		var who []string
		if len(c.Flow) > 0 {
			who = append(who, "agents "+strings.Join(c.Flow, " → "))
		}
		if len(c.ToolNames) > 0 {
			who = append(who, "tools "+strings.Join(c.ToolNames, ", "))
		}
		if c.User != nil && (c.User.Email != "" || c.User.Username != "") {
			who = append(who, "user "+orDefault(c.User.Email, c.User.Username))
		}
		if len(c.TraceIDs) > 0 {
			who = append(who, fmt.Sprintf("traces %s", strings.Join(c.TraceIDs[:min(len(c.TraceIDs), 3)], ", ")))
			if n := int(c.TraceCount) - min(len(c.TraceIDs), 3); n > 0 {
				who[len(who)-1] += fmt.Sprintf(" (+%d)", n)
			}
		}
		if len(who) > 0 {
			fmt.Fprintf(&b, "- %s\n", strings.Join(who, " · "))
		}
		if in := oneLine(string(c.FirstInput)); in != "" {
			fmt.Fprintf(&b, "- First input: %s\n", shorten(in, conversationPreview))
		}
		if out := oneLine(string(c.LastOutput)); out != "" {
			fmt.Fprintf(&b, "- Last output: %s\n", shorten(out, conversationPreview))
		}
	}
	if page.HasNext() {
		fmt.Fprintf(&b, "\nMore conversations: call again with cursor='%s'.\n", page.NextCursor)
	}
	fmt.Fprintf(&b, "\nOne conversation's transcript: get_agent_conversation_details(organizationSlug='%s', conversationId='<id>').\n", org)
	return b.String(), nil
}
