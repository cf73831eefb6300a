package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/slack/blockkit"
	"github.com/lookout-hq/lookout/internal/tools"
)

// Issue cards: what the bot shows of Sentry issues in Slack (answers,
// pages of a list, unfurls), as Block Kit. The renderers here are pure;
// the data comes from the asking (or clicking, or posting) user's own
// Sentry access (see sentrycards.go). Every text is clipped to its limit
// and every list is paged, so a card never breaks a Block Kit limit; the
// bot still checks what it sends (blockkit) and falls back to text.

// Interactive elements of cards and the Home tab, by action_id.
const (
	actionOpen      = "lookout.issue.open"      // a link button: Slack tells, nothing to do
	actionResolve   = "lookout.issue.resolve"   // triage
	actionIgnore    = "lookout.issue.ignore"    // triage
	actionAssign    = "lookout.issue.assign"    // triage: assign to the clicking user
	actionUnresolve = "lookout.issue.unresolve" // triage: reopen
	actionMenu      = "lookout.issue.menu"      // a list row's overflow menu: open, or a triage action
	actionMore      = "lookout.issues.more"     // the next page of a list

	actionHomeConnect    = "lookout.home.connect" // a link button
	actionHomeDisconnect = "lookout.home.disconnect"
	actionHomeOrg        = "lookout.home.org"
	actionHomeProject    = "lookout.home.project"
	actionHomeClear      = "lookout.home.clear"
)

// Triage verbs, as carried in an issueAction.
const (
	verbResolve   = "resolve"
	verbIgnore    = "ignore"
	verbAssign    = "assign"
	verbUnresolve = "unresolve"
	verbOpen      = "open"
)

// pageSize is how many issues one card lists: a page fits any message
// (2 blocks, one per issue, and the "more" button) with room to spare.
const pageSize = 10

// issueAction is the value of a triage button or menu option: which issue
// (organization and numeric id) and, in a menu, what to do. Slack signs
// the payload it comes back in; the action still runs with the clicking
// user's own grant, so it can do nothing that user could not do in Sentry.
type issueAction struct {
	Verb  string `json:"a,omitempty"`
	Org   string `json:"o"`
	Issue string `json:"i"`
}

// moreValue is the value of a list's "more" button: the search and where
// the next page starts, and who asked (their click pages in place).
type moreValue struct {
	Org     string `json:"o"`
	Project string `json:"p,omitempty"`
	Query   string `json:"q,omitempty"`
	Cursor  string `json:"c"`
	Page    int    `json:"n"`
	Asker   string `json:"by,omitempty"`
}

func encodeValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// cardMaker renders cards for one Sentry: links point at its host.
type cardMaker struct {
	sentryURL string
	triage    bool // show Resolve, Ignore, Assign to me
}

// issueView is one issue as a card shows it.
type issueView struct {
	Org   string
	Issue sentry.Issue
	// Frame is the top in-app frame of its latest event; Release the
	// release of that event. Detail cards only.
	Frame   *sentry.Frame
	Release string
	EventID string // an event link's event
}

// link is the issue's page in Sentry: its permalink when that is a URL of
// this Sentry, else one built from the configured Sentry URL. A card
// never links anywhere else.
func (c cardMaker) link(v issueView) string {
	if p := v.Issue.Permalink; p != "" {
		if l, err := tools.ParseSentryLink(p, c.sentryURL); err == nil && (l.Kind == "issue" || l.Kind == "event") {
			return safeURL(p)
		}
	}
	id := v.Issue.ShortID
	if id == "" {
		id = string(v.Issue.ID)
	}
	return strings.TrimRight(c.sentryURL, "/") + "/organizations/" + url.PathEscape(v.Org) + "/issues/" + url.PathEscape(id) + "/"
}

// safeURL keeps a URL from breaking out of Slack's <url|label> markup.
func safeURL(u string) string {
	return strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20", "\n", "").Replace(u)
}

