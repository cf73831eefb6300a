package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// Markdown views of an issue and of one event, shared by get_issue_details,
// the event tools and get_sentry_resource. Their names and signatures are
// stable: other tools call them.

// defaultFrames is how many frames per exception eventMarkdown shows unless
// told otherwise: enough to see the crash site and its callers.
const defaultFrames = 5

// eventOpts tunes eventMarkdown. The zero value is the view get_issue_details
// shows.
type eventOpts struct {
	// Frames caps the stack frames shown per exception, innermost first and
	// in-app frames preferred: 0 means defaultFrames, a negative value
	// shows every frame.
	Frames int
}

// issueMarkdown renders an issue's summary: a heading with short id and
// title, then status, level, priority, project, culprit, counts, first and
// last seen (with releases), assignee, platform and permalink.
func issueMarkdown(is *sentry.Issue) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n\n", orDefault(is.ShortID, string(is.ID)), oneLine(orDefault(is.Title, "(untitled issue)")))
	if is.ShortID != "" && string(is.ID) != "" {
		fmt.Fprintf(&b, "- **ID**: %s\n", is.ID)
	}
	status := orDefault(is.Status, "unknown")
	if is.Substatus != "" {
		status += " (" + is.Substatus + ")"
	}
	fmt.Fprintf(&b, "- **Status**: %s\n", status)
	level := orDefault(is.Level, "unknown")
	if is.Priority != "" {
		level += " · **Priority**: " + is.Priority
	}
	fmt.Fprintf(&b, "- **Level**: %s\n", level)
	if is.Project.Slug != "" {
		fmt.Fprintf(&b, "- **Project**: %s\n", is.Project.Slug)
	}
	if ev := issueEvidence(is); ev != "" {
		fmt.Fprintf(&b, "- **Evidence**: %s\n", ev)
	}
	if is.Culprit != "" {
		fmt.Fprintf(&b, "- **Culprit**: %s\n", oneLine(is.Culprit))
	}
	fmt.Fprintf(&b, "- **Events**: %d · **Users**: %d\n", is.Count, is.UserCount)
	fmt.Fprintf(&b, "- **First seen**: %s%s\n", stampUTC(is.FirstSeen), releaseNote(is.FirstRelease))
	fmt.Fprintf(&b, "- **Last seen**: %s%s\n", stampUTC(is.LastSeen), releaseNote(is.LastRelease))
	fmt.Fprintf(&b, "- **Assignee**: %s\n", assigneeText(is.AssignedTo))
	if is.IsUnhandled {
		b.WriteString("- **Handled**: no (unhandled errors)\n")
	}
	if kind := strings.Trim(is.IssueCategory+" / "+is.IssueType, " /"); kind != "" && kind != "error / error" {
		fmt.Fprintf(&b, "- **Kind**: %s\n", kind)
	}
	if is.Platform != "" {
		fmt.Fprintf(&b, "- **Platform**: %s\n", is.Platform)
	}
	if is.NumComments > 0 {
		fmt.Fprintf(&b, "- **Comments**: %d\n", is.NumComments)
	}
	if is.Permalink != "" {
		fmt.Fprintf(&b, "- **Permalink**: %s\n", is.Permalink)
	}
	return b.String()
}

// issueEvidence is what Sentry shows under a title that does not say it
// itself: a performance regression's "Increased from 909.77ms to 1711.36ms
// (P95)", an N+1 query's repeated statement. An error's message is already
// in its title, so it is "" there.
func issueEvidence(is *sentry.Issue) string {
	v := oneLine(is.Metadata.Value)
	if v == "" || strings.Contains(is.Title, v) {
		return ""
	}
	return shorten(v, 300)
}

// issueHeadline is the title with its evidence, for one-line listings.
func issueHeadline(is *sentry.Issue) string {
	title := oneLine(orDefault(is.Title, "(untitled issue)"))
	if ev := issueEvidence(is); ev != "" {
		return title + ": " + ev
	}
	return title
}

