package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestGetEventStacktrace(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "get_event_stacktrace",
		args: `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		want: []string{"# Stack trace of issue WEB-1A in **acme**", "### TypeError: Cannot read properties of undefined",
			"frames, innermost (where it failed) first", "at CartSummary (src/components/CartSummary.tsx:42", ">    42 |"},
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ"}`,
		badInput: []string{
			`{"organizationSlug":"acme"}`,
			`{"issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","thread":""}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","thread":1.5}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","thread":[1]}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","eventId":"first"}`,
		},
	})
}

// Unlike get_issue_details, every frame is shown, library code included.
func TestGetEventStacktraceShowsEveryFrame(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	ev, err := env.Sentry.GetIssueEvent(t.Context(), "acme", "CHECKOUT-1A", sentry.EventLatest)
	if err != nil {
		t.Fatal(err)
	}
	excs, err := ev.Exceptions()
	if err != nil || len(excs) == 0 {
		t.Fatalf("exceptions: %v %v", excs, err)
	}
	frames := excs[0].Stacktrace.Frames
	out, err := f.call(env, "get_event_stacktrace", `{"organizationSlug":"acme","issueId":"CHECKOUT-1A","eventId":"`+string(ev.EventID)+`","thread":"main"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out, "\nat "); got != len(frames) {
		t.Errorf("%d frames shown, event has %d:\n%s", got, len(frames), out)
	}
	if strings.Contains(out, "more frame(s) not shown") {
		t.Errorf("frames omitted:\n%s", out)
	}
	if !strings.Contains(out, `no thread list, so thread "main" cannot be selected`) {
		t.Errorf("thread selector on a threadless event not explained:\n%s", out)
	}
}

// threadedEvent is a native crash with three threads; the crashed one's
// stack lives in the exception, as Sentry sends it.
const threadedEvent = `{
  "eventID": "0123456789abcdef0123456789abcdef", "dateCreated": "2026-11-24T10:00:00Z",
  "entries": [
    {"type": "exception", "data": {"values": [{"type": "EXC_BAD_ACCESS", "value": "KERN_INVALID_ADDRESS", "threadId": 2,
      "stacktrace": {"frames": [{"function": "main", "filename": "main.swift", "lineNo": 3, "inApp": true},
                                {"function": "ImageCache.store", "filename": "ImageCache.swift", "lineNo": 41, "inApp": true}]}}]}},
    {"type": "threads", "data": {"values": [
      {"id": 0, "name": "main", "current": true, "stacktrace": {"frames": [{"function": "UIApplicationMain", "filename": "UIKit"}, {"function": "runLoop", "filename": "CoreFoundation"}]}},
      {"id": 2, "name": "com.apple.worker", "crashed": true},
      {"id": 7, "name": "worker", "state": "WAITING", "stacktrace": {"frames": [{"function": "wait", "filename": "libsystem"}]}},
      {"id": 8, "name": "worker"}
    ]}}
  ]
}`

func TestGetEventStacktraceThreads(t *testing.T) {
	var ev sentry.Event
	if err := json.Unmarshal([]byte(threadedEvent), &ev); err != nil {
		t.Fatal(err)
	}
	threads, err := eventThreads(&ev)
	if err != nil || len(threads) != 4 {
		t.Fatalf("threads = %v, %v", threads, err)
	}
	for _, c := range []struct {
		selector, wantID, wantWhy string
	}{
		{"", "2", "Default selection"},
		{"main", "0", `Selected by "main"`},
		{"7", "7", `Selected by "7"`},
		{"worker", "", "2 threads match"},
		{"nope", "", "No thread has"},
	} {
		th, why := pickThread(threads, c.selector)
		switch {
		case c.wantID == "" && th != nil:
			t.Errorf("pickThread(%q) = %s, want none", c.selector, th.ID)
		case c.wantID != "" && (th == nil || string(th.ID) != c.wantID):
			t.Errorf("pickThread(%q) = %v, want thread %s", c.selector, th, c.wantID)
		}
		if !strings.Contains(why, c.wantWhy) {
			t.Errorf("pickThread(%q) says %q, want %q", c.selector, why, c.wantWhy)
		}
	}
	excs, _ := ev.Exceptions()
	if ex := threadException(excs, threads[1]); ex == nil || ex.Type != "EXC_BAD_ACCESS" {
		t.Errorf("crashed thread's stack should come from its exception: %v", ex)
	}
	if ex := threadException(excs, threads[0]); ex != nil {
		t.Errorf("thread main has no exception, got %v", ex)
	}
	table := threadTable(threads)
	for _, w := range []string{"| 2 | com.apple.worker | - | crashed | 0 |", "| 0 | main | - | current | 2 |", "| 7 | worker | WAITING | - | 1 |"} {
		if !strings.Contains(table, w) {
			t.Errorf("thread table lacks %q:\n%s", w, table)
		}
	}
}

func TestStacktraceMarkdownOfAThread(t *testing.T) {
	var ev sentry.Event
	if err := json.Unmarshal([]byte(threadedEvent), &ev); err != nil {
		t.Fatal(err)
	}
	ref := issueRef{Org: "globex", Issue: "MOBILE-1B"}
	out, err := stacktraceMarkdown(ref, &ev, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"## Thread 2 (com.apple.worker)", "- **Flags**: crashed", "### EXC_BAD_ACCESS: KERN_INVALID_ADDRESS",
		"at ImageCache.store (ImageCache.swift:41) [in app]\nat main (main.swift:3) [in app]", "## Threads",
		"thread=<id or name>"} {
		if !strings.Contains(out, w) {
			t.Errorf("default thread output lacks %q:\n%s", w, out)
		}
	}
	out, err = stacktraceMarkdown(ref, &ev, "main")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "## Thread 0 (main)") || !strings.Contains(out, "at runLoop (CoreFoundation)\nat UIApplicationMain (UIKit)") {
		t.Errorf("thread main:\n%s", out)
	}
	out, err = stacktraceMarkdown(ref, &ev, "worker")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "2 threads match") || !strings.Contains(out, "| 8 | worker |") {
		t.Errorf("ambiguous selector should list the threads:\n%s", out)
	}
}

// The thread argument arrives as a JSON number or a string.
func TestThreadSelector(t *testing.T) {
	tl, _ := Find(Catalog(Options{}), "get_event_stacktrace")
	for args, want := range map[string]string{`{"thread":259}`: "259", `{"thread":" main "}`: "main", `{}`: ""} {
		var in getEventStacktraceInput
		if err := json.Unmarshal([]byte(args), &in); err != nil {
			t.Fatal(err)
		}
		if got, err := threadSelector(in.Thread); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", args, got, err, want)
		}
	}
	// Schema: integer or non-empty string.
	if _, err := tl.Call(context.Background(), &Env{}, json.RawMessage(`{"organizationSlug":"acme","issueId":"X-1","thread":true}`)); err == nil {
		t.Error("thread=true accepted")
	}
}
