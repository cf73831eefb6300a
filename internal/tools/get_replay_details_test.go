package tools

import (
	"fmt"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetReplayDetails(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_replay_details",
		args: `{"organizationSlug":"acme","replayId":"7e07485f-12f9-416b-8b14-26260799b51f"}`,
		want: []string{"# Replay `" + sentrytest.ReplayID + "` in **acme**", "/organizations/acme/explore/replays/" + sentrytest.ReplayID + "/",
			"Duration: 5m 0s", "- User: Dana Shopper · Environment: production · Release: web@1.2.3+build.4",
			"- Browser: Chrome 131.0 · OS: macOS 15.1 · Device: Mac", "- Pages: /cart, /checkout", "Rage clicks: 3",
			"## Activity", "- T+0 ms `page.view` https://shop.acme.example/cart", "`navigation.navigate` https://shop.acme.example/checkout (710 ms)",
			"`console` TypeError: Cannot read properties of undefined (reading 'items')",
			"## Related", ": **WEB-1A** TypeError", ": **CHECKOUT-1A** PaymentGatewayTimeout", "- Trace `" + sentrytest.TraceID + "`: 9 spans, 3 errors"},
		scope:    "event:read",
		noAccess: `{"organizationSlug":"globex","replayId":"` + sentrytest.GlobexReplayID + `"}`,
		notFound: `{"organizationSlug":"acme","replayId":"00000000000000000000000000000000"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme"}`,
			`{"replayId":"` + sentrytest.ReplayID + `"}`,
			`{"organizationSlug":"acme","replayId":"not-a-replay"}`,
			`{"organizationSlug":"acme","replayId":"../../../issues"}`,
			`{"replayUrl":"https://evil.example/explore/replays/` + sentrytest.ReplayID + `/"}`,
			`{"replayUrl":"not a url"}`,
		},
	})
}

func TestGetReplayDetailsURLsArchiveAndPins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, u := range []string{
		f.fake.URL + "/organizations/acme/explore/replays/" + sentrytest.ReplayID + "/",
		f.fake.URL + "/organizations/acme/replays/7e07485f-12f9-416b-8b14-26260799b51f/?query=",
	} {
		contains(t, u, f.mustCall("get_replay_details", fmt.Sprintf(`{"replayUrl":%q}`, u)), "# Replay `"+sentrytest.ReplayID+"`")
	}
	env := f.env(sentrytest.AliceID, allScopes)
	_, err := f.call(env, "get_replay_details", fmt.Sprintf(`{"replayUrl":%q}`, f.fake.URL+"/organizations/acme/issues/WEB-1A/"))
	isInputError(t, "an issue URL", err, "not a replay")
	_, err = f.call(env, "get_replay_details", fmt.Sprintf(`{"replayUrl":%q,"organizationSlug":"globex"}`, f.fake.URL+"/organizations/acme/replays/"+sentrytest.ReplayID+"/"))
	isInputError(t, "conflicting organizations", err, "give only the URL")

	f.fake.ClearRequests()
	out := f.mustCall("get_replay_details", `{"organizationSlug":"acme","replayId":"`+sentrytest.ArchivedReplayID+`"}`)
	contains(t, "archived", out, "archived (recording deleted)", "The recording is archived")
	if f.requested("recording-segments") {
		t.Error("an archived replay's recording was asked for")
	}
	out = f.mustCall("get_replay_details", fmt.Sprintf(`{"organizationSlug":"globex","replayId":%q,"regionUrl":%q}`, sentrytest.GlobexReplayID, f.fake.RegionURL("de")))
	contains(t, "globex", out, "Device: iPhone 16", "**MOBILE-1A**")

	if _, err := f.pinned("acme", "web", "get_replay_details", `{"replayId":"`+sentrytest.ReplayID+`"}`); err != nil {
		t.Errorf("web's replay pinned to web: %v", err)
	}
	_, err = f.pinned("acme", "checkout", "get_replay_details", `{"replayId":"`+sentrytest.ReplayID+`"}`)
	isInputError(t, "web's replay pinned to checkout", err, `pinned to project "checkout"`)
	_, err = f.pinned("globex", "", "get_replay_details", fmt.Sprintf(`{"replayUrl":%q}`, f.fake.URL+"/organizations/acme/replays/"+sentrytest.ReplayID+"/"))
	isInputError(t, "acme's replay pinned to globex", err, `pinned to organization "globex"`)
}

// A replay's recording that fails to load (here: too large, or 500s)
// leaves the rest of the answer; a missing scope does not.
func TestGetReplayDetailsRecordingTrouble(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/projects/acme/4506000000000101/replays/", Status: 500})
	out := f.mustCall("get_replay_details", `{"organizationSlug":"acme","replayId":"`+sentrytest.ReplayID+`"}`)
	contains(t, "recording failing", out, "The recording could not be read", "## Related")
}
