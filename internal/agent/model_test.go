package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// provider is one model wire format: how to build the Model against a
// fake server, how the fake answers, and how to read what the model was
// sent.
type provider struct {
	name     string
	path     string // where requests must arrive
	newModel func(baseURL string) Model
	keyOf    func(h http.Header) string // the model API key as sent
	toolCall func(n int, name, args string) any
	text     func(text string) any
	// results reads the tool results in a request body, in order.
	results func(t *testing.T, body []byte) []ToolResult
}

const testModelKey = "test-model-api-key"

var providers = []provider{
	{
		name: "openai",
		path: "/v1/chat/completions",
		newModel: func(u string) Model {
			return NewOpenAI(OpenAIConfig{BaseURL: u + "/v1", APIKey: testModelKey, Model: "gpt-test"})
		},
		keyOf: func(h http.Header) string { return strings.TrimPrefix(h.Get("Authorization"), "Bearer ") },
		toolCall: func(n int, name, args string) any {
			return map[string]any{
				"id": fmt.Sprintf("chatcmpl-%d", n), "object": "chat.completion", "created": 1764000000, "model": "gpt-test",
				"choices": []any{map[string]any{"index": 0, "finish_reason": "tool_calls", "message": map[string]any{
					"role": "assistant", "content": nil,
					"tool_calls": []any{map[string]any{"id": fmt.Sprintf("call_%d", n), "type": "function",
						"function": map[string]any{"name": name, "arguments": args}}},
				}}},
			}
		},
		text: func(text string) any {
			return map[string]any{
				"id": "chatcmpl-final", "object": "chat.completion", "created": 1764000000, "model": "gpt-test",
				"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
					"message": map[string]any{"role": "assistant", "content": text}}},
			}
		},
		results: func(t *testing.T, body []byte) []ToolResult {
			var req struct {
				Messages []struct {
					Role       string `json:"role"`
					Content    string `json:"content"`
					ToolCallID string `json:"tool_call_id"`
				} `json:"messages"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatalf("openai request: %v", err)
			}
			var out []ToolResult
			for _, m := range req.Messages {
				if m.Role == "tool" {
					out = append(out, ToolResult{CallID: m.ToolCallID, Text: m.Content})
				}
			}
			return out
		},
	},
	{
		name: "anthropic",
		path: "/v1/messages",
		newModel: func(u string) Model {
			return NewAnthropic(AnthropicConfig{BaseURL: u, APIKey: testModelKey, Model: "claude-test"})
		},
		keyOf: func(h http.Header) string { return h.Get("X-Api-Key") },
		toolCall: func(n int, name, args string) any {
			return map[string]any{
				"id": fmt.Sprintf("msg_%d", n), "type": "message", "role": "assistant", "model": "claude-test",
				"content": []any{map[string]any{"type": "tool_use", "id": fmt.Sprintf("toolu_%d", n), "name": name,
					"input": json.RawMessage(args)}},
				"stop_reason": "tool_use", "stop_sequence": nil,
				"usage": map[string]any{"input_tokens": 100, "output_tokens": 10},
			}
		},
		text: func(text string) any {
			return map[string]any{
				"id": "msg_final", "type": "message", "role": "assistant", "model": "claude-test",
				"content":     []any{map[string]any{"type": "text", "text": text}},
				"stop_reason": "end_turn", "stop_sequence": nil,
				"usage": map[string]any{"input_tokens": 100, "output_tokens": 10},
			}
		},
		results: func(t *testing.T, body []byte) []ToolResult {
			var req struct {
				Messages []struct {
					Role    string `json:"role"`
					Content []struct {
						Type      string `json:"type"`
						ToolUseID string `json:"tool_use_id"`
						IsError   bool   `json:"is_error"`
						Content   []struct {
							Text string `json:"text"`
						} `json:"content"`
					} `json:"content"`
				} `json:"messages"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatalf("anthropic request: %v", err)
			}
			var out []ToolResult
			for _, m := range req.Messages {
				for _, c := range m.Content {
					if c.Type == "tool_result" {
						var text []string
						for _, p := range c.Content {
							text = append(text, p.Text)
						}
						out = append(out, ToolResult{CallID: c.ToolUseID, Text: strings.Join(text, ""), IsError: c.IsError})
					}
				}
			}
			return out
		},
	},
}

// modelServer is a scripted fake model provider: it records every request
// raw and answers request n (from 0) with script(n).
type modelServer struct {
	URL string

	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Path   string
	Header http.Header
	Body   []byte
}

// Special answers of a script.
type (
	hang      struct{} // never answer
	httpError struct {
		status int
		body   string
	}
)

