package tools

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetProfileDetails(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_profile_details",
		args: `{"organizationSlug":"acme","projectSlugOrId":"checkout","profileId":"` + sentrytest.ProfileID + `"}`,
		want: []string{"# Profile `" + sentrytest.ProfileID + "` of `POST /api/checkout/pay` in **acme/checkout**",
			"- Trace: `" + sentrytest.TraceID + "`", "- Duration: 10.2 s", "Release: checkout@2.0.0", "SDK sentry.python.django 2.19.0",
			"- Thread 1 MainThread (active thread): 40 samples", "| `compute_tax` | checkout/pricing/tax.py:52 | 20% | 20% | your code |",
			"| `charge` | checkout/payments/gateway.py:118 | 0% | 80% | your code |"},
		scope:    "event:read",
		noAccess: `{"organizationSlug":"globex","projectSlugOrId":"backend","profileId":"7d6c5b4a39284716a5b4c3d2e1f0a9b8"}`,
		notFound: `{"organizationSlug":"acme","projectSlugOrId":"checkout","profileId":"00000000000000000000000000000000"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlugOrId":"checkout"}`,
			`{"organizationSlug":"acme","profileId":"` + sentrytest.ProfileID + `"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"checkout","profileId":"xyz"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"checkout","profileId":"` + sentrytest.ProfileID + `","profilerId":"` + sentrytest.ProfilerID + `"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"api","profilerId":"` + sentrytest.ProfilerID + `"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"api","profilerId":"` + sentrytest.ProfilerID + `","start":"2026-11-24T10:00:00Z"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"api","profilerId":"` + sentrytest.ProfilerID + `","start":"10am","end":"11am"}`,
		},
	})
}

func TestGetProfileDetailsContinuousAndURLs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	start, end := sentrytest.ProfileChunkWindow(sentrytest.DefaultNow)
	window := fmt.Sprintf(`"start":%q,"end":%q`, start.Add(-time.Minute).Format(time.RFC3339), end.Format(time.RFC3339))
	out := f.mustCall("get_profile_details", `{"organizationSlug":"acme","projectSlugOrId":"api","profilerId":"`+sentrytest.ProfilerID+`",`+window+`,"focusOnUserCode":false}`)
	contains(t, "continuous", out, "# Continuous profile `"+sentrytest.ProfilerID+"` in **acme/api**", "Platform: go · Release: api@release/3.4",
		"- Thread 1 main: 20 samples", "- Thread 2 gc worker: 10 samples", "| `(*Conn).Query` | pgx/v5/conn.go:690 | 33% | 33% | library |")
	u := f.fake.URL + "/organizations/acme/explore/profiling/profile/api/flamegraph/?profilerId=" + sentrytest.ProfilerID +
		"&start=" + start.Format(time.RFC3339) + "&end=" + end.Format(time.RFC3339)
	contains(t, "continuous by URL", f.mustCall("get_profile_details", fmt.Sprintf(`{"profileUrl":%q}`, u)), "# Continuous profile")
	u = f.fake.URL + "/organizations/acme/explore/profiling/profile/checkout/" + sentrytest.ProfileID + "/flamegraph/"
	contains(t, "transaction by URL", f.mustCall("get_profile_details", fmt.Sprintf(`{"profileUrl":%q}`, u)), "# Profile `"+sentrytest.ProfileID+"`")
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_profile_details", `{"organizationSlug":"acme","projectSlugOrId":"api","profilerId":"`+sentrytest.ProfilerID+`","start":"2020-01-01T00:00:00Z","end":"2020-01-01T01:00:00Z"}`)
	if msg := TokenGuide(f.fake.URL).Explain(err); err == nil || !strings.Contains(msg, "found nothing") {
		t.Errorf("a window without chunks: %v", err)
	}
}
