package tools

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetIssueDetails(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "get_issue_details",
		args: `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		want: []string{"# WEB-1A: TypeError", "- **Status**: unresolved (new)", "- **Events**: 1834 · **Users**: 412",
			"- **Assignee**: unassigned", "- **Permalink**: ", "Showing the latest event.", "### Exception",
			"at CartSummary (src/components/CartSummary.tsx:42", "### Request", "### Tags", "### Contexts",
			"get_trace_details(organizationSlug='acme', traceId='4bf92f3577b34da6a3ce929d0e0e4736')"},
		// scope: see TestIssueToolsNeedEventRead.
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","eventId":"latest"}`,
			`{"organizationSlug":"acme","eventId":"not-hex"}`,
			`{"eventId":"c49541c747cb4d8aa3efb70ca5aba243"}`,
			`{"issueUrl":"https://evil.example/organizations/acme/issues/WEB-1A/"}`,
			`{"organizationSlug":"acme","issueId":5}`,
		},
	})
}

// eventReadWithheld is allScopes without event:read and event:write: event:write
// implies event:read, so the harness's missing-scope case, which withholds
// one scope, cannot take event:read away from a tool.
var eventReadWithheld = slices.DeleteFunc(slices.Clone(allScopes), func(s string) bool { return strings.HasPrefix(s, "event:") })

