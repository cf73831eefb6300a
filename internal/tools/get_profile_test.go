package tools

import (
	"fmt"
	"testing"
)

func TestGetProfile(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_profile",
		args: `{"organizationSlug":"acme","projectSlugOrId":"checkout","transactionName":"POST /api/checkout/pay"}`,
		want: []string{"# CPU profile of `POST /api/checkout/pay` in **acme/checkout** (last 7d)", "- Platform: python · Profiles: 1 · Samples: 100",
			"## Slowest functions of your code", "| `charge` | checkout/payments/gateway.py:118 | 10.0 s | 80% | 125 ms |", "⚠",
			"## Hot paths", "1. 80% of samples, 10.0 s: `pay` checkout/api/views.py:41 → `charge` checkout/payments/gateway.py:118"},
		scope:    "event:read",
		noAccess: `{"organizationSlug":"globex","projectSlugOrId":"4506000000000202","transactionName":"POST /orders"}`,
		notFound: `{"organizationSlug":"acme","projectSlugOrId":"nope","transactionName":"x"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","projectSlugOrId":"checkout"}`,
			`{"organizationSlug":"acme","transactionName":"x"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"a/b","transactionName":"x"}`,
			`{"organizationSlug":"acme","projectSlugOrId":1.5,"transactionName":"x"}`,
			`{"organizationSlug":"acme","projectSlugOrId":true,"transactionName":"x"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"checkout","transactionName":"x","period":"week"}`,
			`{"organizationSlug":"acme","projectSlugOrId":"checkout","transactionName":"x","maxHotPaths":21}`,
			`{"profileUrl":"https://evil.example/organizations/acme/profiling/profile/checkout/flamegraph/","transactionName":"x"}`,
		},
	})
}

func TestGetProfileComparisonAndForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := f.mustCall("get_profile", `{"organizationSlug":"acme","projectSlugOrId":4506000000000102,"transactionName":"POST /api/checkout/pay","compareAgainstPeriod":"30d"}`)
	contains(t, "comparison", out, "last 7d vs last 30d", "function(s) got more than 20% slower per call",
		"| `charge` | checkout/payments/gateway.py:118 | 40 ms | 125 ms | +212% 🔺 |", "| `compute_tax` | checkout/pricing/tax.py:52 | 8 ms | 8 ms | +0% |")
	if f.requested("/projects/acme/") {
		t.Error("a numeric project id was looked up")
	}
	out = f.mustCall("get_profile", `{"organizationSlug":"acme","projectSlugOrId":"checkout","transactionName":"POST /api/checkout/pay","focusOnUserCode":false,"maxHotPaths":1}`)
	contains(t, "with libraries", out, "`Session.post`", "[library]")
	lacks(t, "one hot path", out, "\n2. ")
	contains(t, "unknown transaction", f.mustCall("get_profile", `{"organizationSlug":"acme","projectSlugOrId":"checkout","transactionName":"GET /nothing"}`),
		"No profiles of `GET /nothing`")
	u := f.fake.URL + "/organizations/acme/explore/profiling/profile/checkout/flamegraph/"
	contains(t, "from a URL", f.mustCall("get_profile", fmt.Sprintf(`{"profileUrl":%q,"transactionName":"POST /api/checkout/pay"}`, u)), "in **acme/checkout**")
	_, err := f.pinned("acme", "web", "get_profile", fmt.Sprintf(`{"profileUrl":%q,"transactionName":"POST /api/checkout/pay"}`, u))
	isInputError(t, "another project's URL, pinned", err, `pinned to project "web"`)
}
