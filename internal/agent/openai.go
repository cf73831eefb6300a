package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// OpenAIConfig configures NewOpenAI.
type OpenAIConfig struct {
	// BaseURL of any OpenAI-compatible chat completions API
	// (OPENAI_BASE_URL), e.g. "https://api.openai.com/v1" (the default) or
	// "http://localhost:11434/v1".
	BaseURL string
	APIKey  string // OPENAI_API_KEY
	Model   string // LOOKOUT_MODEL
	// MaxTokens bounds one completion (default 2048).
	MaxTokens int64
	// HTTPClient sends the requests (default: the SDK's).
	HTTPClient *http.Client
}

type openAIModel struct {
	client    openai.Client
	model     string
	maxTokens int64
}

// NewOpenAI returns a Model speaking OpenAI chat completions with tool
// calling, through the official SDK.
func NewOpenAI(cfg OpenAIConfig) Model {
	opts := []option.RequestOption{option.WithMaxRetries(2)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 2048
	}
	return &openAIModel{client: openai.NewClient(opts...), model: cfg.Model, maxTokens: cfg.MaxTokens}
}

func (m *openAIModel) Complete(ctx context.Context, req ModelRequest) (ModelResponse, error) {
	params := openai.ChatCompletionNewParams{
		Model:               shared.ChatModel(m.model),
		MaxCompletionTokens: openai.Int(m.maxTokens),
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(req.System)},
	}
	for _, t := range req.Tools {
		params.Tools = append(params.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name:        t.Name,
			Description: openai.String(t.Description),
			Parameters:  shared.FunctionParameters(t.Schema),
		}))
	}
	for _, msg := range req.Messages {
		switch msg.Role {
		case RoleUser:
			params.Messages = append(params.Messages, openai.UserMessage(msg.Text))
		case RoleAssistant:
			var am openai.ChatCompletionAssistantMessageParam
			if msg.Text != "" {
				am.Content.OfString = openai.String(msg.Text)
			}
			for _, c := range msg.Calls {
				am.ToolCalls = append(am.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
						ID:       c.ID,
						Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: string(c.Args)},
					},
				})
			}
			params.Messages = append(params.Messages, openai.ChatCompletionMessageParamUnion{OfAssistant: &am})
		case RoleTool:
			for _, r := range msg.Results {
				params.Messages = append(params.Messages, openai.ToolMessage(r.Text, r.CallID))
			}
		}
	}

	resp, err := m.client.Chat.Completions.New(ctx, params)
	if err != nil {
		return ModelResponse{}, err
	}
	if len(resp.Choices) == 0 {
		return ModelResponse{}, errors.New("openai: the answer has no choices")
	}
	msg := resp.Choices[0].Message
	out := ModelResponse{Text: msg.Content}
	if out.Text == "" && msg.Refusal != "" {
		out.Text = msg.Refusal
	}
	for _, tc := range msg.ToolCalls {
		if tc.Type != "" && tc.Type != "function" {
			continue // custom tools are not offered
		}
		args := json.RawMessage(strings.TrimSpace(tc.Function.Arguments))
		if len(args) == 0 {
			args = json.RawMessage("{}")
		}
		out.Calls = append(out.Calls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Args: args})
	}
	return out, nil
}
