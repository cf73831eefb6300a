package tools

import (
	"strconv"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetIssueTagValues(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "get_issue_tag_values",
		args:     `{"organizationSlug":"acme","issueId":"WEB-1A","tagKey":"browser"}`,
		want:     []string{"# Tag `browser` of issue WEB-1A in **acme**", "| value | events | share | first seen | last seen |", "Chrome"},
		notFound: `{"organizationSlug":"acme","issueId":"WEB-1A","tagKey":"no.such.tag"}`,
		badInput: []string{
			`{"organizationSlug":"acme","issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","tagKey":"../x"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","tagKey":""}`,
			`{"tagKey":"browser"}`,
		},
	})
}

// Counts and shares come from Sentry's totals; values add up to at most the
// total, and the rest is said.
func TestGetIssueTagValuesShares(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "get_issue_tag_values", `{"issueUrl":"`+f.fake.URL+`/organizations/acme/issues/CHECKOUT-1A/","tagKey":"environment"}`)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := env.Sentry.GetIssueTagValues(t.Context(), "acme", "CHECKOUT-1A", "environment")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Events with this tag: "+strconv.Itoa(int(tv.TotalValues))) {
		t.Errorf("total missing:\n%s", out)
	}
	rows := issueTableRows(out)
	if len(rows) != len(tv.TopValues) {
		t.Fatalf("%d rows for %d values:\n%s", len(rows), len(tv.TopValues), out)
	}
	for i, v := range tv.TopValues {
		if !strings.Contains(rows[i], "| "+string(v.Value)+" | "+strconv.Itoa(int(v.Count))+" | ") || !strings.Contains(rows[i], "%") {
			t.Errorf("row %d = %q, want value %s count %d and a share", i, rows[i], v.Value, v.Count)
		}
	}
}
