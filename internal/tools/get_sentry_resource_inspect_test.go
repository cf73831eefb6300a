package tools

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// get_sentry_resource hands replay, span, monitor, snapshot, conversation
// and profile URLs (and resourceType ids) to the tools that read them.
func TestGetSentryResourceInspectKinds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.fake.URL + "/organizations/acme/"
	start, end := sentrytest.ProfileChunkWindow(sentrytest.DefaultNow)
	for _, c := range []struct {
		args map[string]string
		want []string
	}{
		{map[string]string{"url": u + "explore/replays/" + sentrytest.ReplayID + "/"}, []string{"# Replay `" + sentrytest.ReplayID + "`", "## Related"}},
		{map[string]string{"url": u + "replays/7e07485f-12f9-416b-8b14-26260799b51f/"}, []string{"# Replay `" + sentrytest.ReplayID + "`"}},
		{map[string]string{"resourceType": "replay", "organizationSlug": "acme", "resourceId": "7E07485F12F9416B8B1426260799B51F"}, []string{"# Replay `" + sentrytest.ReplayID + "`"}},
		{map[string]string{"url": u + "explore/traces/trace/" + sentrytest.TraceID + "/?node=span-e5d4a6b7c8d9e0f1"}, []string{"# Span `e5d4a6b7c8d9e0f1`", "## Children (4)"}},
		{map[string]string{"url": u + "explore/traces/trace/" + sentrytest.TraceID + "/?node=span-e5d4a6b7c8d9e0f1", "resourceType": "trace"}, []string{"# Trace `" + sentrytest.TraceID + "`"}},
		{map[string]string{"url": u + "crons/checkout/nightly-import/"}, []string{"# Monitor Nightly Import (`nightly-import`)", "## Recent check-ins (the last 24h)", "## Check-ins by status"}},
		{map[string]string{"url": u + "crons/nightly-import/details/"}, []string{"# Monitor Nightly Import"}},
		{map[string]string{"url": u + "preprod/snapshots/231949/"}, []string{"# Snapshot 231949 in **acme**", "## Changed (1)"}},
		{map[string]string{"url": u + "preprod/snapshots/231949/?selectedSnapshot=" + "snapshots-iphone-16%2Fauth_login_screen.png"},
			[]string{"# Image `snapshots-iphone-16/auth_login_screen.png` of snapshot 231949", "- current: " + f.fake.URL + "/api/0/organizations/acme/", "get_snapshot_image("}},
		{map[string]string{"resourceType": "snapshot", "organizationSlug": "acme", "resourceId": "231949"}, []string{"# Snapshot 231949"}},
		{map[string]string{"url": u + "explore/conversations/conv-checkout-triage/?project=4506000000000103"}, []string{`# Conversation "Checkout worker timeouts"`}},
		{map[string]string{"resourceType": "ai_conversation", "organizationSlug": "acme", "resourceId": "conv-checkout-triage"}, []string{"## Timeline"}},
		{map[string]string{"url": u + "explore/profiling/profile/checkout/" + sentrytest.ProfileID + "/flamegraph/"}, []string{"# Profile `" + sentrytest.ProfileID + "`"}},
		{map[string]string{"url": u + "explore/profiling/profile/api/flamegraph/?profilerId=" + sentrytest.ProfilerID + "&start=" + start.Format(time.RFC3339) + "&end=" + end.Format(time.RFC3339)},
			[]string{"# Continuous profile `" + sentrytest.ProfilerID + "`"}},
	} {
		args, _ := json.Marshal(c.args)
		out, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_sentry_resource", string(args))
		if err != nil {
			t.Errorf("%s: %v", args, err)
			continue
		}
		contains(t, string(args), out, c.want...)
	}
	// The snapshot image by URL stays text: no image was downloaded.
	for _, r := range f.fake.Requests() {
		if strings.Contains(r.Path, "/snapshots/files/") {
			t.Errorf("get_sentry_resource downloaded %s", r.Path)
		}
	}
}

// Malformed ids in inspect URLs are refused before any request, and pins
// hold for them as for issues.
func TestGetSentryResourceInspectRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.fake.URL + "/organizations/acme/"
	env := f.env(sentrytest.AliceID, allScopes)
	for _, raw := range []string{
		u + "explore/replays/not-a-replay/",
		u + "crons/../x/",
		u + "preprod/snapshots/abc/",
		u + "explore/conversations/a%2Fb/",
		u + "explore/profiling/profile/checkout/zz/flamegraph/",
		u + "explore/profiling/profile/a.b/flamegraph/",
	} {
		args, _ := json.Marshal(map[string]string{"url": raw})
		_, err := f.call(env, "get_sentry_resource", string(args))
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an input error", raw, err)
		}
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("malformed URLs reached Sentry: %d requests", n)
	}
	_, err := f.pinned("acme", "checkout", "get_sentry_resource", `{"url":"`+u+`crons/api/cache-warmup/"}`)
	isInputError(t, "api's monitor, pinned to checkout", err, `pinned to project "checkout"`)
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("the refused monitor reached Sentry: %d requests", n)
	}
	_, err = f.pinned("acme", "checkout", "get_sentry_resource", `{"url":"`+u+`explore/replays/`+sentrytest.ReplayID+`/"}`)
	isInputError(t, "web's replay, pinned to checkout", err, `pinned to project "checkout"`)
}