func newModelServer(t *testing.T, script func(n int) any) *modelServer {
	t.Helper()
	ms := &modelServer{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ms.mu.Lock()
		n := len(ms.reqs)
		ms.reqs = append(ms.reqs, recorded{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		ms.mu.Unlock()
		switch answer := script(n).(type) {
		case hang:
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case httpError:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(answer.status)
			_, _ = io.WriteString(w, answer.body)
		default:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(answer)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: no handler outlives the test
	ms.URL = srv.URL
	return ms
}

func (ms *modelServer) requests() []recorded {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]recorded(nil), ms.reqs...)
}

// assertClean checks every request the model server got: the right
// endpoint and key, and no Sentry token anywhere (system prompt, history,
// tool definitions, tool results, errors, headers).
func (f *fixture) assertClean(p provider, ms *modelServer, reply Reply) {
	f.t.Helper()
	reqs := ms.requests()
	if len(reqs) == 0 {
		f.t.Fatal("the model server got no request")
	}
	for i, r := range reqs {
		if r.Path != p.path {
			f.t.Errorf("request %d went to %s, want %s", i, r.Path, p.path)
		}
		if k := p.keyOf(r.Header); k != testModelKey {
			f.t.Errorf("request %d carries API key %q", i, k)
		}
		f.assertNoSecrets(fmt.Sprintf("model request %d body", i), r.Body)
		var h strings.Builder
		for k, v := range r.Header {
			fmt.Fprintf(&h, "%s: %s\n", k, strings.Join(v, ","))
		}
		f.assertNoSecrets(fmt.Sprintf("model request %d headers", i), []byte(h.String()))
	}
	f.assertNoSecrets("reply", []byte(reply.Text))
}

func forEachProvider(t *testing.T, fn func(t *testing.T, p provider)) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) { fn(t, p) })
	}
}

// The model calls search_issues; the call reaches Sentry as the asking
// user; the model gets the result and answers. Nothing it was sent holds a
// token.
func TestModelModeAnswers(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p provider) {
		f := newFixture(t)
		f.connect(alice, sentrytest.AliceID)
		f.connect(bob, sentrytest.BobID) // another user's tokens must not leak either
		ms := newModelServer(t, func(n int) any {
			if n == 0 {
				return p.toolCall(n, "search_issues", `{"organizationSlug":"acme"}`)
			}
			return p.text("The newest unresolved issue in acme is **CHECKOUT-1A**.")
		})
		a := f.agent(Options{Model: p.newModel(ms.URL)})
		r, err := a.Run(context.Background(), Turn{Principal: alice, Text: "what is broken in acme?", History: []Message{
			{Role: RoleUser, Text: "hi lookout"}, {Role: RoleAssistant, Text: "Hello! Ask me about Sentry."},
		}})
		if err != nil {
			t.Fatal(err)
		}
		wantText(t, r, "CHECKOUT-1A")

		reqs := ms.requests()
		if len(reqs) != 2 {
			t.Fatalf("model got %d requests, want 2", len(reqs))
		}
		first := string(reqs[0].Body)
		for _, want := range []string{"You are lookout", "search_issues", "get_issue_details", "organizationSlug", "what is broken in acme?", "hi lookout", "Hello! Ask me about Sentry."} {
			if !strings.Contains(first, want) {
				t.Errorf("first model request lacks %q", want)
			}
		}
		if strings.Contains(first, "update_issue") {
			t.Error("a triage tool was offered to a read-only agent")
		}
		results := p.results(t, reqs[1].Body)
		if len(results) != 1 || !strings.HasSuffix(results[0].CallID, "_0") ||
			!strings.Contains(results[0].Text, "Issues in **acme**") || !strings.Contains(results[0].Text, "CHECKOUT-1A") {
			t.Errorf("tool results sent to the model: %+v", results)
		}

		sawIssues := false
		for _, req := range f.fake.Requests() {
			if req.UserID != sentrytest.AliceID {
				t.Errorf("Sentry request %s %s as user %q, want alice", req.Method, req.Path, req.UserID)
			}
			sawIssues = sawIssues || req.Path == "/api/0/organizations/acme/issues/"
		}
		if !sawIssues {
			t.Error("the tool call did not reach Sentry's issue search")
		}
		f.assertClean(p, ms, r)
	})
}

// Tool errors go back to the model as helpful text: a 404, input refused
// before any request, a tool that does not exist.
func TestModelModeToolErrors(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p provider) {
		f := newFixture(t)
		f.connect(alice, sentrytest.AliceID)
		ms := newModelServer(t, func(n int) any {
			switch n {
			case 0:
				return p.toolCall(n, "get_issue_details", `{"organizationSlug":"acme","issueId":"NOPE-1ZZ"}`)
			case 1:
				return p.toolCall(n, "find_projects", `{"organizationSlug":"../admin"}`)
			case 2:
				return p.toolCall(n, "delete_everything", `{}`)
			}
			return p.text("I could not find NOPE-1ZZ in acme.")
		})
		a := f.agent(Options{Model: p.newModel(ms.URL)})
		r, err := a.Run(context.Background(), Turn{Principal: alice, Text: "explain NOPE-1ZZ in acme"})
		if err != nil {
			t.Fatal(err)
		}
		wantText(t, r, "could not find")

		reqs := ms.requests()
		if len(reqs) != 4 {
			t.Fatalf("model got %d requests, want 4", len(reqs))
		}
		want := []string{"Sentry found nothing for", "invalid input for find_projects", "no tool of that name"}
		results := p.results(t, reqs[3].Body)
		if len(results) != len(want) {
			t.Fatalf("the model saw %d tool results, want %d: %+v", len(results), len(want), results)
		}
		for i, w := range want {
			if !strings.Contains(results[i].Text, w) {
				t.Errorf("tool result %d = %q, want it to say %q", i, results[i].Text, w)
			}
			if p.name == "anthropic" && !results[i].IsError {
				t.Errorf("tool result %d is not marked as an error", i)
			}
		}
		if !strings.Contains(results[0].Text, "NOPE-1ZZ") || !strings.Contains(results[0].Text, "search_issues") {
			t.Errorf("the 404 advice names neither the issue nor a way on: %q", results[0].Text)
		}
		for _, req := range f.fake.Requests() {
			if strings.Contains(req.Path, "admin") {
				t.Errorf("refused input reached Sentry: %s", req.Path)
			}
		}
		f.assertClean(p, ms, r)
	})
}

