package sentrytest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// manageScopes are every scope the project-management endpoints need.
var manageScopes = []string{"org:read", "project:read", "project:write", "team:read", "team:write", "event:read", "alerts:write", "org:integrations"}

func send(t *testing.T, method, u, token, body string) resp {
	t.Helper()
	var rd *bytes.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
		return do(t, method, u, token, rd)
	}
	return do(t, method, u, token, nil)
}

// Every write checks the token's scope (403 naming it) and the member's
// role (403 for bob, a member), and only the owner's request changes
// anything.
func TestManageWritesCheckScopeAndRole(t *testing.T) {
	for _, c := range []struct {
		method, path, body, scope string
		ok                        int
	}{
		{"POST", "/organizations/acme/teams/", `{"name":"Ops"}`, "team:write", http.StatusCreated},
		{"POST", "/teams/acme/payments/projects/", `{"name":"Billing"}`, "project:write", http.StatusCreated},
		{"PUT", "/projects/acme/web/", `{"name":"Storefront"}`, "project:write", http.StatusOK},
		{"POST", "/projects/acme/checkout/teams/frontend/", `{}`, "project:write", http.StatusCreated},
		{"DELETE", "/projects/acme/web/teams/platform/", ``, "project:write", http.StatusOK},
		{"POST", "/projects/acme/web/keys/", `{"name":"Mobile"}`, "project:write", http.StatusCreated},
		{"POST", "/projects/acme/web/uptime/", `{"name":"x","url":"https://x.example/","intervalSeconds":60,"timeoutMs":5000}`, "project:write", http.StatusCreated},
		{"PUT", "/projects/acme/api/uptime/" + UptimePublicAPIID + "/", `{"status":"disabled"}`, "project:write", http.StatusOK},
		{"DELETE", "/projects/acme/api/uptime/" + UptimePublicAPIID + "/", ``, "project:write", http.StatusAccepted},
		{"POST", "/organizations/acme/code-mappings/bulk/", `{"project":"web","repository":"acme/web-frontend","mappings":[{"stackRoot":"","sourceRoot":""}]}`, "org:ci", http.StatusOK},
	} {
		f := newTestFake(t)
		u := f.URL + "/api/0" + c.path
		var without []string
		for _, s := range manageScopes {
			if s != c.scope && !(c.scope == "project:write" && s == "alerts:write") && !(c.scope == "org:ci" && s == "org:integrations") {
				without = append(without, s)
			}
		}
		if r := send(t, c.method, u, f.IssueToken(AliceID, without, 0), c.body); r.status != http.StatusForbidden || !strings.Contains(r.detail(t), "scope: "+c.scope) {
			t.Errorf("%s %s without %s: %d %s", c.method, c.path, c.scope, r.status, r.body)
		}
		if r := send(t, c.method, u, f.IssueToken(BobID, manageScopes, 0), c.body); r.status != http.StatusForbidden || r.detail(t) != DetailNoPermission {
			t.Errorf("%s %s as bob: %d %s", c.method, c.path, r.status, r.body)
		}
		if n := len(f.AuditLog()); n != 0 {
			t.Fatalf("%s %s: refused requests changed something: %+v", c.method, c.path, f.AuditLog())
		}
		if r := send(t, c.method, u, f.IssueToken(AliceID, manageScopes, 0), c.body); r.status != c.ok {
			t.Errorf("%s %s as alice: %d %s", c.method, c.path, r.status, r.body)
		}
		if a := f.AuditLog(); len(a) != 1 || a[0].UserID != AliceID || a[0].Org != "acme" {
			t.Errorf("%s %s: audit %+v", c.method, c.path, a)
		}
	}
}

func TestUptimeValidation(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, manageScopes, 0)
	u := f.URL + "/api/0/projects/acme/web/uptime/"
	for body, field := range map[string]string{
		`{"url":"https://x.example/","intervalSeconds":60,"timeoutMs":5000}`:                                  "name",
		`{"name":"x","url":"ftp://x.example/","intervalSeconds":60,"timeoutMs":5000}`:                         "url",
		`{"name":"x","url":"https://x.example/","intervalSeconds":90,"timeoutMs":5000}`:                       "intervalSeconds",
		`{"name":"x","url":"https://x.example/","intervalSeconds":60,"timeoutMs":500}`:                        "timeoutMs",
		`{"name":"x","url":"https://x.example/","intervalSeconds":60,"timeoutMs":5000,"method":"GO"}`:         "method",
		`{"name":"x","url":"https://x.example/","intervalSeconds":60,"timeoutMs":5000,"headers":[["a"]]}`:     "headers",
		`{"name":"x","url":"https://x.example/","intervalSeconds":60,"timeoutMs":5000,"owner":"team:nope"}`:   "owner",
		`{"name":"x","url":"https://x.example/","intervalSeconds":60,"timeoutMs":5000,"downtimeThreshold":0}`: "downtimeThreshold",
	} {
		r := send(t, "POST", u, tok, body)
		var errs map[string][]string
		if r.status != http.StatusBadRequest || json.Unmarshal(r.body, &errs) != nil || len(errs[field]) == 0 {
			t.Errorf("%s: %d %s, want 400 on %s", body, r.status, r.body, field)
		}
	}
	if len(f.AuditLog()) != 0 {
		t.Error("an invalid monitor was created")
	}
	// A monitor of another project is not there.
	if r := get(t, f.URL+"/api/0/projects/acme/web/uptime/"+UptimePublicAPIID+"/", tok); r.status != http.StatusNotFound {
		t.Errorf("monitor via the wrong project: %d", r.status)
	}
}