// eventMarkdown renders one event: id, time, release, environment, user
// and trace, then the message or exceptions with their top frames, the
// request, tags and contexts. Sections the event lacks are left out.
func eventMarkdown(ev *sentry.Event, opts eventOpts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Event %s\n\n", orDefault(string(ev.EventID), string(ev.ID)))
	if ev.Type != "" {
		fmt.Fprintf(&b, "- **Type**: %s\n", ev.Type)
	}
	if !ev.DateCreated.IsZero() {
		fmt.Fprintf(&b, "- **Occurred**: %s\n", stampUTC(ev.DateCreated))
	}
	if v := ev.ReleaseVersion(); v != "" {
		fmt.Fprintf(&b, "- **Release**: %s\n", v)
	}
	if v := ev.Tag("environment"); v != "" {
		fmt.Fprintf(&b, "- **Environment**: %s\n", v)
	}
	if u := eventUserText(ev.User); u != "" {
		fmt.Fprintf(&b, "- **User**: %s\n", u)
	}
	if t := ev.TraceID(); t != "" {
		fmt.Fprintf(&b, "- **Trace**: %s\n", t)
	}
	if ev.SDK != nil && ev.SDK.Name != "" {
		fmt.Fprintf(&b, "- **SDK**: %s %s\n", ev.SDK.Name, ev.SDK.Version)
	}
	b.WriteString("\n")

	excs, err := ev.Exceptions()
	switch {
	case err != nil:
		fmt.Fprintf(&b, "_The exception data of this event could not be read: %s._\n\n", err)
	case len(excs) > 0:
		b.WriteString(exceptionsMarkdown(excs, opts.Frames))
	default:
		if msg := ev.FormattedMessage(); msg != "" {
			b.WriteString("### Message\n\n")
			b.WriteString(codeFence([]string{shorten(msg, 2000)}))
			b.WriteString("\n")
		}
	}
	if ev.Occurrence != nil && len(ev.Occurrence.EvidenceDisplay) > 0 {
		b.WriteString("### Evidence\n\n")
		for _, e := range ev.Occurrence.EvidenceDisplay {
			fmt.Fprintf(&b, "- **%s**: %s\n", oneLine(e.Name), shorten(oneLine(e.Value), 300))
		}
		b.WriteString("\n")
	}
	if rq, err := ev.HTTPRequest(); err == nil && rq != nil {
		b.WriteString(requestMarkdown(rq))
	}
	b.WriteString(eventTagsMarkdown(ev.Tags))
	b.WriteString(contextsMarkdown(ev.Contexts))
	return b.String()
}

// exceptionsMarkdown shows the exceptions, the one raised last first (Sentry
// lists chained exceptions cause first).
func exceptionsMarkdown(excs []sentry.Exception, frames int) string {
	var b strings.Builder
	b.WriteString("### Exception\n\n")
	const maxChained = 3
	shown := 0
	for i := len(excs) - 1; i >= 0 && shown < maxChained; i-- {
		ex := excs[i]
		if shown > 0 {
			b.WriteString("**Caused by / chained with:**\n\n")
		}
		shown++
		fmt.Fprintf(&b, "**%s**", oneLine(orDefault(ex.Type, "Error")))
		if ex.Value != "" {
			fmt.Fprintf(&b, ": %s", shorten(oneLine(ex.Value), 500))
		}
		b.WriteString("\n")
		if m := ex.Mechanism; m != nil && (m.Type != "" || m.Handled != nil) {
			handled := ""
			if m.Handled != nil {
				handled = map[bool]string{true: "handled", false: "unhandled"}[*m.Handled]
			}
			fmt.Fprintf(&b, "_Mechanism: %s_\n", strings.Trim(m.Type+", "+handled, ", "))
		}
		b.WriteString("\n")
		if ex.Stacktrace == nil || len(ex.Stacktrace.Frames) == 0 {
			b.WriteString("_No stack trace._\n\n")
			continue
		}
		b.WriteString(framesMarkdown(ex.Stacktrace.Frames, frames))
	}
	if more := len(excs) - shown; more > 0 {
		fmt.Fprintf(&b, "_%d more chained exception(s) not shown._\n\n", more)
	}
	return b.String()
}

// framesMarkdown renders frames innermost (crashing) first as a code block,
// with the source around the first in-app frame shown. limit works as
// eventOpts.Frames.
func framesMarkdown(frames []sentry.Frame, limit int) string {
	shown, omitted := pickFrames(frames, limit)
	var lines []string
	contextDone := false
	for _, fr := range shown {
		lines = append(lines, frameLine(fr))
		if !contextDone && fr.InApp && len(fr.Context) > 0 {
			contextDone = true
			lines = append(lines, frameContext(fr)...)
		}
	}
	out := codeFence(lines)
	if omitted > 0 {
		out += fmt.Sprintf("_%d more frame(s) not shown (outer callers or library code); get_event_stacktrace shows the whole stack._\n", omitted)
	}
	return out + "\n"
}

