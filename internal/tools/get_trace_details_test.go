package tools

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetTraceDetails(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "get_trace_details",
		args: `{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `"}`,
		want: []string{
			"# Trace `" + sentrytest.TraceID + "` in **acme**",
			"Spans: 9 · Errors: 3",
			"Projects: checkout (5 spans), web (4 spans)",
			"Root: **/checkout** (`ui.action.click`, web), 10.60 s",
			"## Errors (3)", "PaymentGatewayTimeout", "Coupon service degraded", "not attached to a fetched span",
			"## Slowest spans", "| 10.01 s | http.client | POST https://payments.example.net/v1/charges | checkout |",
			"## Span tree", "/explore/traces/trace/" + sentrytest.TraceID + "/",
			// Issues by their short ids, as Sentry shows them, not numbers.
			"· issue [CHECKOUT-1A](", "· issue [CHECKOUT-1H](",
		},
		// See TestSearchEvents for why org:read stands in for event:read
		// here and noAccess is tested on its own.
		scope:    "event:read",
		notFound: `{"organizationSlug":"acme","traceId":"00000000000000000000000000000000"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"traceId":"` + sentrytest.TraceID + `"}`,
			`{"organizationSlug":"acme","traceId":"4bf92f3577b34da6"}`,
			`{"organizationSlug":"acme","traceId":"zzf92f3577b34da6a3ce929d0e0e4736"}`,
			`{"organizationSlug":"acme","traceId":"` + sentrytest.TraceID + `","spanId":""}`,
		},
	})
}

func TestGetTraceDetailsNeedsEventRead(t *testing.T) {
	requireScope(t, "get_trace_details", `{"organizationSlug":"acme","traceId":"`+sentrytest.TraceID+`"}`, "event:read")
}

func TestGetTraceDetailsNoAccess(t *testing.T) {
	expectNoAccessOnGlobex(t, "get_trace_details", `{"organizationSlug":"globex","traceId":"`+sentrytest.TraceID+`","regionUrl":%q}`)
}

func TestGetTraceDetailsRefusesAHostileRegion(t *testing.T) {
	f := newFixture(t)
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_trace_details",
		`{"organizationSlug":"acme","traceId":"`+sentrytest.TraceID+`","regionUrl":"https://evil.example"}`)
	if !errors.Is(err, sentry.ErrUntrustedRegion) {
		t.Fatalf("err = %v, want ErrUntrustedRegion", err)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestGetTraceDetailsFocusesOnASpan(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	// Upper case ids are fine: Sentry's are lower case.
	out, err := f.call(env, "get_trace_details", `{"organizationSlug":"acme","traceId":"`+strings.ToUpper(sentrytest.TraceID)+`","spanId":"E5D4A6B7C8D9E0F1"}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"## Span `e5d4a6b7c8d9e0f1`", "Operation: `http.server`", "Child spans: 4", "Parent span: `d4c3f5a6b7c8d90a`",
		"http.status_code=504", "Error here: PaymentGatewayTimeout"} {
		if !strings.Contains(out, w) {
			t.Errorf("focused output lacks %q:\n%s", w, out)
		}
	}
	out, err = f.call(env, "get_trace_details", `{"organizationSlug":"acme","traceId":"`+sentrytest.TraceID+`","spanId":"ffffffffffffffff"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Span `ffffffffffffffff` is not among the 9 span(s)") || !strings.Contains(out, "## Errors (3)") {
		t.Errorf("an unknown span should be said, and the overview still shown:\n%s", out)
	}
}

func TestGetTraceDetailsUnknownTraceIsNotFound(t *testing.T) {
	f := newFixture(t)
	// The trace exists, but in acme: globex has no such trace.
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_trace_details",
		fmt.Sprintf(`{"organizationSlug":"globex","traceId":%q,"regionUrl":%q}`, sentrytest.TraceID, f.fake.RegionURL("de")))
	if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, "found nothing") || !strings.Contains(msg, sentrytest.TraceID) {
		t.Errorf("err = %v; guidance %q should say nothing was found for the trace", err, msg)
	}
}

// A big trace is summarized, not dumped: the tree and the tables are
// bounded and say where the rest is.
func TestTraceOverviewIsBounded(t *testing.T) {
	var spans []traceSpan
	for i := range 300 {
		n := &sentry.TraceNode{SpanID: fmt.Sprintf("%016x", i), Op: "db", Description: strings.Repeat("SELECT 1 ", 40), ProjectSlug: "api", Duration: float64(i)}
		spans = append(spans, traceSpan{n, i % 12})
	}
	tree := traceTree(spans)
	if got := strings.Count(tree, "`db`"); got != traceMaxTree {
		t.Errorf("tree shows %d spans, want %d", got, traceMaxTree)
	}
	if !strings.Contains(tree, fmt.Sprintf("Showing %d of 300 fetched spans (at most %d levels deep)", traceMaxTree, traceMaxDepth)) {
		t.Errorf("tree does not say it is partial:\n%s", tree)
	}
	slow := traceSlowest(spans)
	if got := strings.Count(slow, "| db |"); got != traceMaxSlowest {
		t.Errorf("slowest table has %d rows, want %d", got, traceMaxSlowest)
	}
	if !strings.Contains(slow, "| 299 ms | db |") {
		t.Errorf("slowest first:\n%s", slow)
	}
	var errs []traceError
	for i := range 40 {
		errs = append(errs, traceError{TraceIssue: sentry.TraceIssue{Title: fmt.Sprintf("boom %d", i), IssueID: "1"}})
	}
	if out := traceErrors("https://sentry.io", "acme", errs); strings.Count(out, "**boom") != traceMaxErrors || !strings.Contains(out, "… and 30 more") {
		t.Errorf("errors list not bounded:\n%s", out)
	}
	if n := len(tree) + len(slow); n > 8<<10 {
		t.Errorf("overview parts are %d bytes", n)
	}
}