// mdLink is a mrkdwn link; label is plain text.
func mdLink(u, label string) string {
	return "<" + safeURL(u) + "|" + escapeText(strings.ReplaceAll(label, "|", "/")) + ">"
}

// md is a mrkdwn text object, cut to fit any text object.
func md(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, fit(s, blockkit.MaxTextObject), false, false)
}

// field is a mrkdwn section field, cut to fit.
func field(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, fit(s, blockkit.MaxFieldText), false, false)
}

func pt(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, false, false)
}

// fit cuts mrkdwn text to maxLen at a point that splits no link, mention
// or escape (<...>, &amp;) and leaves no code block open, ending with "…".
// Texts are clipped part by part where they are built; this is the last
// guard, for what adds up.
func fit(s string, maxLen int) string {
	if blockkit.Len(s) <= maxLen {
		return s
	}
	cut := strings.TrimSuffix(blockkit.Clip(s, maxLen-len("…```")), "…")
	if i := strings.LastIndexByte(cut, '<'); i > strings.LastIndexByte(cut, '>') {
		cut = cut[:i]
	}
	if i := strings.LastIndexByte(cut, '&'); i >= 0 && !strings.Contains(cut[i:], ";") {
		cut = cut[:i]
	}
	cut += "…"
	if strings.Count(cut, "```")%2 == 1 {
		cut += "```"
	}
	return cut
}

// esc is plain text clipped to maxLen characters, then escaped for mrkdwn.
func esc(s string, maxLen int) string { return escapeText(blockkit.Clip(s, maxLen)) }

// blockID joins parts into a block_id within its limit.
func blockID(parts ...string) string {
	return blockkit.Clip(strings.Join(parts, "|"), blockkit.MaxBlockID)
}

// Level marks, as Sentry colours them.
var levelEmoji = map[string]string{
	"fatal": ":bangbang:", "error": ":red_circle:", "warning": ":warning:", "info": ":information_source:", "debug": ":white_circle:",
}

func levelText(level string) string {
	if level == "" {
		return ""
	}
	if e, ok := levelEmoji[level]; ok {
		return e + " " + level
	}
	return esc(level, 30)
}

// count formats n with thousands separators: 12,345.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// when shows a time in the reader's own time zone (Slack's date
// formatting), with a UTC fallback for clients that cannot.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// statusText says where an issue is in its life, for a card.
func statusText(is sentry.Issue) string {
	switch is.Status {
	case "resolved":
		return ":white_check_mark: resolved"
	case "ignored":
		return ":zzz: archived"
	case "", "unresolved":
		return "unresolved"
	}
	return esc(is.Status, 30)
}

func assigneeText(a *sentry.Actor) string {
	switch {
	case a == nil:
		return "unassigned"
	case a.Type == "team":
		return "team " + esc(a.Name, 100)
	case a.Email != "":
		return esc(a.Email, 100)
	}
	return esc(a.Name, 100)
}

func (v issueView) shortID() string {
	if v.Issue.ShortID != "" {
		return v.Issue.ShortID
	}
	return string(v.Issue.ID)
}

func (v issueView) title() string {
	if v.Issue.Title != "" {
		return v.Issue.Title
	}
	return "(untitled issue)"
}

// summary is an issue in a few mrkdwn lines: linked short id and title,
// culprit, and one line of facts.
func (c cardMaker) summary(v issueView, withFacts bool) string {
	var b strings.Builder
	b.WriteString("*" + mdLink(c.link(v), blockkit.Clip(v.shortID(), 60)) + "* " + esc(v.title(), 300))
	if v.Issue.Culprit != "" {
		b.WriteString("\n`" + esc(strings.ReplaceAll(v.Issue.Culprit, "`", "'"), 200) + "`")
	}
	if withFacts {
		facts := []string{}
		if l := levelText(v.Issue.Level); l != "" {
			facts = append(facts, l)
		}
		if v.Issue.Status != "" && v.Issue.Status != "unresolved" {
			facts = append(facts, statusText(v.Issue))
		}
		facts = append(facts, plural(int64(v.Issue.Count), "event", "events"), plural(int64(v.Issue.UserCount), "user", "users"),
			"last seen "+when(v.Issue.LastSeen.Time))
		if v.Issue.AssignedTo != nil {
			facts = append(facts, "assigned to "+assigneeText(v.Issue.AssignedTo))
		}
		b.WriteString("\n" + strings.Join(facts, " · "))
	}
	return b.String()
}

