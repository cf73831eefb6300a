package tools

import (
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetSpanDetails(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_span_details",
		args: `{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `","spanId":"E5D4A6B7C8D9E0F1"}`,
		want: []string{"# Span `e5d4a6b7c8d9e0f1` of trace `" + sentrytest.TraceID + "` in **acme**",
			"?node=span-e5d4a6b7c8d9e0f1", "- Operation: `http.server`", "- Duration: 10.20 s · Status: internal_error",
			"- Error here: PaymentGatewayTimeout", "## Parents (nearest first)", "- `ui.action.click` /checkout (a1f0c2d3e4b5a697)",
			"## Children (4)", "`http.client` POST https://payments.example.net/v1/charges — 10.01 s (deadline_exceeded) · span `1827a9e0f1b2c324`"},
		scope:    "event:read",
		noAccess: `{"organizationSlug":"globex","traceId":"` + sentrytest.TraceID + `","spanId":"e5d4a6b7c8d9e0f1"}`,
		notFound: `{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `","spanId":"ffffffffffffffff"}`,
		badInput: []string{
			`{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `"}`,
			`{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `","spanId":""}`,
			`{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `","spanId":"e5d4a6b7"}`,
			`{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `","spanId":"../../admin/x1234"}`,
			`{"organizationSlug":"acme","traceId":"xyz","spanId":"e5d4a6b7c8d9e0f1"}`,
		},
	})
}

// A root span has no parents; a leaf has no children.
func TestGetSpanDetailsEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := f.mustCall("get_span_details", `{"organizationSlug":"acme","traceId":"`+sentrytest.TraceID+`","spanId":"a1f0c2d3e4b5a697"}`)
	contains(t, "root", out, "## Children (3)")
	lacks(t, "root", out, "## Parents")
	out = f.mustCall("get_span_details", `{"organizationSlug":"acme","traceId":"`+sentrytest.TraceID+`","spanId":"f6e5b7c8d9e0f102"}`)
	contains(t, "leaf", out, "- `http.server` POST /api/checkout/pay (e5d4a6b7c8d9e0f1)")
	lacks(t, "leaf", out, "## Children")
}