// pickFrames chooses the frames to show, innermost first: all of them
// when limit < 0, else the innermost limit in-app frames (or of all frames
// when none is in-app). omitted counts the rest.
func pickFrames(frames []sentry.Frame, limit int) (shown []sentry.Frame, omitted int) {
	if limit == 0 {
		limit = defaultFrames
	}
	pool := frames
	if limit > 0 && slices.ContainsFunc(frames, func(f sentry.Frame) bool { return f.InApp }) {
		pool = slices.DeleteFunc(slices.Clone(frames), func(f sentry.Frame) bool { return !f.InApp })
	}
	for i := len(pool) - 1; i >= 0; i-- {
		if limit > 0 && len(shown) == limit {
			break
		}
		shown = append(shown, pool[i])
	}
	return shown, len(frames) - len(shown)
}

// frameLine is one frame as "at function (file:line:col) [in app]".
func frameLine(fr sentry.Frame) string {
	fn := orDefault(fr.Function, orDefault(fr.RawFunction, "<unknown>"))
	where := orDefault(fr.Filename, orDefault(fr.AbsPath, orDefault(fr.Module, orDefault(fr.Package, "<unknown>"))))
	if fr.LineNo > 0 {
		where += fmt.Sprintf(":%d", fr.LineNo)
		if fr.ColNo > 0 {
			where += fmt.Sprintf(":%d", fr.ColNo)
		}
	}
	line := fmt.Sprintf("at %s (%s)", fn, where)
	if fr.Module != "" && fr.Filename != "" && !strings.Contains(fr.Filename, fr.Module) && !strings.Contains(fn, fr.Module) {
		line += " in " + fr.Module
	}
	if fr.InApp {
		line += " [in app]"
	}
	return shorten(oneLine(line), 300)
}

// frameContext is the source around a frame, two lines each side, the
// frame's own line marked.
func frameContext(fr sentry.Frame) []string {
	var out []string
	for _, c := range fr.Context {
		if fr.LineNo > 0 && (c.Line < int(fr.LineNo)-2 || c.Line > int(fr.LineNo)+2) {
			continue
		}
		mark := " "
		if c.Line == int(fr.LineNo) {
			mark = ">"
		}
		out = append(out, fmt.Sprintf("  %s %5d | %s", mark, c.Line, shorten(strings.TrimRight(c.Code, "\r\n"), 200)))
	}
	return out
}

// requestHeadersShown are the request headers worth showing; anything else
// (cookies, authorization, API keys) stays out even when Sentry did not
// filter it.
var requestHeadersShown = []string{"Content-Type", "User-Agent", "Referer"}

func requestMarkdown(rq *sentry.Request) string {
	if rq.URL == "" && rq.Method == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Request\n\n")
	fmt.Fprintf(&b, "- **%s** %s\n", orDefault(rq.Method, "GET"), shorten(rq.URL, 500))
	if q := requestQuery(rq.Query); q != "" {
		fmt.Fprintf(&b, "- **Query**: %s\n", shorten(q, 300))
	}
	for _, h := range rq.Headers {
		for _, want := range requestHeadersShown {
			if strings.EqualFold(h[0], want) && h[1] != "" {
				fmt.Fprintf(&b, "- **%s**: %s\n", want, shorten(oneLine(h[1]), 200))
			}
		}
	}
	if len(bytes.TrimSpace(rq.Data)) > 0 && string(bytes.TrimSpace(rq.Data)) != "null" {
		b.WriteString("- **Body**: present (not shown)\n")
	}
	b.WriteString("\n")
	return b.String()
}

// requestQuery reads the query as Sentry sends it: [["k","v"],...] or a
// string.
func requestQuery(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var pairs [][]sentry.FlexString
	if json.Unmarshal(raw, &pairs) != nil {
		return ""
	}
	var parts []string
	for _, p := range pairs {
		if len(p) == 2 {
			parts = append(parts, string(p[0])+"="+string(p[1]))
		}
	}
	return strings.Join(parts, "&")
}

// maxEventTags bounds the tags line.
const maxEventTags = 30

// tagsShownElsewhere are tags eventMarkdown already shows as event fields.
var tagsShownElsewhere = []string{"environment", "release", "level", "handled", "url", "user", "mechanism"}