func (c cardMaker) actionValue(verb string, v issueView) string {
	return encodeValue(issueAction{Verb: verb, Org: v.Org, Issue: string(v.Issue.ID)})
}

// closed reports whether an issue is resolved or archived: its triage
// offers reopening instead of resolving.
func closed(is sentry.Issue) bool { return is.Status == "resolved" || is.Status == "ignored" }

// row is one issue of a list: a section, its menu (or link) on the side.
func (c cardMaker) row(v issueView) slackapi.Block {
	var acc *slackapi.Accessory
	if c.triage {
		opts := []*slackapi.OptionBlockObject{
			{Text: pt("Open in Sentry"), Value: c.actionValue(verbOpen, v), URL: c.link(v)},
		}
		if closed(v.Issue) {
			opts = append(opts, slackapi.NewOptionBlockObject(c.actionValue(verbUnresolve, v), pt("Reopen"), nil))
		} else {
			opts = append(opts,
				slackapi.NewOptionBlockObject(c.actionValue(verbResolve, v), pt("Resolve"), nil),
				slackapi.NewOptionBlockObject(c.actionValue(verbIgnore, v), pt("Archive (ignore)"), nil))
		}
		opts = append(opts, slackapi.NewOptionBlockObject(c.actionValue(verbAssign, v), pt("Assign to me"), nil))
		acc = slackapi.NewAccessory(slackapi.NewOverflowBlockElement(actionMenu, opts...))
	} else {
		btn := slackapi.NewButtonBlockElement(actionOpen, "", pt("Open"))
		btn.URL = c.link(v)
		acc = slackapi.NewAccessory(btn)
	}
	return slackapi.NewSectionBlock(md(c.summary(v, true)), nil, acc, slackapi.SectionBlockOptionBlockID(blockID("row", v.Org, string(v.Issue.ID))))
}

// listTitle names a search: "Issues in acme/web".
func listTitle(org, project string) string {
	where := org
	if project != "" {
		where += "/" + project
	}
	return "Issues in " + where
}

// list is a page of a search: a header, what was searched, a row per
// issue (at most pageSize), and a "more" button when Sentry has more.
func (c cardMaker) list(org, project, query string, page int, issues []issueView, next *moreValue) []slackapi.Block {
	title := listTitle(org, project)
	if page > 1 {
		title += fmt.Sprintf(" (page %d)", page)
	}
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(pt(blockkit.Clip(title, blockkit.MaxHeaderText))),
		slackapi.NewContextBlock("", md("`"+esc(strings.ReplaceAll(orDefault(query, "is:unresolved"), "`", "'"), 500)+
			"` · last seen first · last 30 days")),
	}
	if len(issues) == 0 {
		return append(blocks, slackapi.NewSectionBlock(md("No issues match. Widen the search (drop filters), or check its syntax: "+
			"`is:unresolved`, `level:error`, `assigned:me`, `firstSeen:-24h`…"), nil, nil))
	}
	if len(issues) > pageSize {
		issues = issues[:pageSize]
	}
	for _, v := range issues {
		blocks = append(blocks, c.row(v))
	}
	if next != nil {
		btn := slackapi.NewButtonBlockElement(actionMore, encodeValue(next), pt("More issues"))
		blocks = append(blocks, slackapi.NewActionBlock(blockID("more", org, strconv.Itoa(next.Page)), btn))
	}
	return blocks
}

