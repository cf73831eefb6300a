package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// startMCP runs `lookout mcp args...` as a subprocess and connects the
// go-sdk client to it over stdio.
func startMCP(t *testing.T, args ...string) (*mcp.ClientSession, *logtest.Buffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.Command(os.Args[0], append([]string{"mcp"}, args...)...)
	cmd.Env = append(os.Environ(), "LOOKOUT_RUN_MAIN=1", "SENTRY_ACCESS_TOKEN=")
	stderr := &logtest.Buffer{}
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "lookout-e2e", Version: "test"}, nil)
	session, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to lookout mcp: %v\nstderr:\n%s", err, stderr)
	}
	t.Cleanup(func() { _ = session.Close() })
	return session, stderr
}

func TestMCPStdioEndToEnd(t *testing.T) {
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	token := fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)
	session, stderr := startMCP(t, "--access-token="+token, "--url="+fake.URL)
	ctx := context.Background()

	if got := session.InitializeResult().ServerInfo.Name; got != "lookout" {
		t.Errorf("server name = %q", got)
	}
	list, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"whoami", "find_organizations", "search_issues", "get_issue_details"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools/list lacks %s: %v", want, names)
		}
	}
	if slices.Contains(names, "update_issue") {
		t.Error("update_issue offered without --permissions=read,triage")
	}

	res, err := session.CallTool(ctx, &mcp.CallToolParams{
		Name:      "search_issues",
		Arguments: map[string]any{"organizationSlug": "acme", "projectSlugOrId": "checkout"},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := resultText(res)
	if res.IsError || !strings.Contains(text, "CHECKOUT-1A") {
		t.Fatalf("search_issues: isError=%t\n%s", res.IsError, text)
	}
	if strings.Contains(text, "WEB-1A") {
		t.Errorf("search_issues for project checkout returned another project's issue:\n%s", text)
	}

	// A tool error is a result the model can read, with guidance.
	res, err = session.CallTool(ctx, &mcp.CallToolParams{Name: "get_issue_details",
		Arguments: map[string]any{"organizationSlug": "acme", "issueId": "NOPE-999"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(resultText(res), "NOPE-999") {
		t.Errorf("unknown issue: isError=%t %q", res.IsError, resultText(res))
	}

	// Whoever reads the logs never sees the token.
	_ = session.Close()
	if strings.Contains(stderr.String(), token) {
		t.Fatal("the Sentry token appears in lookout's stderr")
	}
	if !strings.Contains(stderr.String(), "tool call") {
		t.Errorf("no tool-call log lines on stderr:\n%s", stderr)
	}
}

func TestMCPStdioPinsAndPermissions(t *testing.T) {
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	token := fake.IssueToken(sentrytest.AliceID, sentrytest.WriteScopes, 0)
	session, _ := startMCP(t, "--access-token", token, "--url", fake.URL,
		"--organization-slug=acme", "--permissions=read,triage")
	ctx := context.Background()
	list, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]*mcp.Tool{}
	for _, tool := range list.Tools {
		found[tool.Name] = tool
	}
	if found["update_issue"] == nil || found["add_issue_note"] == nil {
		t.Error("triage tools missing with --permissions=read,triage")
	}
	if found["find_organizations"] != nil {
		t.Error("find_organizations offered while pinned to an organization")
	}
	schema, _ := json.Marshal(found["search_issues"].InputSchema)
	if strings.Contains(string(schema), "organizationSlug") {
		t.Errorf("pinned parameter still in the schema: %s", schema)
	}
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "search_issues", Arguments: map[string]any{}})
	if err != nil || res.IsError || !strings.Contains(resultText(res), "WEB-") {
		t.Fatalf("pinned search_issues: err %v, result %q", err, resultText(res))
	}
	res, err = session.CallTool(ctx, &mcp.CallToolParams{Name: "search_issues",
		Arguments: map[string]any{"organizationSlug": "globex"}})
	if err != nil || !res.IsError || !strings.Contains(resultText(res), "pinned") {
		t.Fatalf("pinned to acme, asked globex: err %v, result %q", err, resultText(res))
	}
	for _, r := range fake.Requests() {
		if strings.Contains(r.Path, "globex") {
			t.Fatalf("a request reached globex despite the pin: %s", r.Path)
		}
	}
}

func TestMCPRefusesBadSetup(t *testing.T) {
	for name, args := range map[string][]string{
		"no token":           {"mcp"},
		"plain http":         {"mcp", "--access-token=x", "--url=http://sentry.example.com"},
		"unknown permission": {"mcp", "--access-token=x", "--permissions=admin"},
	} {
		var stderr bytes.Buffer
		env := &environment{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr,
			getenv: func(string) string { return "" }}
		if code := run(context.Background(), env, args); code == 0 {
			t.Errorf("%s: exit 0, want failure", name)
		}
		if stderr.Len() == 0 {
			t.Errorf("%s: no message", name)
		}
	}
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
