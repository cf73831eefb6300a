package mcpserver_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// tools/list shows the listed tools and the wrappers, under 16 KB; a tool
// that is not listed still answers a call by name; a tool the caller's
// permissions hide says what is missing instead of "unknown tool".
func TestRemoteListsFewToolsAndReachesAll(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	s := r.mustSession(r.connect("alice", sentrytest.AliceID, "/mcp"), "/mcp")
	ctx := context.Background()
	list, err := s.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tl := range list.Tools {
		listed[tl.Name] = true
	}
	for _, want := range []string{"search_sentry_tools", "execute_sentry_tool", "search_issues", "get_issue_details"} {
		if !listed[want] {
			t.Errorf("%s not listed: %v", want, listed)
		}
	}
	if listed["get_issue_tag_values"] {
		t.Error("get_issue_tag_values listed; it should be reached through the wrappers")
	}
	if b, _ := json.Marshal(list); len(b) > 16<<10 {
		t.Errorf("tools/list is %d bytes, over 16 KB", len(b))
	}

	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "get_issue_tag_values",
		Arguments: map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A", "tagKey": "browser"}})
	if err != nil || res.IsError || !strings.Contains(text(res), "Chrome") {
		t.Fatalf("unlisted tool by name: %v %q", err, text(res))
	}
	res, err = s.CallTool(ctx, &mcp.CallToolParams{Name: "update_issue",
		Arguments: map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A", "status": "resolved"}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "triage") || !strings.Contains(text(res), `"read triage"`) {
		t.Fatalf("hidden update_issue: %v %q", err, text(res))
	}
	if _, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "no_such_tool"}); err == nil {
		t.Error("an unknown tool is not a protocol error")
	}
	for _, req := range r.fake.Requests() {
		if req.Method != "GET" {
			t.Errorf("a refused call reached Sentry: %s %s", req.Method, req.Path)
		}
	}
}

// Issue #12: every org-scoped call first asked /organizations/{org}/. The
// remote server keeps each principal's region knowledge: a call costs the
// one request the reference needs, and a second-region organization is
// looked up once, not on every call.
func TestRemoteCallsCostOneUpstreamRequest(t *testing.T) {
	r := newRemote(t, mcpserver.HTTPOptions{})
	s := r.mustSession(r.connect("alice", sentrytest.AliceID, "/mcp"), "/mcp")
	ctx := context.Background()
	search := func(org string) []string {
		t.Helper()
		r.fake.ClearRequests()
		res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "search_issues", Arguments: map[string]any{"organizationSlug": org}})
		if err != nil || res.IsError {
			t.Fatalf("search_issues %s: %v %q", org, err, text(res))
		}
		var paths []string
		for _, req := range r.fake.Requests() {
			paths = append(paths, req.Region+" "+req.Path)
		}
		return paths
	}
	if got := search("acme"); len(got) != 1 {
		t.Errorf("acme: requests %v, want the search alone", got)
	}
	search("globex") // a second-region organization: its region is learned once
	if got := search("globex"); len(got) != 1 || got[0] != "de /api/0/organizations/globex/issues/" {
		t.Errorf("globex again: requests %v, want the search alone, in its region", got)
	}
}