func eventTagsMarkdown(tags []sentry.EventTag) string {
	var parts []string
	for _, t := range tags {
		if slices.Contains(tagsShownElsewhere, t.Key) {
			continue
		}
		if len(parts) == maxEventTags {
			parts = append(parts, fmt.Sprintf("… %d more", len(tags)-maxEventTags))
			break
		}
		parts = append(parts, oneLine(t.Key)+"="+shorten(oneLine(string(t.Value)), 200))
	}
	if len(parts) == 0 {
		return ""
	}
	return "### Tags\n\n" + strings.Join(parts, " · ") + "\n\n"
}

// contextFieldsShownElsewhere are context fields the event's header
// already shows, or that say nothing to a reader.
var contextFieldsShownElsewhere = map[string][]string{
	"trace": {"trace_id", "span_id", "parent_span_id", "client_sample_rate", "sampled", "type"},
}

// contextsMarkdown shows each context (browser, os, runtime, device,
// trace...) on one line, its fields sorted.
func contextsMarkdown(contexts map[string]json.RawMessage) string {
	if len(contexts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Contexts\n\n")
	for _, name := range slices.Sorted(maps.Keys(contexts)) {
		dec := json.NewDecoder(bytes.NewReader(contexts[name]))
		dec.UseNumber()
		var fields map[string]any
		if dec.Decode(&fields) != nil || len(fields) == 0 {
			continue
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			v := fields[k]
			if k == "type" || v == nil || slices.Contains(contextFieldsShownElsewhere[name], k) {
				continue
			}
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case json.Number, bool:
				s = fmt.Sprint(x)
			default:
				j, _ := json.Marshal(x)
				s = string(j)
			}
			if s != "" {
				parts = append(parts, k+"="+shorten(oneLine(s), 120))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "- **%s**: %s\n", oneLine(name), shorten(strings.Join(parts, ", "), 400))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func eventUserText(u *sentry.EventUser) string {
	if u == nil {
		return ""
	}
	var parts []string
	for _, kv := range [][2]string{{"id", string(u.ID)}, {"email", string(u.Email)}, {"username", string(u.Username)}, {"name", string(u.Name)}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if c := u.Geo["country_code"]; c != "" {
		parts = append(parts, "country="+string(c))
	}
	return oneLine(strings.Join(parts, ", "))
}

// assigneeText names an issue's assignee: "Alice (user, alice@example.com)",
// "platform (team)" or "unassigned".
func assigneeText(a *sentry.Actor) string {
	if a == nil || (a.Name == "" && a.Email == "" && a.ID == "") {
		return "unassigned"
	}
	name := orDefault(a.Name, orDefault(a.Email, string(a.ID)))
	detail := orDefault(a.Type, "user")
	if a.Email != "" && a.Email != name {
		detail += ", " + a.Email
	}
	return fmt.Sprintf("%s (%s)", oneLine(name), detail)
}

func releaseNote(r *sentry.Release) string {
	if r == nil || r.Version == "" {
		return ""
	}
	return " in release " + r.Version
}

// shortStamp prints a time to the minute, for tables whose header says
// UTC; "-" when Sentry sent none.
func shortStamp(t sentry.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// assigneeName names an assignee briefly: "Alice Anderson", "team
// platform", or "-".
func assigneeName(a *sentry.Actor) string {
	if a == nil || (a.Name == "" && a.Email == "" && a.ID == "") {
		return "-"
	}
	name := oneLine(orDefault(a.Name, orDefault(a.Email, string(a.ID))))
	if a.Type == "team" {
		return "team " + name
	}
	return name
}

// stampUTC prints a Sentry time to the second in UTC, or "unknown".
func stampUTC(t sentry.Time) string { return orDefault(timeText(t), "unknown") }

// timeText renders a Sentry time for a reader, or "" when Sentry sent none.
func timeText(t sentry.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateTime) + " UTC"
}

// oneLine folds newlines so a value stays on its markdown line (Fields
// splits at them, as at every other space).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// codeFence puts lines in a fenced block that a "```" inside them cannot
// close early.
func codeFence(lines []string) string {
	fence := "```"
	for _, l := range lines {
		for strings.Contains(l, fence) {
			fence += "`"
		}
	}
	return fence + "\n" + strings.Join(lines, "\n") + "\n" + fence + "\n"
}
