package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetSentryResource(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "get_sentry_resource",
		args: `{"resourceType":"issue","organizationSlug":"acme","resourceId":"web-1a"}`,
		// The issue itself, as get_issue_details shows it: not a summary.
		want: []string{"# WEB-1A: TypeError", "**Status**: unresolved", "**Permalink**:", "Showing the latest event.", "### Exception"},
		// See TestSearchEvents for why org:read stands in for event:read.
		// noAccess needs a region URL this tool has no parameter for (see
		// the report on org lookup).
		scope:    "event:read",
		notFound: `{"resourceType":"issue","organizationSlug":"acme","resourceId":"WEB-ZZZZ"}`,
		badInput: []string{
			`{}`,
			`{"url":5}`,
			`{"resourceType":"bogus","organizationSlug":"acme","resourceId":"x"}`,
			`{"resourceType":"issue","resourceId":"WEB-1A"}`,
			`{"resourceType":"issue","organizationSlug":"acme"}`,
			`{"resourceType":"issue","organizationSlug":"acme","resourceId":"../../admin"}`,
			`{"resourceType":"trace","organizationSlug":"acme","resourceId":"not-a-trace"}`,
			`{"resourceType":"event","organizationSlug":"acme","resourceId":"latest"}`,
			`{"resourceType":"replay","organizationSlug":"acme","resourceId":"abc"}`,
			`{"resourceType":"ai_conversation","organizationSlug":"acme","resourceId":"../conv"}`,
			`{"resourceType":"snapshot","organizationSlug":"acme","resourceId":"12a"}`,
			`{"url":"https://evil.example/organizations/acme/issues/WEB-1A/"}`,
			`{"url":"/organizations/acme/issues/WEB-1A/"}`,
		},
	})
}

func TestGetSentryResourceNeedsEventRead(t *testing.T) {
	requireScope(t, "get_sentry_resource", `{"resourceType":"issue","organizationSlug":"acme","resourceId":"WEB-1A"}`, "event:read")
}

// A URL is parsed, never fetched: hosts other than Sentry's, user
// information, look-alike hosts, other ports and schemes, and path tricks
// are refused before any request.
func TestGetSentryResourceRefusesHostileURLs(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	u, err := url.Parse(f.fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	host, port := u.Hostname(), u.Port()
	const path = "/organizations/acme/issues/WEB-1A/"
	for _, raw := range []string{
		"https://evil.example" + path,
		"http://evil.example:" + port + path,
		"http://alice@" + host + ":" + port + path,
		"http://" + host + ":" + port + "@evil.example" + path,
		"http://" + host + ".evil.example:" + port + path,
		"http://evil" + host + ":" + port + path,
		"http://acme.evil.example:" + port + path,
		"http://" + host + ":1" + path,
		"https://" + host + ":" + port + path,
		"ftp://" + host + ":" + port + path,
		"javascript:alert(1)//" + host + path,
		"file:///etc/passwd",
		"http://" + host + ":" + port + "/organizations/acme/issues/..%2F..%2Fadmin/",
		"http://" + host + ":" + port + "/organizations/acme/..%2Fglobex/issues/MOBILE-1A/",
		"http://evil.example/?next=" + url.QueryEscape(f.fake.URL+path),
		f.fake.URL + "/settings/account/api/auth-tokens/",
	} {
		args, _ := json.Marshal(map[string]string{"url": raw})
		_, err := f.call(env, "get_sentry_resource", string(args))
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("url %q: err = %v, want *InputError", raw, err)
		}
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("hostile URLs reached Sentry: %d requests", n)
	}
}

func TestGetSentryResourceKinds(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	latest, err := env.Sentry.GetIssueEvent(context.Background(), "acme", "WEB-1A", sentry.EventLatest)
	if err != nil {
		t.Fatal(err)
	}
	eventID := string(latest.EventID)
	type resourceCase struct {
		args string
		want []string
	}
	var cases []resourceCase
	add := func(args string, want ...string) { cases = append(cases, resourceCase{args, want}) }
	add(`{"url":"`+f.fake.URL+`/organizations/acme/issues/WEB-1A/"}`, "# WEB-1A: TypeError")
	add(`{"url":"`+f.fake.URL+`/organizations/acme/issues/WEB-1A/events/latest/"}`,
		"# WEB-1A: TypeError", "## Event "+eventID, "**TypeError**", "get_trace_details(organizationSlug='acme', traceId='"+sentrytest.TraceID+"')")
	add(`{"resourceType":"event","organizationSlug":"acme","resourceId":"`+eventID+`"}`,
		"# WEB-1A: TypeError", "- **Project**: web", "## Event "+eventID)
	add(`{"url":"`+f.fake.URL+`/organizations/acme/explore/traces/trace/`+sentrytest.TraceID+`/"}`, "# Trace `"+sentrytest.TraceID+"`", "Spans: 9")
	add(`{"resourceType":"trace","organizationSlug":"acme","resourceId":"`+strings.ToUpper(sentrytest.TraceID)+`"}`, "## Errors (3)")
	add(`{"url":"`+f.fake.URL+`/organizations/acme/releases/web%401.2.3%2Bbuild.4/"}`, "# Release `web@1.2.3+build.4` in **acme**", "/releases/web@1.2.3+build.4/", "get_release_details(")
	add(`{"url":"`+f.fake.URL+`/organizations/acme/projects/checkout/"}`, "# Project **checkout** in **acme**", "**Platform**: python-django")
	add(`{"resourceType":"monitor","organizationSlug":"acme","resourceId":"nightly-import"}`, "# Monitor Nightly Import (`nightly-import`) in **acme**", "- staging: missed_checkin")
	add(`{"url":"`+f.fake.URL+`/organizations/acme/issues/WEB-1A/","resourceType":"issue","organizationSlug":"acme"}`, "# WEB-1A")
	for _, c := range cases {
		out, err := f.call(env, "get_sentry_resource", c.args)
		if err != nil {
			t.Errorf("%s: %v", c.args, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.args, w, out)
			}
		}
	}
}

func TestGetSentryResourceConflictsAndPins(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	issueURL := f.fake.URL + "/organizations/acme/issues/WEB-1A/"
	for _, args := range []string{
		`{"url":"` + issueURL + `","resourceType":"trace"}`,
		`{"url":"` + issueURL + `","organizationSlug":"globex"}`,
	} {
		var ie *InputError
		if _, err := f.call(env, "get_sentry_resource", args); !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want *InputError", args, err)
		}
	}
	// A connection pinned to globex never reads acme, by URL or by id.
	pinned := f.env(sentrytest.AliceID, allScopes)
	pinned.Org = "globex"
	tool, _ := Find(Catalog(Options{Org: "globex"}), "get_sentry_resource")
	for _, args := range []string{`{"url":"` + issueURL + `"}`, `{"resourceType":"issue","organizationSlug":"acme","resourceId":"WEB-1A"}`} {
		_, err := tool.Call(context.Background(), pinned, json.RawMessage(args))
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Problem, "pinned") {
			t.Errorf("pinned %s: err = %v, want a pinned-organization InputError", args, err)
		}
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("refused calls reached Sentry: %d requests", n)
	}
}

func TestGetSentryResourceUnknownEventIsNotFound(t *testing.T) {
	f := newFixture(t)
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "get_sentry_resource",
		`{"resourceType":"event","organizationSlug":"acme","resourceId":"0123456789abcdef0123456789abcdef"}`)
	if !errors.Is(err, sentry.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
