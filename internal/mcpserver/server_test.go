package mcpserver_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/logging"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// A failed tool call is logged at INFO when the caller asked for something
// wrong, and at WARN when Sentry failed, so WARN is worth an operator's
// look.
func TestToolFailuresAreLoggedByCause(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	r := newRemote(t, mcpserver.HTTPOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	s := r.mustSession(r.connect("alice", sentrytest.AliceID, "/mcp"), "/mcp")
	ctx := context.Background()
	call := func(name string, args map[string]any) {
		t.Helper()
		res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil || !res.IsError {
			t.Fatalf("%s %v: want a failed call, got %v %q", name, args, err, text(res))
		}
	}
	// Refused before any request.
	call("get_issue_details", map[string]any{"eventId": "0123456789abcdef0123456789abcdef"})
	// Sentry knows no such issue.
	call("get_issue_details", map[string]any{"organizationSlug": "acme", "issueId": "WEB-ZZZZZ"})
	// Sentry rate limits for an hour: an upstream failure.
	r.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/organizations/", Status: 429, RetryAfter: "3600"})
	call("find_organizations", nil)

	levels := map[string][]string{} // message -> levels
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m struct{ Level, Msg, Tool string }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if strings.HasPrefix(m.Msg, "tool call") {
			levels[m.Tool] = append(levels[m.Tool], m.Level)
		}
	}
	if got := strings.Join(levels["get_issue_details"], ","); got != "INFO,INFO" {
		t.Errorf("bad input and an unknown issue logged at %s, want INFO,INFO", got)
	}
	if got := strings.Join(levels["find_organizations"], ","); got != "WARN" {
		t.Errorf("Sentry rate limiting logged at %s, want WARN\n%s", got, logs.String())
	}
}

// callLog is a CallObserver that remembers what it heard.
type callLog struct {
	mu    sync.Mutex
	calls []string // "tool: outcome"
}

type callMark struct{}

func (l *callLog) StartCall(ctx context.Context, tool string) context.Context {
	return context.WithValue(ctx, callMark{}, tool)
}

func (l *callLog) EndCall(ctx context.Context, tool string, err error, _ time.Duration) {
	outcome := "ok"
	switch {
	case ctx.Value(callMark{}) != tool:
		outcome = "not StartCall's context"
	case err != nil:
		outcome = "failed"
	}
	l.mu.Lock()
	l.calls = append(l.calls, tool+": "+outcome)
	l.mu.Unlock()
}

// Every tool call over MCP reaches the observer once, answered or not.
func TestToolCallsAreObserved(t *testing.T) {
	t.Parallel()
	calls := &callLog{}
	r := newRemote(t, mcpserver.HTTPOptions{Calls: calls})
	s := r.mustSession(r.connect("alice", sentrytest.AliceID, "/mcp"), "/mcp")
	ctx := context.Background()
	if res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "find_organizations"}); err != nil || res.IsError {
		t.Fatalf("find_organizations: %v %q", err, text(res))
	}
	if res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "get_issue_details", Arguments: map[string]any{"organizationSlug": "acme", "issueId": "WEB-ZZZZZ"}}); err != nil || !res.IsError {
		t.Fatalf("get_issue_details of an unknown issue: %v %q", err, text(res))
	}
	calls.mu.Lock()
	defer calls.mu.Unlock()
	if want := []string{"find_organizations: ok", "get_issue_details: failed"}; !slices.Equal(calls.calls, want) {
		t.Errorf("observed %q, want %q", calls.calls, want)
	}
}

// Issue #11 §2: the log line of a tool refused as not enabled carries the
// request's id, as every line of a request does.
func TestRefusedToolLogLineHasTheRequestID(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	r := newRemote(t, mcpserver.HTTPOptions{Logger: slog.New(logging.NewHandler(slog.NewJSONHandler(&logs, nil), nil))})
	s := r.mustSession(r.connect("reader", sentrytest.AliceID, "/mcp"), "/mcp")
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "update_issue",
		Arguments: map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A", "status": "resolved"}})
	if err != nil || !res.IsError {
		t.Fatalf("update_issue with a read token: %v %q", err, text(res))
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "tool call refused" {
			found = true
			if !requestIDRe.MatchString(l.RequestID) {
				t.Errorf("the refusal's log line has request_id %q:\n%s", l.RequestID, line)
			}
		}
	}
	if !found {
		t.Fatalf("no refusal logged:\n%s", logs.String())
	}
}

var requestIDRe = regexp.MustCompile(`^[0-9a-f]{16}$`)