// Autofix: none, then a started run reports processing for the scripted
// number of reads, then its outcome.
func TestAutofixRuns(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(BobID, ReadScopes, 0) // members may start Seer with event:read
	u := f.URL + "/api/0/organizations/acme/issues/WEB-1A/autofix/"
	status := func() string {
		var v struct {
			Autofix *struct {
				Status string `json:"status"`
				RunID  int    `json:"run_id"`
			} `json:"autofix"`
		}
		get(t, u, tok).json(t, &v)
		if v.Autofix == nil {
			return "none"
		}
		return v.Autofix.Status
	}
	if s := status(); s != "none" {
		t.Fatalf("before: %s", s)
	}
	if err := f.ScriptAutofix("acme", "WEB-1A", AutofixScript{Polls: 2, Outcome: AutofixError}); err != nil {
		t.Fatal(err)
	}
	r := send(t, "POST", u, tok, `{"instruction":"look at the cart"}`)
	var started struct {
		RunID int `json:"run_id"`
	}
	if r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	r.json(t, &started)
	var got []string
	for range 4 {
		got = append(got, status())
	}
	if strings.Join(got, ",") != "processing,processing,error,error" {
		t.Errorf("states = %v", got)
	}
	if a := f.AuditLog(); len(a) != 1 || a[0].UserID != BobID || a[0].Data["runId"] != started.RunID || a[0].Data["instruction"] != "look at the cart" {
		t.Errorf("audit = %+v", a)
	}
	if r := send(t, "POST", u, f.IssueToken(AliceID, []string{"org:read"}, 0), `{}`); r.status != http.StatusForbidden {
		t.Errorf("start without event:read: %d", r.status)
	}
}

func TestOnboardingRun(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(BobID, []string{"org:read"}, 0)
	u := f.URL + "/api/0/organizations/acme/onboarding/agent/status/"
	body := func(extra string) string {
		return `{"schemaVersion":1,"runToken":"` + OnboardingRunToken + `","stage":"connect_mcp","status":"completed"` + extra + `}`
	}
	if r := send(t, "POST", u, tok, body(``)); r.status != http.StatusOK || !strings.Contains(string(r.body), `"continueUpdates":true`) {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	for _, bad := range []string{body(`,"runStatus":"paused"`), strings.Replace(body(``), `"schemaVersion":1`, `"schemaVersion":2`, 1),
		strings.Replace(body(``), "connect_mcp", "deploy", 1)} {
		if r := send(t, "POST", u, tok, bad); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
	if r := send(t, "POST", u, tok, strings.Replace(body(``), OnboardingRunToken, "AAAAAAAAAA", 1)); r.status != http.StatusNotFound {
		t.Errorf("unknown run: %d", r.status)
	}
	if r := send(t, "POST", u, tok, body(`,"runStatus":"failed"`)); !strings.Contains(string(r.body), `"continueUpdates":false`) {
		t.Errorf("ending update: %s", r.body)
	}
	if r := send(t, "POST", u, tok, body(``)); r.status != http.StatusConflict {
		t.Errorf("after the end: %d", r.status)
	}
}

// Seeded data stays deterministic: two fakes list identical monitors and
// checks.
func TestManageSeedIsDeterministic(t *testing.T) {
	a, b := newTestFake(t), newTestFake(t)
	for _, path := range []string{"/organizations/acme/uptime/", "/projects/acme/api/uptime/" + UptimePublicAPIID + "/checks/?per_page=100&statsPeriod=7d"} {
		ra := get(t, a.URL+"/api/0"+path, a.IssueToken(AliceID, manageScopes, 0))
		rb := get(t, b.URL+"/api/0"+path, b.IssueToken(AliceID, manageScopes, 0))
		if ra.status != http.StatusOK || !bytes.Equal(ra.body, bytes.ReplaceAll(rb.body, []byte(b.URL), []byte(a.URL))) {
			t.Errorf("%s differs between fakes (%d)", path, ra.status)
		}
	}
}
