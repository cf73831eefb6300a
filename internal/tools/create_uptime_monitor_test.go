package tools

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestCreateUptimeMonitor(t *testing.T) {
	base := `"organizationSlug":"acme","projectSlug":"web","name":"Docs site","url":"https://docs.acme.example/"`
	runToolCase(t, toolCase{
		tool:     "create_uptime_monitor",
		args:     `{` + base + `,"intervalSeconds":300}`,
		want:     []string{"# Created uptime monitor **Docs site** in **acme/web**", "Checks GET https://docs.acme.example/ every 5 min, timeout 5 s", "Status: active", "get_uptime_monitor_details("},
		scope:    "project:write",
		noAccess: `{` + base + `,"intervalSeconds":300}`,
		notFound: `{"organizationSlug":"acme","projectSlug":"nope","name":"x","url":"https://x.example/","intervalSeconds":60}`,
		badInput: []string{
			`{` + base + `}`,
			`{` + base + `,"intervalSeconds":90}`,
			`{` + base + `,"intervalSeconds":0}`,
			`{` + base + `,"intervalSeconds":60,"timeoutMs":999}`,
			`{` + base + `,"intervalSeconds":60,"timeoutMs":60001}`,
			`{` + base + `,"intervalSeconds":60,"method":"FETCH"}`,
			`{` + base + `,"intervalSeconds":60,"status":"paused"}`,
			`{` + base + `,"intervalSeconds":60,"owner":"alice"}`,
			`{` + base + `,"intervalSeconds":60,"headers":[["Accept"]]}`,
			`{` + base + `,"intervalSeconds":60,"headers":[["", "x"]]}`,
			`{` + base + `,"intervalSeconds":60,"headers":[["X-Evil", "a\r\nHost: other"]]}`,
			`{` + base + `,"intervalSeconds":60,"recoveryThreshold":0}`,
			`{` + base + `,"intervalSeconds":60,"environment":"` + strings.Repeat("e", 65) + `"}`,
			`{` + base + `,"intervalSeconds":60,"environment":"   "}`,
			`{` + base + `,"intervalSeconds":60,"body":null}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"x","url":"ftp://docs.acme.example/","intervalSeconds":60}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"x","url":"docs.acme.example","intervalSeconds":60}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"x","url":"https://user:pw@docs.acme.example/","intervalSeconds":60}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"  ","url":"https://docs.acme.example/","intervalSeconds":60}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"` + strings.Repeat("n", 129) + `","url":"https://docs.acme.example/","intervalSeconds":60}`,
		},
	})
}

// Everything given reaches Sentry and shows in the answer; the monitor is
// listed afterwards, created by the caller.
func TestCreateUptimeMonitorFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "create_uptime_monitor", `{"organizationSlug":"acme","projectSlug":"checkout","name":"Pay","url":"https://pay.acme.example/ping",
		"intervalSeconds":60,"timeoutMs":2500,"method":"HEAD","headers":[["Accept","*/*"],["Authorization","Bearer x"]],"status":"disabled",
		"owner":"team:payments","environment":"production","traceSampling":true,"recoveryThreshold":2,"downtimeThreshold":5}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Checks HEAD https://pay.acme.example/ping every 1 min, timeout 2500 ms", "Status: disabled",
		"down after 5 failures in a row, up again after 2 successes", "Owner: team:4506000000000012 (payments)", "Environment: production",
		"Headers: Accept: */*; Authorization: [REDACTED]", "Trace sampling: on")
	posts := writesTo(f, http.MethodPost, "/api/0/projects/acme/checkout/uptime/")
	if len(posts) != 1 || posts[0].Status != http.StatusCreated || posts[0].UserID != sentrytest.AliceID {
		t.Fatalf("want one POST as alice, got %+v", posts)
	}
	list, err := f.call(env, "find_uptime_monitors", `{"organizationSlug":"acme","projectSlug":"checkout"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, list, "| Pay |", "| disabled | HEAD https://pay.acme.example/ping | 1 min | production |")
}

// A request body may hold credentials: a failed call's error, which is
// logged, does not repeat it.
func TestUptimeBodyNotInErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct{ tool, args string }{
		{"create_uptime_monitor", `{"organizationSlug":"acme","projectSlug":"nope","name":"x","url":"https://x.example/","intervalSeconds":60,"method":"POST","body":"token=uptime-arg-secret"}`},
		{"update_uptime_monitor", `{"organizationSlug":"acme","projectSlug":"api","uptimeMonitorId":"404","body":"token=uptime-arg-secret"}`},
	} {
		_, err := f.call(f.env(sentrytest.AliceID, allScopes), c.tool, c.args)
		if err == nil {
			t.Fatalf("%s: no error", c.tool)
		}
		if strings.Contains(err.Error(), "uptime-arg-secret") || strings.Contains(TokenGuide(f.fake.URL).Explain(err), "uptime-arg-secret") {
			t.Errorf("%s: the body is in the error: %v", c.tool, err)
		}
	}
}
