package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getEventStacktraceInput struct {
	orgParam
	regionParam
	IssueID string `json:"issueId" jsonschema:"Short id (WEB-1A) or numeric id."`
	EventID string `json:"eventId,omitempty" jsonschema:"Event id (32 hex) or latest (default)."`
	Thread  any    `json:"thread,omitempty" jsonschema:"Thread id or exact name; default the crashed thread, else the first with frames."`
}

const getEventStacktraceName = "get_event_stacktrace"

// maxStackFrames bounds one stack trace: the innermost frames are kept.
const maxStackFrames = 150

func getEventStacktraceTool() Tool {
	return newTool(spec{
		Name:  getEventStacktraceName,
		Title: "Get an event's stack trace",
		Description: `Show an event's whole stack trace, crashing frame first, with source around the first in-app frame; for native and mobile events one thread's stack and the thread list. When get_issue_details' top frames are not enough.
Example: get_event_stacktrace(organizationSlug='acme', issueId='WEB-1A')`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			setDefault(s, "eventId", `"latest"`)
			s.Properties["eventId"].Pattern = eventIDOrLatest
			// An integer id or a name; minLength applies to strings only.
			t, one := s.Properties["thread"], 1
			t.Type, t.Types, t.MinLength = "", []string{"integer", "string"}, &one
		},
	}, getEventStacktrace)
}

// eventThread is one thread of a "threads" entry.
type eventThread struct {
	ID         sentry.FlexString  `json:"id"`
	Name       sentry.FlexString  `json:"name"`
	State      sentry.FlexString  `json:"state"`
	Crashed    bool               `json:"crashed"`
	Current    bool               `json:"current"`
	Stacktrace *sentry.Stacktrace `json:"stacktrace"`
}

func getEventStacktrace(ctx context.Context, env *Env, in getEventStacktraceInput) (string, error) {
	ref, err := issueParams{OrganizationSlug: in.OrganizationSlug, regionParam: in.regionParam, IssueID: in.IssueID}.
		resolve(getEventStacktraceName, env)
	if err != nil {
		return "", err
	}
	selector, err := threadSelector(in.Thread)
	if err != nil {
		return "", err
	}
	event, err := chooseIssueEvent(getEventStacktraceName, ref, in.EventID)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, getEventStacktraceName, ref, nil); err != nil {
		return "", err
	}
	ev, err := env.Sentry.GetIssueEvent(ctx, ref.Org, ref.Issue, event)
	if err != nil {
		return "", err
	}
	return stacktraceMarkdown(ref, ev, selector)
}

// stacktraceMarkdown renders the event's stack: the selected thread's when
// the event has threads, else its exceptions'.
func stacktraceMarkdown(ref issueRef, ev *sentry.Event, selector string) (string, error) {
	threads, err := eventThreads(ev)
	if err != nil {
		return "", err
	}
	excs, err := ev.Exceptions()
	if err != nil {
		return "", err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Stack trace of issue %s in **%s**\n\nEvent %s, occurred %s.\n\n", ref.Issue, ref.Org, ev.EventID, stampUTC(ev.DateCreated))
	if len(threads) == 0 {
		if selector != "" {
			fmt.Fprintf(&b, "_This event has no thread list, so thread %q cannot be selected; showing the exception stack instead._\n\n", selector)
		}
		if !hasStack(excs) {
			b.WriteString("This event has no stack trace")
			if msg := ev.FormattedMessage(); msg != "" {
				fmt.Fprintf(&b, " (it is a message event: %q)", shorten(oneLine(msg), 300))
			}
			b.WriteString(".\n")
			return b.String(), nil
		}
		for i := len(excs) - 1; i >= 0; i-- {
			b.WriteString(exceptionStack(excs[i]))
		}
		return b.String(), nil
	}

	th, why := pickThread(threads, selector)
	if th == nil {
		fmt.Fprintf(&b, "%s\n\n", why)
		b.WriteString(threadTable(threads))
		return b.String(), nil
	}
	fmt.Fprintf(&b, "## Thread %s", orDefault(string(th.ID), "?"))
	if th.Name != "" {
		fmt.Fprintf(&b, " (%s)", oneLine(string(th.Name)))
	}
	fmt.Fprintf(&b, "\n\n_%s_\n\n", why)
	if flags := threadFlags(*th); flags != "-" {
		fmt.Fprintf(&b, "- **Flags**: %s\n", flags)
	}
	if th.State != "" {
		fmt.Fprintf(&b, "- **State**: %s\n", th.State)
	}
	b.WriteString("\n")
	switch {
	case th.Stacktrace != nil && len(th.Stacktrace.Frames) > 0:
		b.WriteString(fullFrames(th.Stacktrace.Frames))
	case threadException(excs, *th) != nil:
		// Sentry moves the crashed thread's stack into its exception.
		b.WriteString(exceptionStack(*threadException(excs, *th)))
	default:
		b.WriteString("This thread has no stack trace.\n\n")
	}
	if len(threads) > 1 {
		b.WriteString("## Threads\n\n")
		b.WriteString(threadTable(threads))
		fmt.Fprintf(&b, "\nAnother thread: get_event_stacktrace(organizationSlug='%s', issueId='%s', eventId='%s', thread=<id or name>).\n", ref.Org, ref.Issue, ev.EventID)
	}
	return b.String(), nil
}

// threadSelector turns the thread argument (an integer or a name) into
// text; "" means none.
func threadSelector(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case string:
		return strings.TrimSpace(t), nil
	}
	return "", &InputError{Tool: getEventStacktraceName, Problem: "thread must be a thread id (integer) or a thread name"}
}

