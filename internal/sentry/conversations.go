package sentry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Agent conversations are the spans sharing one gen_ai.conversation.id: the
// model calls and tool calls of an AI agent's session, as the Sentry SDKs
// record them.

// ConversationSummary is one conversation of a conversation search.
type ConversationSummary struct {
	ConversationID string    `json:"conversationId"`
	Title          string    `json:"title"`
	Flow           []string  `json:"flow"` // agent names in order
	Errors         FlexInt   `json:"errors"`
	LLMCalls       FlexInt   `json:"llmCalls"`
	ToolCalls      FlexInt   `json:"toolCalls"`
	ToolErrors     FlexInt   `json:"toolErrors"`
	ToolNames      []string  `json:"toolNames"`
	TotalTokens    FlexInt   `json:"totalTokens"`
	TotalCost      FlexFloat `json:"totalCost"`
	StartTimestamp FlexInt   `json:"startTimestamp"` // Unix milliseconds
	EndTimestamp   FlexInt   `json:"endTimestamp"`
	TraceCount     FlexInt   `json:"traceCount"`
	TraceIDs       []string  `json:"traceIds"`
	FirstInput     TextValue `json:"firstInput"`
	LastOutput     TextValue `json:"lastOutput"`
	User           *struct {
		Email    string `json:"email"`
		Username string `json:"username"`
	} `json:"user"`
}

// Conversation is one conversation's spans, as fetched.
type Conversation struct {
	ConversationID string
	Title          string
	Spans          []ConversationSpan
	// Truncated: more spans exist than were fetched.
	Truncated bool
}

// ConversationSpan is one span of a conversation. Message fields are JSON
// text as the SDK recorded them.
type ConversationSpan struct {
	SpanID             string     `json:"span_id"`
	ParentSpan         string     `json:"parent_span"`
	Trace              string     `json:"trace"`
	Project            string     `json:"project"`
	ProjectID          FlexString `json:"project.id"`
	StartTS            FlexFloat  `json:"precise.start_ts"` // Unix seconds
	FinishTS           FlexFloat  `json:"precise.finish_ts"`
	Name               string     `json:"span.name"`
	Op                 string     `json:"span.op"`
	Description        string     `json:"span.description"`
	Status             string     `json:"span.status"`
	Transaction        string     `json:"transaction"`
	OperationType      string     `json:"gen_ai.operation.type"` // ai_client, tool, agent, handoff
	AgentName          string     `json:"gen_ai.agent.name"`
	RequestModel       string     `json:"gen_ai.request.model"`
	ResponseModel      string     `json:"gen_ai.response.model"`
	TotalTokens        FlexInt    `json:"gen_ai.usage.total_tokens"`
	SystemInstructions TextValue  `json:"gen_ai.system_instructions"`
	InputMessages      TextValue  `json:"gen_ai.input.messages"`
	RequestMessages    TextValue  `json:"gen_ai.request.messages"`
	OutputMessages     TextValue  `json:"gen_ai.output.messages"`
	ResponseText       TextValue  `json:"gen_ai.response.text"`
	ResponseObject     TextValue  `json:"gen_ai.response.object"`
	ToolName           string     `json:"gen_ai.tool.name"`
	ToolArguments      TextValue  `json:"gen_ai.tool.call.arguments"`
	ToolInput          TextValue  `json:"gen_ai.tool.input"`
	ToolResult         TextValue  `json:"gen_ai.tool.call.result"`
	UserEmail          string     `json:"user.email"`
}

// Operation is the span's GenAI operation: ai_client, tool, agent or
// handoff, from gen_ai.operation.type or else the span name; "" for a span
// that is not a GenAI span.
func (s ConversationSpan) Operation() string {
	if s.OperationType != "" {
		return s.OperationType
	}
	switch {
	case !strings.HasPrefix(s.Name, "gen_ai."):
		return ""
	case s.Name == "gen_ai.execute_tool":
		return "tool"
	case s.Name == "gen_ai.invoke_agent", s.Name == "gen_ai.create_agent":
		return "agent"
	case s.Name == "gen_ai.handoff":
		return "handoff"
	}
	return "ai_client"
}

