package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestAnalyzeIssueWithSeer(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "analyze_issue_with_seer",
		// CHECKOUT-1A has a finished analysis: answered at once.
		args: `{"organizationSlug":"acme","issueId":"CHECKOUT-1A"}`,
		want: []string{"# Seer analysis of CHECKOUT-1A in **acme**", `<seer_analysis run_id="21831" status="completed">`, "## Root cause",
			"PaymentGatewayTimeout in charge", "Why:\n1. ", "## Proposed fix", "1. **Add the guard**",
			"Pull request (acme/checkout-service): https://github.com/acme/checkout-service/pull/42", "</seer_analysis>"},
		scope:    "event:read",
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ"}`,
		badInput: []string{
			`{}`,
			`{"issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","instruction":"` + strings.Repeat("i", 4097) + `"}`,
			`{"issueUrl":"https://acme.evil.example/issues/WEB-1A/"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","instruction":5}`,
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "analyze_issue_with_seer", `{"organizationSlug":"globex","issueId":"MOBILE-1A","regionUrl":%q}`)
	})
}

// waits records the pauses of a poll instead of sleeping; hook, when set,
// runs at each pause.
type waits struct {
	mu   sync.Mutex
	d    []time.Duration
	hook func(n int)
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	n := len(w.d)
	hook := w.hook
	w.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

func seerEnv(f *fixture, w *waits) *Env {
	env := f.env(sentrytest.AliceID, allScopes)
	env.Seer = SeerPolling{Sleep: w.sleep}
	return env
}

func autofixReads(f *fixture, issue string) int {
	n := 0
	for _, r := range f.fake.Requests() {
		if r.Method == http.MethodGet && r.Path == "/api/0/organizations/acme/issues/"+issue+"/autofix/" {
			n++
		}
	}
	return n
}

// A new analysis is started, followed at the reference pacing (1 s, then
// every 5 s) until Seer completes, and shown.
func TestSeerPollsToCompletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.fake.ScriptAutofix("acme", "WEB-1A", sentrytest.AutofixScript{Polls: 3, Outcome: sentrytest.AutofixCompleted}); err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	out, err := f.call(seerEnv(f, w), "analyze_issue_with_seer", `{"issueUrl":"`+f.fake.URL+`/organizations/acme/issues/WEB-1A/","instruction":"look at the cart state"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Started a new analysis (run 21832).", "- Seer is working on: Find the root cause\n", `status="completed"`,
		"## Root cause\n\nTypeError in CartSummary", "## Proposed fix")
	if strings.Count(out, "Seer is working on") != 1 {
		t.Errorf("the same step is reported more than once:\n%s", out)
	}
	if got := w.all(); len(got) != 4 || got[0] != time.Second || got[1] != 5*time.Second || got[3] != 5*time.Second {
		t.Errorf("waits = %v, want 1s then 5s ×3", got)
	}
	if n := autofixReads(f, "WEB-1A"); n != 5 {
		t.Errorf("%d state reads, want 5 (before starting, then 4 polls)", n)
	}
	a := auditEvents(f, "autofix.start")
	if len(a) != 1 || a[0].UserID != sentrytest.AliceID || a[0].Target != "WEB-1A" || a[0].Data["instruction"] != "look at the cart state" {
		t.Errorf("audit = %+v", a)
	}
}

func TestSeerEndsInErrorOrWaitingForInput(t *testing.T) {
	t.Parallel()
	for outcome, want := range map[string][]string{
		sentrytest.AutofixError:             {`status="error"`, "Seer stopped with status error: Seer could not access the repository.", "get_issue_details"},
		sentrytest.AutofixAwaitingUserInput: {`status="awaiting_user_input"`, "## Root cause", "Seer is waiting for input: Which payment provider region", "call analyze_issue_with_seer(organizationSlug='acme', issueId='API-1A') again"},
	} {
		f := newFixture(t)
		if err := f.fake.ScriptAutofix("acme", "API-1A", sentrytest.AutofixScript{Polls: 1, Outcome: outcome}); err != nil {
			t.Fatal(err)
		}
		out, err := f.call(seerEnv(f, &waits{}), "analyze_issue_with_seer", `{"organizationSlug":"acme","issueId":"API-1A"}`)
		if err != nil {
			t.Fatalf("%s: %v", outcome, err)
		}
		wantContains(t, out, want...)
		if outcome == sentrytest.AutofixError && strings.Contains(out, "## Proposed fix") {
			t.Errorf("a failed run shows a fix:\n%s", out)
		}
	}
}

// Polling stops at the time cap with a hint to ask again; the run goes on
// in Sentry.
func TestSeerGivesUpAtTheCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.fake.ScriptAutofix("acme", "WEB-1A", sentrytest.AutofixScript{Polls: 1000, Outcome: sentrytest.AutofixCompleted}); err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	env := seerEnv(f, w)
	env.Seer.Interval, env.Seer.Timeout = 5*time.Second, 20*time.Second
	out, err := f.call(env, "analyze_issue_with_seer", `{"organizationSlug":"acme","issueId":"WEB-1A"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Seer has not finished (it is still running after 20s)", "call analyze_issue_with_seer(organizationSlug='acme', issueId='WEB-1A') again")
	if n := autofixReads(f, "WEB-1A"); n != 6 {
		t.Errorf("%d state reads, want 6 (before, after start, then 4 polls in 20 s)", n)
	}
}

// A deadline shorter than the poll interval ends the wait at once instead
// of sleeping past it; a context ending during a wait ends it too.
func TestSeerRespectsTheDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.fake.ScriptAutofix("acme", "WEB-1A", sentrytest.AutofixScript{Polls: 1000, Outcome: sentrytest.AutofixCompleted}); err != nil {
		t.Fatal(err)
	}
	env := f.env(sentrytest.AliceID, allScopes)
	env.Seer = SeerPolling{First: time.Millisecond, Interval: time.Hour, Timeout: 2 * time.Hour} // real sleeps
	tool, _ := Find(Catalog(Options{Permissions: AllPermissions}), "analyze_issue_with_seer")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	out, err := tool.Call(ctx, env, json.RawMessage(`{"organizationSlug":"acme","issueId":"WEB-1A"}`))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s: it waited past the deadline", time.Since(start))
	}
	wantContains(t, out, "Seer has not finished (the call's time is running out)")

	ctx2, cancel2 := context.WithCancel(context.Background())
	w := &waits{hook: func(n int) {
		if n == 2 {
			cancel2()
		}
	}}
	env.Seer = SeerPolling{Sleep: w.sleep}
	out, err = tool.Call(ctx2, env, json.RawMessage(`{"organizationSlug":"acme","issueId":"WEB-1A"}`))
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Seer has not finished (the call's time ran out)")
}

// Sentry failing while Seer runs: three failed looks in a row end the
// wait with a hint; other errors are errors.
func TestSeerStopsAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.fake.ScriptAutofix("acme", "WEB-1A", sentrytest.AutofixScript{Polls: 1000, Outcome: sentrytest.AutofixCompleted}); err != nil {
		t.Fatal(err)
	}
	w := &waits{hook: func(n int) {
		if n == 2 { // after the first poll: Sentry goes down
			f.fake.Inject(sentrytest.Fault{Method: "GET", PathPrefix: "/api/0/organizations/acme/issues/WEB-1A/autofix/", Status: http.StatusServiceUnavailable})
		}
	}}
	out, err := f.call(seerEnv(f, w), "analyze_issue_with_seer", `{"organizationSlug":"acme","issueId":"WEB-1A"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Sentry did not answer 3 times in a row", "call analyze_issue_with_seer(organizationSlug='acme', issueId='WEB-1A') again")

	f.fake.Reset()
	if err := f.fake.ScriptAutofix("acme", "WEB-1B", sentrytest.AutofixScript{Polls: 1000, Outcome: sentrytest.AutofixCompleted}); err != nil {
		t.Fatal(err)
	}
	env := seerEnv(f, &waits{hook: func(n int) {
		if n == 2 {
			f.fake.RevokeUserTokens(sentrytest.AliceID)
		}
	}})
	if _, err := f.call(env, "analyze_issue_with_seer", `{"organizationSlug":"acme","issueId":"WEB-1B"}`); !errors.Is(err, sentry.ErrUnauthorized) {
		t.Errorf("a revoked token mid-poll: %v", err)
	}
}

// Under a project pin, another project's issue is refused before Seer is
// asked anything.
func TestSeerRespectsPinnedProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := seerEnv(f, &waits{})
	env.Org, env.Project = "acme", "checkout"
	_, err := f.call(env, "analyze_issue_with_seer", `{"issueId":"WEB-1A"}`)
	wantInputError(t, err, `pinned to project "checkout"`)
	if n := autofixReads(f, "WEB-1A"); n != 0 {
		t.Errorf("%d autofix reads", n)
	}
}

// Metric alert issues are refused without asking Seer, as the reference
// server does.
func TestSeerRefusesMetricIssues(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/0/organizations/acme/":
			_, _ = w.Write([]byte(`{"id":"1","slug":"acme","links":{"regionUrl":""}}`))
		case "/api/0/organizations/acme/issues/ALERTS-1/":
			_, _ = w.Write([]byte(`{"id":"9","shortId":"ALERTS-1","issueCategory":"metric","project":{"slug":"alerts"}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := sentry.New(sentry.Options{BaseURL: srv.URL, Token: sentry.StaticToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	tool, _ := Find(Catalog(Options{Permissions: AllPermissions}), "analyze_issue_with_seer")
	out, err := tool.Call(context.Background(), &Env{Sentry: c}, json.RawMessage(`{"organizationSlug":"acme","issueId":"ALERTS-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Seer does not analyze metric alert issues such as ALERTS-1")
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if strings.Contains(p, "autofix") {
			t.Errorf("Seer was asked: %s", p)
		}
	}
}