// A model that never stops calling tools is stopped at MaxSteps.
func TestModelModeStepLimit(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p provider) {
		f := newFixture(t)
		f.connect(alice, sentrytest.AliceID)
		ms := newModelServer(t, func(n int) any { return p.toolCall(n, "whoami", `{}`) })
		a := f.agent(Options{Model: p.newModel(ms.URL), MaxSteps: 3})
		r, err := a.Run(context.Background(), Turn{Principal: alice, Text: "who am I, again and again?"})
		if err != nil {
			t.Fatal(err)
		}
		wantText(t, r, "stopped after 3 Sentry lookups")
		if n := len(ms.requests()); n != 4 {
			t.Errorf("model got %d requests, want 4 (3 answered calls, then the stop)", n)
		}
		if n := f.users()[sentrytest.AliceID]; n != 3 {
			t.Errorf("%d Sentry requests, want 3", n)
		}
		f.assertClean(p, ms, r)
	})
}

// A tool call that needs consent ends the turn at once; the model hears
// nothing more.
func TestModelModeNeedsConsent(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p provider) {
		f := newFixture(t)
		f.connect(alice, sentrytest.AliceID, "org:read", "project:read", "team:read")
		ms := newModelServer(t, func(n int) any { return p.toolCall(n, "search_issues", `{"organizationSlug":"acme"}`) })
		a := f.agent(Options{Model: p.newModel(ms.URL)})

		r, err := a.Run(context.Background(), Turn{Principal: nobody, Text: "issues in acme?"})
		if err != nil {
			t.Fatal(err)
		}
		wantAuth(t, r, ReasonNoGrant, "")
		r, err = a.Run(context.Background(), Turn{Principal: alice, Text: "issues in acme?"})
		if err != nil {
			t.Fatal(err)
		}
		wantAuth(t, r, ReasonMissingScope, "event:read")
		if n := len(ms.requests()); n != 2 {
			t.Errorf("model got %d requests, want 1 per turn", n)
		}
		f.assertClean(p, ms, r)
	})
}

// A model that hangs: the turn ends at Timeout with an error the Slack
// layer can show.
func TestModelModeTimeout(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p provider) {
		f := newFixture(t)
		ms := newModelServer(t, func(int) any { return hang{} })
		a := f.agent(Options{Model: p.newModel(ms.URL), Timeout: 300 * time.Millisecond})
		start := time.Now()
		_, err := a.Run(context.Background(), Turn{Principal: alice, Text: "anything"})
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the turn took %s with a 300ms timeout", d)
		}
		if msg := Explain(err); !strings.Contains(msg, "took too long") {
			t.Errorf("Explain(timeout) = %q", msg)
		}
	})
}

// A provider error is ErrModel, said plainly.
func TestModelModeProviderError(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p provider) {
		f := newFixture(t)
		f.connect(alice, sentrytest.AliceID)
		ms := newModelServer(t, func(int) any {
			return httpError{http.StatusBadRequest, `{"type":"error","error":{"type":"invalid_request_error","message":"model not found"}}`}
		})
		_, err := f.agent(Options{Model: p.newModel(ms.URL)}).Run(context.Background(), Turn{Principal: alice, Text: "hello"})
		if !errors.Is(err, ErrModel) || errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v, want ErrModel", err)
		}
		if msg := Explain(err); !strings.Contains(msg, "model") {
			t.Errorf("Explain(model error) = %q", msg)
		}
		f.assertNoSecrets("error", []byte(err.Error()))
	})
}

// A long answer is cut for Slack, with a note.
func TestModelModeBoundsAnswer(t *testing.T) {
	p := providers[0]
	f := newFixture(t)
	ms := newModelServer(t, func(int) any { return p.text(strings.Repeat("A very long answer line.\n", 500)) })
	r, err := f.agent(Options{Model: p.newModel(ms.URL)}).Run(context.Background(), Turn{Principal: alice, Text: "tell me everything"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(r.Text)); n > MaxReplyChars || !strings.Contains(r.Text, "cut short") {
		t.Errorf("answer of %d characters (limit %d), note present: %t", n, MaxReplyChars, strings.Contains(r.Text, "cut short"))
	}
}