// ConversationQuery selects where to look for a conversation, or which
// conversations to list.
type ConversationQuery struct {
	Query        string   // search filter (lists only)
	Projects     []string // numeric ids, or "-1" for all
	Environments []string
	StatsPeriod  string // default "30d" unless Start and End are set
	Start, End   string // RFC 3339
	Limit        int    // lists only
	Cursor       string // lists only
}

func (cq ConversationQuery) values() (url.Values, error) {
	q := url.Values{}
	period := cq.StatsPeriod
	if cq.Start == "" && cq.End == "" && period == "" {
		period = "30d"
	}
	if err := setWindow(q, period, cq.Start, cq.End); err != nil {
		return nil, err
	}
	for _, p := range cq.Projects {
		if _, err := strconv.ParseInt(p, 10, 64); err != nil {
			return nil, errProjectID(p)
		}
		q.Add("project", p)
	}
	for _, e := range cq.Environments {
		q.Add("environment", e)
	}
	return q, nil
}

// ListAgentConversations searches an organization's agent conversations.
func (c *Client) ListAgentConversations(ctx context.Context, org string, cq ConversationQuery) ([]ConversationSummary, Page, error) {
	q, err := cq.values()
	if err != nil {
		return nil, Page{}, err
	}
	if err := setPage(q, "per_page", cq.Limit, cq.Cursor); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "query", cq.Query)
	var cs []ConversationSummary
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "agents", "conversations"}, query: q, scope: "event:read"}, &cs)
	if err != nil {
		return nil, Page{}, err
	}
	return cs, page, nil
}

// Conversation fetch bounds: pages of 1000 spans (Sentry's maximum), at
// most conversationPages of them.
const (
	conversationPageSize = 1000
	conversationPages    = 5
)

// GetAgentConversation fetches a conversation's spans, following pages up
// to a bound (Conversation.Truncated says when it stopped early).
func (c *Client) GetAgentConversation(ctx context.Context, org, id string, cq ConversationQuery) (*Conversation, error) {
	if err := checkArgs("organization", org, "conversation id", id); err != nil {
		return nil, err
	}
	if len(cq.Projects) == 0 {
		cq.Projects = []string{"-1"}
	}
	q, err := cq.values()
	if err != nil {
		return nil, err
	}
	q.Set("per_page", strconv.Itoa(conversationPageSize))
	conv := &Conversation{ConversationID: id}
	for range conversationPages {
		var v struct {
			Title string             `json:"title"`
			Spans []ConversationSpan `json:"spans"`
		}
		page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "agents", "conversations", id}, query: q, scope: "event:read"}, &v)
		if err != nil {
			return nil, err
		}
		conv.Title = orDefault(v.Title, conv.Title)
		conv.Spans = append(conv.Spans, v.Spans...)
		conv.Truncated = page.HasNext()
		if !page.HasNext() {
			break
		}
		q.Set("cursor", page.NextCursor)
	}
	return conv, nil
}

func errProjectID(p string) error {
	return fmt.Errorf("%w: project %s must be a numeric id or -1", ErrInvalidArgument, quoted(p))
}

// FlexFloat decodes a JSON number or numeric string; null and anything else
// decode to 0.
type FlexFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexFloat) UnmarshalJSON(b []byte) error {
	*f = 0
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		*f = FlexFloat(v)
	}
	return nil
}

// TextValue decodes a JSON string to its text, and any other non-null
// value (an SDK that sent messages as an array) to its compact JSON.
type TextValue string

// UnmarshalJSON implements json.Unmarshaler.
func (t *TextValue) UnmarshalJSON(b []byte) error {
	*t = ""
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = TextValue(s)
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) == nil {
		*t = TextValue(buf.String())
	}
	return nil
}
