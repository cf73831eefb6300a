package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

// AnthropicConfig configures NewAnthropic.
type AnthropicConfig struct {
	// BaseURL of the Messages API (default https://api.anthropic.com).
	BaseURL string
	APIKey  string // ANTHROPIC_API_KEY
	Model   string // LOOKOUT_MODEL, e.g. "claude-sonnet-4-5"
	// MaxTokens bounds one answer (default 2048).
	MaxTokens int64
	// HTTPClient sends the requests (default: the SDK's).
	HTTPClient *http.Client
}

type anthropicModel struct {
	client    anthropic.Client
	model     string
	maxTokens int64
}

// NewAnthropic returns a Model speaking the Anthropic Messages API with
// tool use, through the official SDK. Credentials come from cfg only, not
// from the SDK's environment and profile lookup.
func NewAnthropic(cfg AnthropicConfig) Model {
	opts := []option.RequestOption{option.WithoutEnvironmentDefaults(), option.WithMaxRetries(2), option.WithAPIKey(cfg.APIKey)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 2048
	}
	return &anthropicModel{client: anthropic.NewClient(opts...), model: cfg.Model, maxTokens: cfg.MaxTokens}
}

func (m *anthropicModel) Complete(ctx context.Context, req ModelRequest) (ModelResponse, error) {
	params := anthropic.MessageNewParams{
		Model:     anthropic.Model(m.model),
		MaxTokens: m.maxTokens,
		System:    []anthropic.TextBlockParam{{Text: req.System}},
	}
	for _, t := range req.Tools {
		params.Tools = append(params.Tools, anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{
			Name:        t.Name,
			Description: anthropic.String(t.Description),
			InputSchema: anthropicSchema(t.Schema),
		}})
	}
	// Messages alternate user/assistant: tool results travel in a user
	// message, and consecutive messages of one role are merged.
	add := func(role anthropic.MessageParamRole, blocks ...anthropic.ContentBlockParamUnion) {
		if len(blocks) == 0 {
			return
		}
		if n := len(params.Messages); n > 0 && params.Messages[n-1].Role == role {
			params.Messages[n-1].Content = append(params.Messages[n-1].Content, blocks...)
			return
		}
		params.Messages = append(params.Messages, anthropic.MessageParam{Role: role, Content: blocks})
	}
	for _, msg := range req.Messages {
		switch msg.Role {
		case RoleUser:
			add(anthropic.MessageParamRoleUser, anthropic.NewTextBlock(msg.Text))
		case RoleAssistant:
			if len(params.Messages) == 0 {
				// A thread may start with the bot; the API wants a user first.
				add(anthropic.MessageParamRoleUser, anthropic.NewTextBlock("(earlier in this thread)"))
			}
			var blocks []anthropic.ContentBlockParamUnion
			if msg.Text != "" {
				blocks = append(blocks, anthropic.NewTextBlock(msg.Text))
			}
			for _, c := range msg.Calls {
				args := c.Args
				if !json.Valid(args) {
					args = json.RawMessage("{}")
				}
				blocks = append(blocks, anthropic.NewToolUseBlock(c.ID, args, c.Name))
			}
			add(anthropic.MessageParamRoleAssistant, blocks...)
		case RoleTool:
			var blocks []anthropic.ContentBlockParamUnion
			for _, r := range msg.Results {
				blocks = append(blocks, anthropic.NewToolResultBlock(r.CallID, r.Text, r.IsError))
			}
			add(anthropic.MessageParamRoleUser, blocks...)
		}
	}

	resp, err := m.client.Messages.New(ctx, params)
	if err != nil {
		return ModelResponse{}, err
	}
	var out ModelResponse
	var text []string
	for _, block := range resp.Content {
		switch block.Type {
		case "text":
			text = append(text, block.Text)
		case "tool_use":
			args := block.Input
			if len(args) == 0 || string(args) == "null" {
				args = json.RawMessage("{}")
			}
			out.Calls = append(out.Calls, ToolCall{ID: block.ID, Name: block.Name, Args: args})
		}
	}
	out.Text = strings.Join(text, "\n\n")
	return out, nil
}

// anthropicSchema splits a JSON Schema into the SDK's input schema shape.
func anthropicSchema(schema map[string]any) anthropic.ToolInputSchemaParam {
	in := anthropic.ToolInputSchemaParam{Properties: schema["properties"], ExtraFields: map[string]any{}}
	if req, ok := schema["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				in.Required = append(in.Required, s)
			}
		}
	}
	for k, v := range schema {
		switch k {
		case "type", "properties", "required":
		default:
			in.ExtraFields[k] = v
		}
	}
	return in
}
