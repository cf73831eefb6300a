package tools

import (
	"errors"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetIssueBreadcrumbs(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "get_issue_breadcrumbs",
		args:     `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		want:     []string{"# Breadcrumbs of issue WEB-1A in **acme**", "| time (UTC) | level | category | message | data |", "navigation", "ui.click"},
		notFound: `{"organizationSlug":"acme","issueId":"WEB-1A","eventId":"0123456789abcdef0123456789abcdef"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","eventId":"newest"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","eventId":"0123"}`,
			`{"issueId":"WEB-1A","eventId":"latest"}`,
		},
	})
}

// Breadcrumbs come from the event asked for, oldest first, with their data.
func TestGetIssueBreadcrumbsOfAnEvent(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	oldest := oldestEventID(t, f, "acme", "CHECKOUT-1A")
	out, err := f.call(env, "get_issue_breadcrumbs", `{"organizationSlug":"acme","issueId":"CHECKOUT-1A","eventId":"`+oldest+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Event "+oldest) {
		t.Errorf("not the event asked for:\n%s", out)
	}
	rows := issueTableRows(out)
	if len(rows) < 2 {
		t.Fatalf("rows:\n%s", out)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i-1] > rows[i] { // rows start with the timestamp
			t.Errorf("not oldest first:\n%s", out)
		}
	}
	if !strings.Contains(out, `"url":"https://payments.example.net/v1/charges"`) {
		t.Errorf("breadcrumb data missing:\n%s", out)
	}
	// The event of an event URL is used; a different eventId is refused.
	url := f.fake.URL + "/organizations/acme/issues/CHECKOUT-1A/events/" + oldest + "/"
	if out, err := f.call(env, "get_issue_breadcrumbs", `{"issueUrl":"`+url+`"}`); err != nil || !strings.Contains(out, "Event "+oldest) {
		t.Errorf("event URL: err %v\n%s", err, out)
	}
	_, err = f.call(env, "get_issue_breadcrumbs", `{"issueUrl":"`+url+`","eventId":"0123456789abcdef0123456789abcdef"}`)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("conflicting eventId: err = %v", err)
	}
}