// card is one issue in detail: header, the summary with a field per fact,
// the top in-app frame, and the buttons.
func (c cardMaker) card(v issueView, note string) []slackapi.Block {
	id := string(v.Issue.ID)
	is := v.Issue
	fields := []*slackapi.TextBlockObject{
		field("*Level*\n" + orDefault(levelText(is.Level), "unknown")),
		field("*Status*\n" + statusText(is)),
		field("*Events*\n" + count(int64(is.Count))),
		field("*Users*\n" + count(int64(is.UserCount))),
		field("*First seen*\n" + when(is.FirstSeen.Time)),
		field("*Last seen*\n" + when(is.LastSeen.Time)),
		field("*Assignee*\n" + assigneeText(is.AssignedTo)),
	}
	if r := v.release(); r != "" {
		fields = append(fields, field("*Release*\n`"+esc(strings.ReplaceAll(r, "`", "'"), 200)+"`"))
	}
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(pt(blockkit.Clip(v.shortID()+" · "+v.title(), blockkit.MaxHeaderText)), slackapi.HeaderBlockOptionBlockID(blockID("card", v.Org, id, "head"))),
		slackapi.NewSectionBlock(md(c.summary(v, false)), fields, nil, slackapi.SectionBlockOptionBlockID(blockID("card", v.Org, id, "sum"))),
	}
	if f := v.Frame; f != nil {
		blocks = append(blocks, slackapi.NewSectionBlock(md(frameText(f)), nil, nil, slackapi.SectionBlockOptionBlockID(blockID("card", v.Org, id, "frame"))))
	}
	ctx := []slackapi.MixedElement{md("*" + esc(orDefault(is.Project.Slug, "project"), 100) + "* in " + esc(v.Org, 100))}
	if is.Platform != "" {
		ctx = append(ctx, md(esc(is.Platform, 50)))
	}
	if v.EventID != "" {
		ctx = append(ctx, md("event `"+esc(v.EventID, 32)+"`"))
	}
	blocks = append(blocks, slackapi.NewContextBlock(blockID("card", v.Org, id, "ctx"), ctx...))
	blocks = append(blocks, c.buttons(v))
	if note != "" {
		blocks = append(blocks, slackapi.NewContextBlock(blockID("card", v.Org, id, "note"), md(blockkit.Clip(note, blockkit.MaxTextObject))))
	}
	return blocks
}

func (v issueView) release() string {
	if v.Release != "" {
		return v.Release
	}
	if r := v.Issue.LastRelease; r != nil {
		return r.Version
	}
	return ""
}

// buttons are a detail card's actions: open, and with triage the changes
// that make sense in the issue's state.
func (c cardMaker) buttons(v issueView) slackapi.Block {
	open := slackapi.NewButtonBlockElement(actionOpen, "", pt("Open in Sentry"))
	open.URL, open.Style = c.link(v), slackapi.StylePrimary
	elems := []slackapi.BlockElement{open}
	if c.triage {
		if closed(v.Issue) {
			elems = append(elems, slackapi.NewButtonBlockElement(actionUnresolve, c.actionValue("", v), pt("Reopen")))
		} else {
			elems = append(elems,
				slackapi.NewButtonBlockElement(actionResolve, c.actionValue("", v), pt("Resolve")),
				slackapi.NewButtonBlockElement(actionIgnore, c.actionValue("", v), pt("Archive")))
		}
		elems = append(elems, slackapi.NewButtonBlockElement(actionAssign, c.actionValue("", v), pt("Assign to me")))
	}
	return slackapi.NewActionBlock(blockID("card", v.Org, string(v.Issue.ID), "act"), elems...)
}

