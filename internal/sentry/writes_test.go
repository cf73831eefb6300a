package sentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// newWriteFake serves acme's region lookup; tests add the endpoints.
func newWriteFake(t *testing.T) (*fake, *Client) {
	t.Helper()
	f := newFake(t)
	f.serve(t, "GET /api/0/organizations/acme/{$}", "organization.json", f.URL)
	c, _ := newClient(t, f.URL)
	return f, c
}

// lastBody decodes the JSON body of the last request to method path.
func lastBody(t *testing.T, f *fake, method, path string) map[string]any {
	t.Helper()
	reqs := f.requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			var m map[string]any
			if err := json.Unmarshal([]byte(reqs[i].Body), &m); err != nil {
				t.Fatalf("%s %s body %q: %v", method, path, reqs[i].Body, err)
			}
			return m
		}
	}
	t.Fatalf("no %s %s", method, path)
	return nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTeamAndProjectWrites(t *testing.T) {
	f, c := newWriteFake(t)
	ctx := context.Background()
	f.serve(t, "POST /api/0/organizations/acme/teams/{$}", "team-create.json", f.URL)
	f.serve(t, "POST /api/0/teams/acme/the-goats/projects/{$}", "project.json", f.URL)
	f.serve(t, "PUT /api/0/projects/acme/api/{$}", "project.json", f.URL)
	f.serve(t, "GET /api/0/projects/acme/api/teams/{$}", "teams.json", f.URL)
	f.handle("POST /api/0/projects/acme/api/teams/the-goats/{$}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	f.handle("DELETE /api/0/projects/acme/api/teams/the-goats/{$}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	f.serve(t, "GET /api/0/organizations/acme/repos/{$}", "repos.json", f.URL)
	f.serve(t, "POST /api/0/organizations/acme/code-mappings/bulk/{$}", "code-mappings-bulk.json", f.URL)

	team, err := c.CreateTeam(ctx, "acme", "the-goats")
	if err != nil || team.Slug != "the-goats" || team.ID != "4509109078196224" {
		t.Fatalf("CreateTeam = %+v, %v", team, err)
	}
	if got := jsonText(lastBody(t, f, "POST", "/api/0/organizations/acme/teams/")); got != `{"name":"the-goats"}` {
		t.Errorf("CreateTeam body = %s", got)
	}

	p, err := c.CreateProject(ctx, "acme", "the-goats", ProjectCreate{Name: "API", Platform: "go"})
	if err != nil || p.Slug == "" {
		t.Fatalf("CreateProject = %+v, %v", p, err)
	}
	if got := jsonText(lastBody(t, f, "POST", "/api/0/teams/acme/the-goats/projects/")); got != `{"name":"API","platform":"go"}` {
		t.Errorf("CreateProject body = %s (no slug when none given)", got)
	}

	empty, renamed := "", "api-v2"
	if _, err := c.UpdateProject(ctx, "acme", "api", ProjectUpdate{Slug: &renamed, Platform: &empty}); err != nil {
		t.Fatal(err)
	}
	if got := jsonText(lastBody(t, f, "PUT", "/api/0/projects/acme/api/")); got != `{"platform":null,"slug":"api-v2"}` {
		t.Errorf("UpdateProject body = %s (an empty platform clears it)", got)
	}
	if _, err := c.UpdateProject(ctx, "acme", "api", ProjectUpdate{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("an empty update: %v", err)
	}

	teams, err := c.AllProjectTeams(ctx, "acme", "api")
	if err != nil || len(teams) != 2 {
		t.Fatalf("AllProjectTeams = %+v, %v", teams, err)
	}
	if q := lastQuery(f, "/api/0/projects/acme/api/teams/"); q != "per_page=100" {
		t.Errorf("ListProjectTeams query = %q", q)
	}
	if err := c.AddProjectTeam(ctx, "acme", "api", "the-goats"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveProjectTeam(ctx, "acme", "api", "the-goats"); err != nil {
		t.Fatal(err)
	}

	repos, _, err := c.ListRepositories(ctx, "acme", "sentry", ListOptions{Limit: 100})
	if err != nil || len(repos) != 1 || repos[0].Name != "getsentry/sentry" || repos[0].Provider.ID != "integrations:github" {
		t.Fatalf("ListRepositories = %+v, %v", repos, err)
	}
	if q := lastQuery(f, "/api/0/organizations/acme/repos/"); q != "per_page=100&query=sentry" {
		t.Errorf("ListRepositories query = %q", q)
	}
	res, err := c.CreateCodeMappings(ctx, "acme", CodeMappings{Project: "api", Repository: "getsentry/sentry", Provider: "integrations:github",
		Mappings: []CodeMapping{{}}})
	if err != nil || res.Created != 1 || res.Mappings[0].Status != "created" {
		t.Fatalf("CreateCodeMappings = %+v, %v", res, err)
	}
	if got := jsonText(lastBody(t, f, "POST", "/api/0/organizations/acme/code-mappings/bulk/")); got !=
		`{"mappings":[{"sourceRoot":"","stackRoot":""}],"project":"api","provider":"integrations:github","repository":"getsentry/sentry"}` {
		t.Errorf("CreateCodeMappings body = %s", got)
	}
}

// A write whose answer is lost may have been applied: after a 5xx it is
// never retried. A 429 comes from Sentry's rate limiter before the endpoint
// runs, so that one is retried within the call's budget.
func TestWritesAreNotRetried(t *testing.T) {
	f, c := newWriteFake(t)
	f.handle("POST /api/0/organizations/acme/teams/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, http.StatusServiceUnavailable, "try later")
	})
	f.handle("DELETE /api/0/projects/acme/api/uptime/7/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, http.StatusTooManyRequests, "slow down")
	})
	if _, err := c.CreateTeam(context.Background(), "acme", "ops"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if err := c.DeleteUptimeMonitor(context.Background(), "acme", "api", "7"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	posts, deletes := 0, 0
	for _, r := range f.requests() {
		switch r.Method {
		case http.MethodPost:
			posts++
		case http.MethodDelete:
			deletes++
		}
	}
	if posts != 1 {
		t.Errorf("%d POSTs after a 503, want 1 (no retry)", posts)
	}
	if deletes < 2 || deletes > 4 {
		t.Errorf("%d DELETEs after 429s, want a bounded retry (2-4)", deletes)
	}
}

func TestClientKeys(t *testing.T) {
	f, c := newWriteFake(t)
	ctx := context.Background()
	f.serve(t, "POST /api/0/projects/acme/api/keys/{$}", "client-key.json", f.URL)
	f.serve(t, "PUT /api/0/projects/acme/api/keys/d20df0a1ab5031c7f3c7edca9c02814d/{$}", "client-key.json", f.URL)

	k, err := c.CreateProjectKey(ctx, "acme", "api", "Production")
	if err != nil || k.ID != "d20df0a1ab5031c7f3c7edca9c02814d" || !k.IsActive || k.BrowserSDKVersion != "8.x" || !k.LoaderOptions["hasReplay"] || k.RateLimit != nil {
		t.Fatalf("CreateProjectKey = %+v, %v", k, err)
	}
	if !strings.HasPrefix(k.DSN.Public, "https://d20df0a1ab5031c7f3c7edca9c02814d@") {
		t.Errorf("public DSN = %q", k.DSN.Public)
	}
	if s := fmt.Sprintf("%+v", k); strings.Contains(s, "154001fd3dfe38130e1c7948a323fad8") {
		t.Errorf("the secret key was decoded: %s", s)
	}

	keyPath := "/api/0/projects/acme/api/keys/d20df0a1ab5031c7f3c7edca9c02814d/"
	off, name := false, "Prod"
	for _, tc := range []struct {
		u    KeyUpdate
		want string
	}{
		{KeyUpdate{Name: &name, IsActive: &off}, `{"isActive":false,"name":"Prod"}`},
		{KeyUpdate{RateLimit: &KeyRateLimit{Window: 3600, Count: 500}}, `{"rateLimit":{"count":500,"window":3600}}`},
		{KeyUpdate{RemoveRateLimit: true}, `{"rateLimit":null}`},
		{KeyUpdate{LoaderOptions: map[string]bool{"hasDebug": true, "hasReplay": false}}, `{"dynamicSdkLoaderOptions":{"hasDebug":true,"hasReplay":false}}`},
	} {
		if _, err := c.UpdateProjectKey(ctx, "acme", "api", "d20df0a1ab5031c7f3c7edca9c02814d", tc.u); err != nil {
			t.Fatal(err)
		}
		if got := jsonText(lastBody(t, f, "PUT", keyPath)); got != tc.want {
			t.Errorf("body = %s, want %s", got, tc.want)
		}
	}
	before := f.count()
	for _, u := range []KeyUpdate{{}, {RateLimit: &KeyRateLimit{Window: 1, Count: 1}, RemoveRateLimit: true}} {
		if _, err := c.UpdateProjectKey(ctx, "acme", "api", "d20df0a1ab5031c7f3c7edca9c02814d", u); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("UpdateProjectKey(%+v) = %v, want ErrInvalidArgument", u, err)
		}
	}
	if f.count() != before {
		t.Error("an invalid update reached Sentry")
	}
}

func TestUptimeMonitors(t *testing.T) {
	f, c := newWriteFake(t)
	ctx := context.Background()
	f.handle("GET /api/0/organizations/acme/uptime/{$}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "[%s]", fixtureBytes(t, "uptime-monitor.json"))
	})
	f.serve(t, "GET /api/0/projects/acme/cloudflare-mcp/uptime/4509100000001001/{$}", "uptime-monitor.json", f.URL)
	f.serve(t, "GET /api/0/projects/acme/cloudflare-mcp/uptime/4509100000001001/checks/{$}", "uptime-checks.json", f.URL)
	f.serve(t, "POST /api/0/projects/acme/cloudflare-mcp/uptime/{$}", "uptime-monitor.json", f.URL)
	f.serve(t, "PUT /api/0/projects/acme/cloudflare-mcp/uptime/4509100000001001/{$}", "uptime-monitor.json", f.URL)
	f.handle("DELETE /api/0/projects/acme/cloudflare-mcp/uptime/4509100000001001/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})

	ms, _, err := c.ListUptimeMonitors(ctx, "acme", UptimeQuery{Projects: []string{"4509109104082945"}, Environment: "production", Limit: 11})
	if err != nil || len(ms) != 1 {
		t.Fatalf("ListUptimeMonitors = %+v, %v", ms, err)
	}
	m := ms[0]
	if m.ID != "4509100000001001" || m.UptimeStatus != 1 || m.IntervalSeconds != 60 || m.Owner.Type != "team" || len(m.Headers) != 2 ||
		m.Headers[1] != [2]string{"Authorization", "Bearer secret-token"} || m.Body == nil || m.Environment != "production" {
		t.Errorf("monitor = %+v", m)
	}
	if q := lastQuery(f, "/api/0/organizations/acme/uptime/"); q != "environment=production&per_page=11&project=4509109104082945" {
		t.Errorf("ListUptimeMonitors query = %q", q)
	}
	if _, err := c.GetUptimeMonitor(ctx, "acme", "cloudflare-mcp", "4509100000001001"); err != nil {
		t.Fatal(err)
	}
	checks, _, err := c.ListUptimeChecks(ctx, "acme", "cloudflare-mcp", "4509100000001001", UptimeChecksQuery{StatsPeriod: "24h", Limit: 10})
	if err != nil || len(checks) != 2 || checks[1].CheckStatus != "failure_incident" || checks[1].HTTPStatusCode != 0 || checks[0].DurationMs != 142 {
		t.Fatalf("ListUptimeChecks = %+v, %v", checks, err)
	}

	name, link, interval, timeout, empty := "API", "https://example.com/health", 300, 5000, ""
	if _, err := c.CreateUptimeMonitor(ctx, "acme", "cloudflare-mcp", UptimeMonitorFields{Name: &name, URL: &link,
		IntervalSeconds: &interval, TimeoutMs: &timeout, Headers: [][2]string{{"Accept", "application/json"}}}); err != nil {
		t.Fatal(err)
	}
	if got := jsonText(lastBody(t, f, "POST", "/api/0/projects/acme/cloudflare-mcp/uptime/")); got !=
		`{"headers":[["Accept","application/json"]],"intervalSeconds":300,"name":"API","timeoutMs":5000,"url":"https://example.com/health"}` {
		t.Errorf("create body = %s", got)
	}
	if _, err := c.UpdateUptimeMonitor(ctx, "acme", "cloudflare-mcp", "4509100000001001", UptimeMonitorFields{Body: &empty, Owner: &empty, Headers: [][2]string{}}); err != nil {
		t.Fatal(err)
	}
	if got := jsonText(lastBody(t, f, "PUT", "/api/0/projects/acme/cloudflare-mcp/uptime/4509100000001001/")); got != `{"body":null,"headers":[],"owner":null}` {
		t.Errorf("update body = %s (empty clears)", got)
	}
	if err := c.DeleteUptimeMonitor(ctx, "acme", "cloudflare-mcp", "4509100000001001"); err != nil {
		t.Fatal(err)
	}
	before := f.count()
	if _, err := c.CreateUptimeMonitor(ctx, "acme", "cloudflare-mcp", UptimeMonitorFields{Name: &name}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("create without url: %v", err)
	}
	if _, err := c.UpdateUptimeMonitor(ctx, "acme", "cloudflare-mcp", "1", UptimeMonitorFields{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty update: %v", err)
	}
	if f.count() != before {
		t.Error("invalid calls reached Sentry")
	}
}

func TestAutofix(t *testing.T) {
	f, c := newWriteFake(t)
	ctx := context.Background()
	state := "autofix-state-none.json"
	f.handle("GET /api/0/organizations/acme/issues/API-41/autofix/{$}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(fixtureBytes(t, state))
	})
	f.serve(t, "POST /api/0/organizations/acme/issues/API-41/autofix/{$}", "autofix-start.json", f.URL)

	if s, err := c.GetAutofix(ctx, "acme", "API-41"); err != nil || s != nil {
		t.Fatalf("no run: %+v, %v", s, err)
	}
	run, err := c.StartAutofix(ctx, "acme", "API-41", "  focus on the database  ")
	if err != nil || run != "123" {
		t.Fatalf("StartAutofix = %q, %v", run, err)
	}
	if got := jsonText(lastBody(t, f, "POST", "/api/0/organizations/acme/issues/API-41/autofix/")); got != `{"instruction":"focus on the database"}` {
		t.Errorf("start body = %s", got)
	}
	if _, err := c.StartAutofix(ctx, "acme", "API-41", ""); err != nil {
		t.Fatal(err)
	}
	if got := jsonText(lastBody(t, f, "POST", "/api/0/organizations/acme/issues/API-41/autofix/")); got != `{}` {
		t.Errorf("start body without instruction = %s", got)
	}

	state = "autofix-state-explorer.json"
	s, err := c.GetAutofix(ctx, "acme", "API-41")
	if err != nil || s.Terminal() || s.Status != "processing" || s.ActiveTodo() != "Draft fix plan" || s.RunID != "21831" {
		t.Fatalf("processing run = %+v, %v", s, err)
	}
	state = "autofix-state.json"
	if s, err = c.GetAutofix(ctx, "acme", "API-41"); err != nil || !s.Terminal() {
		t.Fatalf("completed run = %+v, %v", s, err)
	}
	var rc AutofixRootCause
	var sol AutofixSolution
	if !s.Artifact("root_cause", &rc) || len(rc.FiveWhys) != 3 || !strings.Contains(rc.OneLineDescription, "bottleById") {
		t.Errorf("root cause = %+v", rc)
	}
	if !s.Artifact("solution", &sol) || len(sol.Steps) != 2 || sol.Steps[0].Title != "Share canonical ID" {
		t.Errorf("solution = %+v", sol)
	}
	if s.Artifact("no_such_thing", &rc) {
		t.Error("found an artifact that is not there")
	}
	for status, terminal := range map[string]bool{"COMPLETED": true, "error": true, "awaiting_user_input": true, "processing": false, "IN_PROGRESS": false} {
		if got := (&AutofixState{Status: status}).Terminal(); got != terminal {
			t.Errorf("Terminal(%s) = %t", status, got)
		}
	}
}

func TestOnboardingStatus(t *testing.T) {
	f, c := newWriteFake(t)
	f.serve(t, "POST /api/0/organizations/acme/onboarding/agent/status/{$}", "onboarding-agent-status.json", f.URL)
	run, err := c.UpdateOnboardingStatus(context.Background(), "acme", OnboardingUpdate{RunToken: "AbCdE12345", Stage: "create_project",
		Status: "completed", EventNote: "Created web", Extra: map[string]any{"projectSlugs": []string{"web"}}})
	if err != nil || !run.ContinueUpdates || run.Sequence != 3 || run.Stages[0].Status != "bypassed" {
		t.Fatalf("UpdateOnboardingStatus = %+v, %v", run, err)
	}
	if got := jsonText(lastBody(t, f, "POST", "/api/0/organizations/acme/onboarding/agent/status/")); got !=
		`{"eventNote":"Created web","extra":{"projectSlugs":["web"]},"runToken":"AbCdE12345","schemaVersion":1,"stage":"create_project","status":"completed"}` {
		t.Errorf("body = %s", got)
	}
}