func eventThreads(ev *sentry.Event) ([]eventThread, error) {
	en, ok := ev.Entry("threads")
	if !ok || len(en.Data) == 0 || string(en.Data) == "null" {
		return nil, nil
	}
	var v struct {
		Values []eventThread `json:"values"`
	}
	if err := json.Unmarshal(en.Data, &v); err != nil {
		return nil, fmt.Errorf("decoding the threads of event %s: %w", ev.EventID, err)
	}
	return v.Values, nil
}

// pickThread selects a thread as Sentry does by default (first crashed,
// then first with frames, then first), or by id or exact name. When none
// or several match, it returns nil and says why.
func pickThread(threads []eventThread, selector string) (*eventThread, string) {
	if selector == "" {
		for _, want := range []func(eventThread) bool{
			func(t eventThread) bool { return t.Crashed },
			func(t eventThread) bool { return t.Stacktrace != nil && len(t.Stacktrace.Frames) > 0 },
			func(eventThread) bool { return true },
		} {
			for i := range threads {
				if want(threads[i]) {
					return &threads[i], "Default selection: the crashed thread, else the first thread with a stack trace."
				}
			}
		}
	}
	match := func(ok func(eventThread) bool) []int {
		var idx []int
		for i, t := range threads {
			if ok(t) {
				idx = append(idx, i)
			}
		}
		return idx
	}
	idx := match(func(t eventThread) bool { return string(t.Name) == selector })
	if len(idx) == 0 {
		idx = match(func(t eventThread) bool { return string(t.ID) == selector })
	}
	switch len(idx) {
	case 0:
		return nil, fmt.Sprintf("No thread has the id or name %q. The event's threads:", selector)
	case 1:
		return &threads[idx[0]], fmt.Sprintf("Selected by %q.", selector)
	}
	return nil, fmt.Sprintf("%d threads match %q; pass a thread id instead. The event's threads:", len(idx), selector)
}

func threadFlags(t eventThread) string {
	var flags []string
	if t.Crashed {
		flags = append(flags, "crashed")
	}
	if t.Current {
		flags = append(flags, "current")
	}
	if len(flags) == 0 {
		return "-"
	}
	return strings.Join(flags, ", ")
}

func threadTable(threads []eventThread) string {
	var b strings.Builder
	b.WriteString("| id | name | state | flags | frames |\n| --- | --- | --- | --- | ---: |\n")
	for _, t := range threads {
		n := 0
		if t.Stacktrace != nil {
			n = len(t.Stacktrace.Frames)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", cell(orDefault(string(t.ID), "-")), cell(orDefault(string(t.Name), "-")),
			cell(orDefault(string(t.State), "-")), threadFlags(t), n)
	}
	return b.String()
}

// threadException is the exception raised on thread t, if any (the only
// exception counts for a crashed thread).
func threadException(excs []sentry.Exception, t eventThread) *sentry.Exception {
	for i := len(excs) - 1; i >= 0; i-- {
		ex := excs[i]
		if ex.Stacktrace == nil || len(ex.Stacktrace.Frames) == 0 {
			continue
		}
		if (ex.ThreadID != "" && ex.ThreadID == t.ID) || (ex.ThreadID == "" && t.Crashed) {
			return &excs[i]
		}
	}
	return nil
}

func hasStack(excs []sentry.Exception) bool {
	for _, ex := range excs {
		if ex.Stacktrace != nil && len(ex.Stacktrace.Frames) > 0 {
			return true
		}
	}
	return false
}

// exceptionStack is one exception's heading and whole stack.
func exceptionStack(ex sentry.Exception) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s", oneLine(orDefault(ex.Type, "Error")))
	if ex.Value != "" {
		fmt.Fprintf(&b, ": %s", shorten(oneLine(ex.Value), 300))
	}
	b.WriteString("\n\n")
	if ex.Stacktrace == nil || len(ex.Stacktrace.Frames) == 0 {
		b.WriteString("_No stack trace._\n\n")
		return b.String()
	}
	b.WriteString(fullFrames(ex.Stacktrace.Frames))
	return b.String()
}

// fullFrames renders every frame, innermost first, up to maxStackFrames.
func fullFrames(frames []sentry.Frame) string {
	note := ""
	if n := len(frames); n > maxStackFrames {
		note = fmt.Sprintf("_%d outermost frames not shown._\n\n", n-maxStackFrames)
		frames = frames[n-maxStackFrames:]
	}
	return fmt.Sprintf("%d frames, innermost (where it failed) first:\n\n", len(frames)) + framesMarkdown(frames, -1) + note
}
