package tools

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestOnboardingStatusUpdate(t *testing.T) {
	args := func(update string) string {
		return `{"organizationSlug":"acme","runToken":"` + sentrytest.OnboardingRunToken + `","update":` + update + `}`
	}
	runToolCase(t, toolCase{
		tool:     "onboarding_status_update",
		args:     args(`{"stage":"create_project","status":"completed","extra":{"projectSlugs":["web"]}}`),
		want:     []string{"Onboarding status updated (create_project: completed). Continue updates: yes."},
		scope:    "org:read",
		notFound: `{"organizationSlug":"acme","runToken":"ZZZZZZZZZZ","update":{"stage":"connect_mcp","status":"active"}}`,
		badInput: []string{
			`{"organizationSlug":"acme","runToken":"` + sentrytest.OnboardingRunToken + `"}`,
			`{"organizationSlug":"acme","runToken":"short","update":{"stage":"connect_mcp","status":"active"}}`,
			`{"organizationSlug":"acme","runToken":"Rk7Tq2Wm9X!","update":{"stage":"connect_mcp","status":"active"}}`,
			args(`{"stage":"deploy","status":"active"}`),
			args(`{"stage":"connect_mcp","status":"done"}`),
			args(`{"stage":"connect_mcp"}`),
			args(`{"stage":"connect_mcp","status":"active","runStatus":"active"}`),
			args(`{"stage":"connect_mcp","status":"active","eventNote":"` + strings.Repeat("n", 257) + `"}`),
			args(`{"stage":"connect_mcp","status":"active","eventNote":"   "}`),
			args(`{"stage":"create_project","status":"completed","extra":{}}`),
			args(`{"stage":"create_project","status":"completed","extra":{"projectSlugs":[]}}`),
			args(`{"stage":"receive_verification_error","status":"completed","extra":{"issueIds":[""]}}`),
			args(`"connect_mcp"`),
		},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "onboarding_status_update", `{"organizationSlug":"globex","regionUrl":%q,"runToken":"Rk7Tq2Wm9X","update":{"stage":"connect_mcp","status":"active"}}`)
	})
}

// Updates reach Sentry as sent, by the caller; a run ended with runStatus
// says to stop, and later updates are refused by Sentry.
func TestOnboardingStatusUpdateRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	if _, err := f.call(env, "onboarding_status_update", `{"organizationSlug":"acme","runToken":"Rk7Tq2Wm9X","update":{"stage":"connect_mcp","status":"completed","eventNote":"Connected","extra":{"ignored":true}}}`); err != nil {
		t.Fatal(err)
	}
	out, err := f.call(env, "onboarding_status_update", `{"organizationSlug":"acme","runToken":"Rk7Tq2Wm9X","update":{"stage":"receive_verification_error","status":"completed","runStatus":"completed","extra":{"issueIds":["WEB-1A"]}}}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "Continue updates: no", "the run is completed; send no more updates")
	a := auditEvents(f, "onboarding.status")
	if len(a) != 2 || a[0].UserID != sentrytest.AliceID || a[0].Target != sentrytest.OnboardingRunToken {
		t.Fatalf("audit = %+v", a)
	}
	if a[0].Data["eventNote"] != "Connected" || a[0].Data["extra"] != nil || a[0].Data["schemaVersion"] == nil {
		t.Errorf("first update sent %v (extra dropped for a stage without it)", a[0].Data)
	}
	if extra, _ := a[1].Data["extra"].(map[string]any); extra == nil || len(extra["issueIds"].([]any)) != 1 {
		t.Errorf("second update sent %v", a[1].Data)
	}
	_, err = f.call(env, "onboarding_status_update", `{"organizationSlug":"acme","runToken":"Rk7Tq2Wm9X","update":{"stage":"prepare_production","status":"active"}}`)
	if msg := TokenGuide(f.fake.URL).Explain(err); err == nil || !strings.Contains(msg, "This onboarding run has ended.") {
		t.Errorf("an update after the end: %v / %q", err, msg)
	}
}
