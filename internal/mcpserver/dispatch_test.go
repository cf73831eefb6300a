package mcpserver_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/tools"
)

// A call of a tool the server serves never asks Hidden: Hidden only
// explains names the server does not serve. (It used to be asked on every
// call of a listed tool, and tools.Unavailable rebuilt the whole catalog
// each time: half of a call's CPU.)
func TestDispatchAsksHiddenOnlyForUnservedNames(t *testing.T) {
	t.Parallel()
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	opts := sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0))}
	topts := tools.Options{HowToEnable: func(tools.Permission) string { return "Ask for triage." }}
	var asked atomic.Int32
	srv := mcpserver.New(mcpserver.Options{
		Catalog: tools.Catalog(topts),
		Hidden: func(name string) (string, bool) {
			asked.Add(1)
			return tools.Unavailable(topts, name)
		},
		Guide: tools.TokenGuide(fake.URL),
		Bind: func(context.Context, *mcp.CallToolRequest) (*tools.Env, error) {
			c, err := sentry.New(opts)
			return &tools.Env{Sentry: c}, err
		},
	})
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })

	call := func(name string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	if res := call("find_organizations", nil); res.IsError { // listed
		t.Fatalf("find_organizations: %q", text(res))
	}
	if res := call("get_issue_tag_values", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A", "tagKey": "browser"}); res.IsError { // served, not listed
		t.Fatalf("get_issue_tag_values: %q", text(res))
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("Hidden asked %d times for tools the server serves", n)
	}
	res := call("update_issue", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A", "status": "resolved"})
	if !res.IsError || !strings.Contains(text(res), "Ask for triage.") || asked.Load() != 1 {
		t.Fatalf("hidden update_issue (Hidden asked %d times): %q", asked.Load(), text(res))
	}
}