func TestIssueToolsNeedEventRead(t *testing.T) {
	for tool, args := range map[string]string{
		"search_issues":         `{"organizationSlug":"acme"}`,
		"get_issue_details":     `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		"search_issue_events":   `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		"get_issue_tag_values":  `{"organizationSlug":"acme","issueId":"WEB-1A","tagKey":"browser"}`,
		"get_issue_activity":    `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		"get_issue_breadcrumbs": `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		"get_event_stacktrace":  `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
	} {
		t.Run(tool, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.call(f.env(sentrytest.AliceID, eventReadWithheld), tool, args)
			if !errors.Is(err, sentry.ErrMissingScope) {
				t.Fatalf("err = %v, want ErrMissingScope", err)
			}
			if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, "event:read") {
				t.Errorf("guidance does not name event:read: %q", msg)
			}
			tl, _ := Find(Catalog(Options{}), tool)
			if !slices.Contains(tl.Scopes, "event:read") {
				t.Errorf("Scopes = %v, want event:read", tl.Scopes)
			}
		})
	}
}

// Bob is not a member of globex: with its region given, Sentry answers 403
// and the guidance says so. (Without regionUrl the organization lookup
// fails first, as "not one this Sentry account can see".)
func TestIssueToolsNoAccess(t *testing.T) {
	for tool, args := range map[string]string{
		"search_issues":         `{"organizationSlug":"globex"`,
		"get_issue_details":     `{"organizationSlug":"globex","issueId":"MOBILE-1A"`,
		"search_issue_events":   `{"organizationSlug":"globex","issueId":"MOBILE-1A"`,
		"get_issue_tag_values":  `{"organizationSlug":"globex","issueId":"MOBILE-1A","tagKey":"device"`,
		"get_issue_activity":    `{"organizationSlug":"globex","issueId":"MOBILE-1A"`,
		"get_issue_breadcrumbs": `{"organizationSlug":"globex","issueId":"MOBILE-1A"`,
		"get_event_stacktrace":  `{"organizationSlug":"globex","issueId":"MOBILE-1A"`,
	} {
		t.Run(tool, func(t *testing.T) {
			f := newFixture(t)
			withRegion := args + `,"regionUrl":"` + f.fake.RegionURL("de") + `"}`
			if _, err := f.call(f.env(sentrytest.AliceID, allScopes), tool, withRegion); err != nil {
				t.Fatalf("alice: %v", err)
			}
			_, err := f.call(f.env(sentrytest.BobID, allScopes), tool, withRegion)
			if !errors.Is(err, sentry.ErrNoAccess) {
				t.Fatalf("bob: err = %v, want ErrNoAccess", err)
			}
			if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, "cannot access") {
				t.Errorf("guidance: %q", msg)
			}
		})
	}
}

func oldestEventID(t *testing.T, f *fixture, org, issue string) string {
	t.Helper()
	ev, err := f.env(sentrytest.AliceID, allScopes).Sentry.GetIssueEvent(t.Context(), org, issue, sentry.EventOldest)
	if err != nil {
		t.Fatal(err)
	}
	return string(ev.EventID)
}

// An event URL, or eventId, selects that event instead of the latest.
func TestGetIssueDetailsShowsTheEventAsked(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	oldest := oldestEventID(t, f, "acme", "WEB-1A")
	for _, args := range []string{
		`{"organizationSlug":"acme","issueId":"WEB-1A","eventId":"` + strings.ToUpper(oldest) + `"}`,
		`{"issueUrl":"` + f.fake.URL + `/organizations/acme/issues/WEB-1A/events/` + oldest + `/"}`,
	} {
		out, err := f.call(env, "get_issue_details", args)
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if !strings.Contains(out, "## Event "+oldest) || strings.Contains(out, "Showing the latest event") {
			t.Errorf("%s: not the event asked for:\n%s", args, out)
		}
	}
	_, err := f.call(env, "get_issue_details",
		`{"issueUrl":"`+f.fake.URL+`/organizations/acme/issues/WEB-1A/events/`+oldest+`/","eventId":"00000000000000000000000000000000"}`)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("URL event and a different eventId: err = %v, want *InputError", err)
	}
}

// With only organizationSlug and eventId, the tool finds the event's issue
// by issue search (Sentry's event id lookup) and reads the event from the
// issue's events endpoint: no Discover query, three requests in all.
func TestGetIssueDetailsFindsTheIssueOfAnEvent(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	id := oldestEventID(t, f, "acme", "CHECKOUT-1A")
	f.fake.ClearRequests()
	out, err := f.call(env, "get_issue_details", `{"organizationSlug":"acme","eventId":"`+id+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "# CHECKOUT-1A: PaymentGatewayTimeout") || !strings.Contains(out, "## Event "+id) {
		t.Errorf("event's issue:\n%s", out)
	}
	reqs := f.fake.Requests()
	i := slices.IndexFunc(reqs, func(r sentrytest.Request) bool { return strings.HasSuffix(r.Path, "/organizations/acme/issues/") })
	if i < 0 || reqs[i].Query.Get("query") != id {
		t.Errorf("no issue search for the event id: %v", reqs)
	}
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Path)
	}
	want := []string{"/api/0/organizations/acme/issues/", "/api/0/organizations/acme/issues/CHECKOUT-1A/",
		"/api/0/organizations/acme/issues/CHECKOUT-1A/events/" + id + "/"}
	if !slices.Equal(paths, want) {
		t.Errorf("requests %v, want %v", paths, want)
	}

	out, err = f.call(env, "get_issue_details", `{"organizationSlug":"acme","eventId":"0123456789abcdef0123456789abcdef"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "# Event not found") {
		t.Errorf("unknown event:\n%s", out)
	}
}

// A connection pinned to a project refuses issues of other projects.
func TestIssueToolsRespectPinnedProject(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	env.Org, env.Project = "acme", "checkout"
	for _, tool := range []string{"get_issue_details", "search_issue_events", "get_issue_tag_values", "get_issue_activity", "get_issue_breadcrumbs", "get_event_stacktrace"} {
		args := `{"issueId":"WEB-1A"}`
		if tool == "get_issue_tag_values" {
			args = `{"issueId":"WEB-1A","tagKey":"browser"}`
		}
		_, err := f.call(env, tool, args)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Problem, `pinned to project "checkout"`) {
			t.Errorf("%s: err = %v, want the pin refusal", tool, err)
		}
	}
	if _, err := f.call(env, "get_issue_details", `{"issueId":"CHECKOUT-1A"}`); err != nil {
		t.Errorf("issue of the pinned project: %v", err)
	}
}

// The shared views (issue_markdown.go) keep secrets out, prefer in-app
// frames, show the exception raised last first, and cannot be broken out
// of their code blocks.
func TestEventMarkdown(t *testing.T) {
	const raw = `{
	  "eventID": "0123456789abcdef0123456789abcdef", "type": "error",
	  "entries": [
	    {"type": "exception", "data": {"values": [
	      {"type": "IOError", "value": "disk full", "stacktrace": {"frames": [{"function": "write", "filename": "io.py", "lineNo": 1}]}},
	      {"type": "RuntimeError", "value": "save failed", "stacktrace": {"frames": [
	        {"function": "lib1", "filename": "lib.py"}, {"function": "app1", "filename": "app.py", "lineNo": 10, "inApp": true},
	        {"function": "app2", "filename": "app.py", "lineNo": 20, "inApp": true,
	         "context": [[19, "x = 1"], [20, "raise RuntimeError('` + "```" + `')"], [21, "y = 2"]]},
	        {"function": "lib2", "filename": "lib.py"}]}}]}},
	    {"type": "request", "data": {"method": "POST", "url": "https://shop.example/pay", "query": [["a", "1"]], "data": {"card": "4242"},
	      "headers": [["Cookie", "session=secret"], ["Authorization", "Bearer secret"], ["User-Agent", "curl/8"]]}}
	  ],
	  "tags": [{"key": "environment", "value": "production"}]
	}`
	var ev sentry.Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	out := eventMarkdown(&ev, eventOpts{Frames: 1})
	if strings.Contains(out, "secret") || strings.Contains(out, "4242") {
		t.Errorf("secret header or body shown:\n%s", out)
	}
	for _, w := range []string{"- **User-Agent**: curl/8", "- **Query**: a=1", "- **Body**: present (not shown)", "- **Environment**: production", "````\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Index(out, "RuntimeError") > strings.Index(out, "IOError") {
		t.Errorf("the exception raised last should come first:\n%s", out)
	}
	// Frames: 1 shows the innermost in-app frame (app2, not lib2) with its source.
	if !strings.Contains(out, "at app2 (app.py:20) [in app]") || strings.Contains(out, "at app1") || strings.Contains(out, "at lib2") {
		t.Errorf("frame choice:\n%s", out)
	}
	if !strings.Contains(out, ">    20 | raise RuntimeError") || !strings.Contains(out, "3 more frame(s) not shown") {
		t.Errorf("context or omitted note:\n%s", out)
	}
	if all := eventMarkdown(&ev, eventOpts{Frames: -1}); !strings.Contains(all, "at lib2") || !strings.Contains(all, "at lib1") {
		t.Errorf("Frames -1 shows every frame:\n%s", all)
	}
}

func TestIssueMarkdown(t *testing.T) {
	is := &sentry.Issue{ID: "42", ShortID: "WEB-1", Title: "TypeError:\nboom", Status: "ignored", Substatus: "archived_until_escalating",
		Level: "error", Count: 7, UserCount: 3, Permalink: "https://acme.sentry.io/issues/42/",
		AssignedTo: &sentry.Actor{Type: "team", ID: "9", Name: "platform"}}
	out := issueMarkdown(is)
	for _, w := range []string{"# WEB-1: TypeError: boom\n", "- **Status**: ignored (archived_until_escalating)", "- **Events**: 7 · **Users**: 3",
		"- **First seen**: unknown", "- **Assignee**: platform (team)", "- **Permalink**: https://acme.sentry.io/issues/42/"} {
		if !strings.Contains(out, w) {
			t.Errorf("issueMarkdown lacks %q:\n%s", w, out)
		}
	}
}
