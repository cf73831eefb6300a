package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// startMCP runs `lookout mcp args...` as a subprocess, with env added to a
// clean environment, and connects the go-sdk client to it over stdio.
func startMCP(t *testing.T, env []string, args ...string) (*mcp.ClientSession, *logtest.Buffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.Command(os.Args[0], append([]string{"mcp"}, args...)...)
	cmd.Env = append([]string{"LOOKOUT_RUN_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
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

func listed(t *testing.T, s *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	list, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*mcp.Tool{}
	for _, tool := range list.Tools {
		m[tool.Name] = tool
	}
	return m
}

func callTool(t *testing.T, s *mcp.ClientSession, name string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return resultText(res), res.IsError
}

// hostPort is the fake's main server as --host takes it.
func hostPort(f *sentrytest.Fake) string {
	return strings.TrimPrefix(strings.TrimPrefix(f.URL, "http://"), "https://")
}

func TestMCPStdioEndToEnd(t *testing.T) {
	t.Parallel()
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	token := fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)
	session, stderr := startMCP(t, nil, "--access-token="+token, "--url="+fake.URL)

	if got := session.InitializeResult().ServerInfo.Name; got != "lookout" {
		t.Errorf("server name = %q", got)
	}
	tools := listed(t, session)
	for _, want := range []string{"find_organizations", "search_issues", "get_issue_details", "search_sentry_tools", "execute_sentry_tool"} {
		if tools[want] == nil {
			t.Errorf("tools/list lacks %s", want)
		}
	}
	if tools["update_issue"] != nil {
		t.Error("update_issue offered in a read-only session")
	}

	text, isErr := callTool(t, session, "search_issues", map[string]any{"organizationSlug": "acme", "projectSlugOrId": "checkout"})
	if isErr || !strings.Contains(text, "CHECKOUT-1A") || strings.Contains(text, "WEB-1A") {
		t.Fatalf("search_issues: isError=%t\n%s", isErr, text)
	}
	// Not listed, still reachable: by name and through the wrapper.
	if text, isErr := callTool(t, session, "whoami", nil); isErr || !strings.Contains(text, "alice@example.com") {
		t.Errorf("whoami by name: %t %s", isErr, text)
	}
	if text, isErr := callTool(t, session, "execute_sentry_tool", map[string]any{"name": "find_teams", "arguments": map[string]any{"organizationSlug": "acme"}}); isErr || !strings.Contains(text, "frontend") {
		t.Errorf("find_teams through the wrapper: %t %s", isErr, text)
	}
	// A tool error is a result the model can read, with guidance.
	if text, isErr := callTool(t, session, "get_issue_details", map[string]any{"organizationSlug": "acme", "issueId": "NOPE-999"}); !isErr || !strings.Contains(text, "NOPE-999") {
		t.Errorf("unknown issue: isError=%t %q", isErr, text)
	}
	// A hidden tool says what is missing and how to get it.
	text, isErr = callTool(t, session, "update_issue", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A", "status": "resolved"})
	if !isErr || !strings.Contains(text, "needs the triage permission") || !strings.Contains(text, "--skills=inspect,triage") {
		t.Errorf("hidden update_issue: isError=%t %q", isErr, text)
	}

	_ = session.Close()
	if strings.Contains(stderr.String(), token) {
		t.Fatal("the Sentry token appears in lookout's stderr")
	}
	if !strings.Contains(stderr.String(), "tool call") {
		t.Errorf("no tool-call log lines on stderr:\n%s", stderr)
	}
}

// The reference's own documented invocations (its README and --help),
// pointed at the fake Sentry, work unchanged.
func TestMCPReferenceInvocations(t *testing.T) {
	t.Parallel()
	plain := sentrytest.NewServer(t, sentrytest.Options{})
	secure := sentrytest.NewServer(t, sentrytest.Options{TLS: true})
	certFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(certFile, secure.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	plainToken := plain.IssueToken(sentrytest.AliceID, sentrytest.WriteScopes, 0)
	secureToken := secure.IssueToken(sentrytest.AliceID, sentrytest.WriteScopes, 0)
	trust := "SSL_CERT_FILE=" + certFile
	for _, c := range []struct {
		name      string
		fake      *sentrytest.Fake
		env, args []string
		triage    bool
	}{
		{name: "--access-token --host --insecure-http", fake: plain,
			args: []string{"--access-token=" + plainToken, "--host=" + hostPort(plain), "--insecure-http"}},
		{name: "--host=HOST:PORT (https) --disable-skills=seer", fake: secure, env: []string{trust},
			args: []string{"--access-token=" + secureToken, "--host=" + hostPort(secure), "--disable-skills=seer"}},
		{name: "README config: env SENTRY_ACCESS_TOKEN, EMBEDDED_AGENT_PROVIDER, OPENAI_API_KEY, SENTRY_HOST", fake: secure,
			env: []string{trust, "SENTRY_ACCESS_TOKEN=" + secureToken, "EMBEDDED_AGENT_PROVIDER=openai", "OPENAI_API_KEY=sk-test", "SENTRY_HOST=" + hostPort(secure)}},
		{name: "README self-hosted config: SENTRY_HOST and MCP_DISABLE_SKILLS", fake: secure,
			env: []string{trust, "SENTRY_ACCESS_TOKEN=" + secureToken, "SENTRY_HOST=" + hostPort(secure), "MCP_DISABLE_SKILLS=seer"}},
		{name: "--skills=inspect,triage", fake: plain, triage: true,
			args: []string{"--access-token=" + plainToken, "--host=" + hostPort(plain), "--insecure-http", "--skills=inspect,triage"}},
		{name: "--all-skills and the embedded agent flags", fake: plain, triage: true,
			args: []string{"--access-token=" + plainToken, "--host=" + hostPort(plain), "--insecure-http", "--all-skills",
				"--agent-provider=azure-openai", "--openai-base-url=https://example.openai.azure.com/openai/v1/", "--openai-model=gpt-5",
				"--anthropic-model=claude-sonnet-4-5", "--experimental", "--sentry-dsn=", "--mcp-url=https://mcp.sentry.dev"}},
		{name: "MCP_SKILLS", fake: plain, triage: true,
			env:  []string{"MCP_SKILLS=inspect,triage"},
			args: []string{"--access-token=" + plainToken, "--host=" + hostPort(plain), "--insecure-http"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			session, stderr := startMCP(t, c.env, c.args...)
			text, isErr := callTool(t, session, "search_issues", map[string]any{"organizationSlug": "acme", "limit": 3})
			if isErr || !strings.Contains(text, "# Issues in **acme**") {
				t.Fatalf("search_issues: isError=%t %s\nstderr:\n%s", isErr, text, stderr)
			}
			if text, isErr := callTool(t, session, "get_issue_details", map[string]any{"organizationSlug": "acme", "issueId": "WEB-1A"}); isErr || !strings.Contains(text, "TypeError") {
				t.Fatalf("get_issue_details: %t %s", isErr, text)
			}
			if got := listed(t, session)["update_issue"] != nil; got != c.triage {
				t.Errorf("update_issue listed = %t, want %t", got, c.triage)
			}
			if c.triage {
				text, isErr := callTool(t, session, "update_issue", map[string]any{"organizationSlug": "acme", "issueId": "API-1A",
					"status": "ignored", "ignoreMode": "forDuration", "ignoreDurationMinutes": 30})
				if isErr || !strings.Contains(text, "ignored for 30 minutes") {
					t.Errorf("update_issue: %t %s", isErr, text)
				}
			}
			for _, r := range c.fake.Requests() {
				if r.UserID != sentrytest.AliceID {
					t.Errorf("a request reached the fake without alice's token: %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

func TestMCPStdioPinsAndPermissions(t *testing.T) {
	t.Parallel()
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	token := fake.IssueToken(sentrytest.AliceID, sentrytest.WriteScopes, 0)
	session, _ := startMCP(t, nil, "--access-token", token, "--url", fake.URL,
		"--organization-slug=acme", "--permissions=read,triage")
	found := listed(t, session)
	if found["update_issue"] == nil {
		t.Error("update_issue not listed with --permissions=read,triage")
	}
	if found["find_organizations"] != nil {
		t.Error("find_organizations offered while pinned to an organization")
	}
	schema, _ := json.Marshal(found["search_issues"].InputSchema)
	if strings.Contains(string(schema), "organizationSlug") {
		t.Errorf("pinned parameter still in the schema: %s", schema)
	}
	if text, isErr := callTool(t, session, "search_issues", map[string]any{}); isErr || !strings.Contains(text, "WEB-") {
		t.Fatalf("pinned search_issues: %q", text)
	}
	if text, isErr := callTool(t, session, "search_issues", map[string]any{"organizationSlug": "globex"}); !isErr || !strings.Contains(text, "pinned") {
		t.Fatalf("pinned to acme, asked globex: %q", text)
	}
	if text, isErr := callTool(t, session, "add_issue_note", map[string]any{"issueId": "WEB-1A", "text": "Looking into it."}); isErr || !strings.Contains(text, "Looking into it.") {
		t.Errorf("add_issue_note by name: %t %s", isErr, text)
	}
	if text, isErr := callTool(t, session, "find_organizations", nil); !isErr || !strings.Contains(text, "pinned to organization") {
		t.Errorf("find_organizations under a pin: %t %s", isErr, text)
	}
	for _, r := range fake.Requests() {
		if strings.Contains(r.Path, "globex") {
			t.Fatalf("a request reached globex despite the pin: %s", r.Path)
		}
	}
}

// A configuration that cannot work fails with a message on stderr and a
// non-zero exit, whoever started it.
func TestMCPRefusesBadSetup(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no token":           {[]string{"mcp"}, "no Sentry token"},
		"plain http":         {[]string{"mcp", "--access-token=x", "--url=http://sentry.example.com"}, "SENTRY_URL must use https"},
		"unknown permission": {[]string{"mcp", "--access-token=x", "--permissions=admin"}, `unknown permission "admin"`},
		"unknown skill":      {[]string{"mcp", "--access-token=x", "--skills=inspect,tirage"}, `unknown skill "tirage" (did you mean triage?)`},
		"unknown flag":       {[]string{"mcp", "--access-token=x", "--organisation-slug=acme"}, "unknown flag --organisation-slug (did you mean --organization-slug?)"},
		"stray argument":     {[]string{"mcp", "--access-token=x", "acme"}, `unexpected argument "acme"`},
		"auth login":         {[]string{"mcp", "auth", "login"}, "no auth command"},
		"host with a scheme": {[]string{"mcp", "--access-token=x", "--host=https://sentry.example.com"}, "--host takes a host name"},
	} {
		var stderr bytes.Buffer
		env := &environment{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr,
			getenv: func(string) string { return "" }}
		if code := run(context.Background(), env, c.args); code == 0 {
			t.Errorf("%s: exit 0, want failure", name)
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%s: stderr %q lacks %q", name, stderr.String(), c.want)
		}
	}
}

// Issue #10: a flag lookout did not know crashed the server before the
// handshake, and the client showed only "Connection closed". Now the
// server starts and every tool call answers with the problem and its fix.
func TestMCPBadFlagReachesTheClient(t *testing.T) {
	t.Parallel()
	session, stderr := startMCP(t, []string{"SENTRY_ACCESS_TOKEN=x"}, "--hots=sentry.example.com")
	tools := listed(t, session)
	if tools["search_issues"] == nil {
		t.Fatalf("no tools listed: %v", tools)
	}
	text, isErr := callTool(t, session, "search_issues", map[string]any{"organizationSlug": "acme"})
	if !isErr || !strings.Contains(text, "unknown flag --hots (did you mean --host?)") {
		t.Errorf("call answered %t %q", isErr, text)
	}
	if !strings.Contains(session.InitializeResult().Instructions, "--hots") {
		t.Errorf("instructions do not say it: %q", session.InitializeResult().Instructions)
	}
	if !strings.Contains(stderr.String(), "unknown flag --hots") {
		t.Errorf("stderr: %s", stderr)
	}
}

// --host with --insecure-http reaches a plain-http Sentry (it became
// https://HOST:PORT and every tool said "Sentry is unavailable"); SENTRY_HOST
// is read (it was ignored, and a self-hosted user's token went to
// sentry.io). Checked on the resolved configuration, without a server.
func TestMCPHostResolution(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"--host":                         {nil, []string{"--host=sentry.example.com"}, "https://sentry.example.com"},
		"--host --insecure-http":         {nil, []string{"--host=10.0.0.5:9000", "--insecure-http"}, "http://10.0.0.5:9000"},
		"SENTRY_HOST":                    {map[string]string{"SENTRY_HOST": "sentry.example.com"}, nil, "https://sentry.example.com"},
		"SENTRY_HOST insecure env":       {map[string]string{"SENTRY_HOST": "10.0.0.5:9000", "SENTRY_INSECURE_HTTP": "1"}, nil, "http://10.0.0.5:9000"},
		"--url beats SENTRY_HOST":        {map[string]string{"SENTRY_HOST": "sentry.example.com"}, []string{"--url=https://other.example.com"}, "https://other.example.com"},
		"--host beats SENTRY_URL":        {map[string]string{"SENTRY_URL": "https://other.example.com"}, []string{"--host=sentry.example.com"}, "https://sentry.example.com"},
		"SENTRY_URL beats HOST env":      {map[string]string{"SENTRY_URL": "https://other.example.com", "SENTRY_HOST": "sentry.example.com"}, nil, "https://other.example.com"},
		"default":                        {nil, nil, "https://sentry.io"},
		"insecure ignored for sentry.io": {nil, []string{"--host=sentry.io", "--insecure-http"}, "https://sentry.io"},
	} {
		env := &environment{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{},
			getenv: func(k string) string { return c.env[k] }}
		m, err := parseMCP(env, append([]string{"--access-token=x"}, c.args...))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m.sentry.BaseURL != c.want {
			t.Errorf("%s: Sentry URL %s, want %s", name, m.sentry.BaseURL, c.want)
		}
	}
}

// Skills map onto permissions: inspect is read (and docs); the default is
// read-only; --all-skills grants every active skill; --disable-skills
// removes; read stays; --permissions adds.
func TestMCPSkillsMapToPermissions(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"default":                       {nil, nil, "read,docs"},
		"--skills=inspect,triage":       {nil, []string{"--skills=inspect,triage"}, "read,triage,docs"},
		"--skills=triage":               {nil, []string{"--skills=triage"}, "read,triage"},
		"--all-skills":                  {nil, []string{"--all-skills"}, "read,triage,seer,docs,project-management"},
		"--all-skills beats MCP_SKILLS": {map[string]string{"MCP_SKILLS": "inspect"}, []string{"--all-skills"}, "read,triage,seer,docs,project-management"},
		"MCP_SKILLS":                    {map[string]string{"MCP_SKILLS": "inspect,seer"}, nil, "read,seer,docs"},
		"--skills beats MCP_SKILLS":     {map[string]string{"MCP_SKILLS": "inspect,seer"}, []string{"--skills=inspect"}, "read,docs"},
		"--disable-skills=seer":         {nil, []string{"--all-skills", "--disable-skills=seer"}, "read,triage,docs,project-management"},
		"MCP_DISABLE_SKILLS":            {map[string]string{"MCP_DISABLE_SKILLS": "seer,docs"}, []string{"--all-skills"}, "read,triage,project-management"},
		"--disable-skills=inspect":      {nil, []string{"--disable-skills=inspect"}, "read"},
		"--permissions=read,triage":     {nil, []string{"--permissions=read,triage"}, "read,triage"},
		"--permissions adds to skills":  {nil, []string{"--skills=inspect", "--permissions=seer"}, "read,seer,docs"},
	} {
		env := &environment{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{},
			getenv: func(k string) string { return c.env[k] }}
		m, err := parseMCP(env, append([]string{"--access-token=x"}, c.args...))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var got []string
		for _, p := range m.permissions {
			got = append(got, string(p))
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s: permissions %v, want %s", name, got, c.want)
		}
	}
}

// --mcp-url (MCP_URL) is where search_docs searches, as in the reference:
// a docs search through `lookout mcp` reaches that host, without a token.
func TestMCPURLIsTheDocsSearchHost(t *testing.T) {
	t.Parallel()
	f := sentrytest.NewServer(t, sentrytest.Options{})
	docs := sentrytest.NewDocs(t)
	token := f.IssueToken(sentrytest.AliceID, sentrytest.WriteScopes, 0)
	s, _ := startMCP(t, nil, "--access-token="+token, "--url="+f.URL, "--skills=inspect,docs", "--mcp-url="+docs.URL)
	out, isErr := callTool(t, s, "execute_sentry_tool", map[string]any{"name": "search_docs", "arguments": map[string]any{"query": "rate limiting"}})
	if isErr {
		t.Fatalf("search_docs: %s", out)
	}
	reqs := docs.Requests()
	if len(reqs) == 0 || reqs[len(reqs)-1].Query != "rate limiting" {
		t.Fatalf("the docs search at --mcp-url got %+v", reqs)
	}
	if _, _, err := parseMCPArgs(t, "--access-token=x", "--mcp-url=ftp://example.com"); err == nil || !strings.Contains(err.Error(), "--mcp-url") {
		t.Errorf("a bad --mcp-url: %v", err)
	}
}

func parseMCPArgs(t *testing.T, args ...string) (*mcpSetup, string, error) {
	t.Helper()
	var stderr bytes.Buffer
	env := &environment{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
	m, err := parseMCP(env, args)
	return m, stderr.String(), err
}

// The flags lookout accepts but cannot honour start the server with a
// one-line notice each; -v and --version print the version.
func TestMCPCompatibilityFlags(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := &environment{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr,
		getenv: func(k string) string { return map[string]string{"EMBEDDED_AGENT_PROVIDER": "openai"}[k] }}
	m, err := parseMCP(env, []string{"--access-token=x", "--experimental", "--sentry-dsn=https://k@o.ingest.sentry.io/1",
		"--mcp-url=https://mcp.sentry.dev", "--anthropic-base-url=https://api.anthropic.com", "--anthropic-model", "claude-sonnet-4-5"})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(m.notices, "\n")
	if m.docsURL != "https://mcp.sentry.dev" || strings.Contains(joined, "--mcp-url") {
		t.Errorf("--mcp-url is honoured (search_docs' host), not noticed: docsURL %q, notices:\n%s", m.docsURL, joined)
	}
	for _, want := range []string{"--experimental", "--sentry-dsn", "--anthropic-base-url, --anthropic-model, EMBEDDED_AGENT_PROVIDER"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no notice for %s:\n%s", want, joined)
		}
	}
	for _, n := range m.notices {
		if strings.Contains(n, "\n") {
			t.Errorf("notice spans lines: %q", n)
		}
	}
	for _, flag := range []string{"--version", "-v"} {
		var out bytes.Buffer
		env := &environment{stdin: strings.NewReader(""), stdout: &out, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
		if code := run(context.Background(), env, []string{"mcp", flag}); code != 0 || !strings.HasPrefix(out.String(), "lookout ") {
			t.Errorf("mcp %s: exit %d, stdout %q", flag, code, out.String())
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

// A Sentry lookout cannot reach is named with the cause and the fix,
// where the model and the user read it: the tool result.
func TestMCPUnreachableSentrySaysWhy(t *testing.T) {
	t.Parallel()
	plain := sentrytest.NewServer(t, sentrytest.Options{})
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"http server, https URL": {[]string{"--host=" + hostPort(plain)},
			[]string{"https://" + hostPort(plain), "the server speaks http, not https", "--insecure-http"}},
		"nothing listening": {[]string{"--host=127.0.0.1:1", "--insecure-http"},
			[]string{"http://127.0.0.1:1", "connection refused"}},
	} {
		t.Run(name, func(t *testing.T) {
			session, _ := startMCP(t, []string{"SENTRY_ACCESS_TOKEN=x"}, c.args...)
			text, isErr := callTool(t, session, "search_issues", map[string]any{"organizationSlug": "acme"})
			for _, w := range c.want {
				if !isErr || !strings.Contains(text, w) {
					t.Errorf("answer %q lacks %q", text, w)
				}
			}
			if strings.Contains(text, "try again in a minute") {
				t.Errorf("vague advice: %s", text)
			}
		})
	}
}
