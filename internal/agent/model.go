package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/tools"
)

// Model is a chat model that can call tools. It keeps no state: each call
// gets the whole conversation so far, in the provider-neutral form below,
// and the provider adapter translates it to its wire format.
type Model interface {
	Complete(ctx context.Context, req ModelRequest) (ModelResponse, error)
}

// ModelRequest is the conversation of one turn so far.
type ModelRequest struct {
	System   string
	Tools    []ToolSpec
	Messages []ModelMessage
}

// ToolSpec is a catalog tool as a model sees it.
type ToolSpec struct {
	Name        string
	Description string
	Schema      map[string]any // JSON Schema of the arguments (an object)
}

// ModelMessage is one message of the conversation.
type ModelMessage struct {
	Role    string       // RoleUser, RoleAssistant or RoleTool
	Text    string       // user or assistant text
	Calls   []ToolCall   // assistant: the tools it asked for
	Results []ToolResult // tool: one result per call of the previous assistant message
}

// RoleTool marks a ModelMessage carrying tool results.
const RoleTool = "tool"

// ToolCall is a tool call the model asked for.
type ToolCall struct {
	ID   string // the provider's id, echoed in the result
	Name string
	Args json.RawMessage // a JSON object
}

// ToolResult answers one ToolCall.
type ToolResult struct {
	CallID  string
	Name    string
	Text    string
	IsError bool
}

// ModelResponse is the model's next step: tool calls to run, or (with no
// calls) the final answer.
type ModelResponse struct {
	Text  string
	Calls []ToolCall
}

// systemPrompt tells the model who it is and how to behave. It holds
// nothing secret: no token, no principal, no configuration.
const systemPrompt = `You are lookout, an assistant in Slack that investigates Sentry (issues, events, stack traces, traces, releases) for the person asking.

- You act with that person's own Sentry access through the tools. You see only what their Sentry account can see; never invent data a tool did not return.
- When the organization or project is unclear, find out with find_organizations or find_projects. If more than one could fit, ask the user which one instead of guessing, and never mix up data of different organizations.
- Issue short ids look like WEB-1A; Sentry issue URLs can be passed whole as issueUrl. Searches use Sentry search syntax (is:unresolved level:error firstSeen:-24h ...), not natural language.
- If a tool reports an error, tell the user plainly what went wrong and what they can do.
- Keep answers short: a few sentences or a short list, with issue ids and their links. Use plain markdown (bold, lists, inline code, links); no headings, no big tables.
- You never see credentials. If asked for a token or secret, say that lookout keeps them out of reach.`

// defaultsPrompt tells the model the user's pinned organization and
// project, if any: slugs the user chose, nothing secret.
func defaultsPrompt(org, project string) string {
	switch {
	case org == "":
		return ""
	case project == "":
		return "\n- The user's default organization is " + org + ": use it when the question names no organization."
	}
	return "\n- The user's default organization is " + org + " and project " + project +
		": use them when the question names no organization."
}

// toolSpecs describes the catalog for the model.
func toolSpecs(catalog []tools.Tool) []ToolSpec {
	specs := make([]ToolSpec, 0, len(catalog))
	for _, t := range catalog {
		var schema map[string]any
		b, err := json.Marshal(t.InputSchema())
		if err == nil {
			err = json.Unmarshal(b, &schema)
		}
		if err != nil || schema == nil {
			schema = map[string]any{}
		}
		schema["type"] = "object"
		if _, ok := schema["properties"]; !ok {
			schema["properties"] = map[string]any{}
		}
		specs = append(specs, ToolSpec{Name: t.Name, Description: t.Description, Schema: schema})
	}
	return specs
}

// History bounds: the thread gives context, the question is what matters.
const (
	maxHistoryMessages = 20
	maxHistoryChars    = 4000
)

// runModel is model mode: ask the model, run the tools it asks for, give
// it their results, until it answers. At most MaxSteps tool calls; a tool
// error that needs consent ends the turn with Reply.Auth, any other goes
// back to the model as an explained error result.
func (a *Agent) runModel(ctx context.Context, run *toolRunner, t Turn) (Reply, error) {
	req := ModelRequest{System: systemPrompt + defaultsPrompt(t.Org, t.Project), Tools: toolSpecs(a.catalog)}
	history := t.History
	if len(history) > maxHistoryMessages {
		history = history[len(history)-maxHistoryMessages:]
	}
	for _, m := range history {
		if (m.Role == RoleUser || m.Role == RoleAssistant) && strings.TrimSpace(m.Text) != "" {
			req.Messages = append(req.Messages, ModelMessage{Role: m.Role, Text: bound(m.Text, maxHistoryChars)})
		}
	}
	req.Messages = append(req.Messages, ModelMessage{Role: RoleUser, Text: t.Text})

	for {
		resp, err := a.opts.Model.Complete(ctx, req)
		if err != nil {
			return Reply{}, fmt.Errorf("%w: %w", ErrModel, err)
		}
		if len(resp.Calls) == 0 {
			if strings.TrimSpace(resp.Text) == "" {
				return Reply{Text: "I have no answer to that. Try rephrasing, or name the organization and project."}, nil
			}
			return Reply{Text: resp.Text}, nil
		}
		req.Messages = append(req.Messages, ModelMessage{Role: RoleAssistant, Text: resp.Text, Calls: resp.Calls})
		results := make([]ToolResult, 0, len(resp.Calls))
		for _, call := range resp.Calls {
			if run.calls >= a.opts.MaxSteps {
				a.opts.Logger.Warn("agent: turn stopped at the step limit", "principal", run.principal, "max_steps", a.opts.MaxSteps)
				return Reply{Text: fmt.Sprintf("I stopped after %d Sentry lookups without reaching an answer. "+
					"Try a narrower question: name the organization and project, or the issue id.", a.opts.MaxSteps)}, nil
			}
			out, err := run.call(ctx, call.Name, call.Args)
			if err != nil {
				if ctx.Err() != nil || ended(err) {
					return Reply{}, err
				}
				if auth := authNeeded(err); auth != nil {
					return Reply{Auth: auth}, nil
				}
				results = append(results, ToolResult{CallID: call.ID, Name: call.Name, Text: slackGuide.Explain(err), IsError: true})
				continue
			}
			results = append(results, ToolResult{CallID: call.ID, Name: call.Name, Text: truncateForModel(out)})
		}
		req.Messages = append(req.Messages, ModelMessage{Role: RoleTool, Results: results})
	}
}