// frameText shows a stack frame: function, file and line, and the line of
// code when Sentry has it.
func frameText(f *sentry.Frame) string {
	where := orDefault(f.Filename, orDefault(f.AbsPath, orDefault(f.Module, "?")))
	if f.LineNo > 0 {
		where += ":" + strconv.Itoa(int(f.LineNo))
	}
	fn := orDefault(f.Function, "?")
	code := ""
	for _, l := range f.Context {
		if l.Line == int(f.LineNo) && strings.TrimSpace(l.Code) != "" {
			code = "\n" + strings.TrimSpace(l.Code)
		}
	}
	body := strings.ReplaceAll(fn+" in "+where+code, "```", "'''")
	return "*Top in-app frame*\n```" + esc(body, 500) + "```"
}

// topFrame is the frame a reader looks at first: the innermost in-app
// frame of the event's exceptions, or the innermost frame if none is in
// the app.
func topFrame(ev *sentry.Event) *sentry.Frame {
	excs, err := ev.Exceptions()
	if err != nil || len(excs) == 0 {
		return nil
	}
	var last *sentry.Frame
	for i := len(excs) - 1; i >= 0; i-- {
		st := excs[i].Stacktrace
		if st == nil {
			continue
		}
		for j := len(st.Frames) - 1; j >= 0; j-- {
			if st.Frames[j].InApp {
				return &st.Frames[j]
			}
			if last == nil {
				last = &st.Frames[j]
			}
		}
	}
	return last
}

// unfurlIssue is a shared issue or event link's preview: the summary, a
// context line naming whose Sentry access showed it, and the link.
func (c cardMaker) unfurlIssue(v issueView, poster string) []slackapi.Block {
	text := c.summary(v, true)
	if v.EventID != "" {
		text += "\nevent `" + esc(v.EventID, 32) + "`"
	}
	open := slackapi.NewButtonBlockElement(actionOpen, "", pt("Open in Sentry"))
	open.URL = c.link(v)
	return []slackapi.Block{
		slackapi.NewSectionBlock(md(text), nil, slackapi.NewAccessory(open)),
		slackapi.NewContextBlock("", md("Sentry "+esc(orDefault(v.Issue.Project.Slug, v.Org), 100)+" · shown with <@"+poster+">'s Sentry access")),
	}
}

// traceView is a trace as its unfurl shows it.
type traceView struct {
	Org, TraceID, Link string
	Meta               *sentry.TraceMeta
	Root               *sentry.TraceNode // the first root span, when there is one
}

func (c cardMaker) unfurlTrace(v traceView, poster string) []slackapi.Block {
	title := "*" + mdLink(v.Link, "Trace "+v.TraceID[:min(8, len(v.TraceID))]+"…") + "* in " + esc(v.Org, 100)
	if r := v.Root; r != nil {
		name := orDefault(r.Transaction, orDefault(r.Description, r.Op))
		if name != "" {
			title += "\n`" + esc(strings.ReplaceAll(name, "`", "'"), 200) + "`"
		}
		if r.Duration > 0 {
			title += " · " + strconv.FormatFloat(r.Duration, 'f', 0, 64) + " ms"
		}
	}
	var fields []*slackapi.TextBlockObject
	if m := v.Meta; m != nil {
		fields = []*slackapi.TextBlockObject{
			field("*Spans*\n" + count(int64(m.SpanCount))),
			field("*Errors*\n" + count(int64(m.Errors))),
			field("*Performance issues*\n" + count(int64(m.PerformanceIssues))),
			field("*Logs*\n" + count(int64(m.Logs))),
		}
	}
	return []slackapi.Block{
		slackapi.NewSectionBlock(md(title), fields, nil),
		slackapi.NewContextBlock("", md("shown with <@"+poster+">'s Sentry access")),
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// blocksJSON encodes blocks for an inbox item's progress.
func blocksJSON(blocks []slackapi.Block) json.RawMessage {
	if len(blocks) == 0 {
		return nil
	}
	b, err := json.Marshal(blocks)
	if err != nil {
		return nil
	}
	return b
}

// decodeBlocks reads blocks saved with blocksJSON.
func decodeBlocks(raw json.RawMessage) ([]slackapi.Block, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var bs slackapi.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, err
	}
	return bs.BlockSet, nil
}
