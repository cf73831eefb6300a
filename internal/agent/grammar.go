package agent

import (
	"net/url"
	"regexp"
	"strings"
)

// The command grammar of command mode (no model configured). Words are
// case-insensitive; a few leading words of politeness ("please show me the
// ...") and a preposition before the organization ("issues in acme") are
// skipped. <org> and <project> are Sentry slugs.
//
//	help                                   what lookout can do (no Sentry call)
//	whoami | who am i                      the connected Sentry account
//	orgs | organizations                   organizations you can see
//	projects <org>                         projects of an organization
//	teams <org>                            teams of an organization
//	releases <org>[/<project>]             recent releases
//	issues <org>[/<project>] [query...]    issue search, e.g. issues acme/checkout is:unresolved level:error
//	issue <SHORT-ID> [in <org>]            one issue; the org is resolved when unambiguous
//	issue <org> <ID> | issue <org>/<ID>    one issue of an organization
//	<a Sentry issue URL anywhere>          that issue
//	<SHORT-ID typed in capitals>           same as issue <SHORT-ID>
//	events <org>[/<project>] [query...]    error events, e.g. events acme level:error
//	trace <org> <trace-id>                 one trace (org resolved when unambiguous)
//
// Anything else gets a short help message and makes no Sentry call.
// Where <org> is missing, the organization is used when the user can see
// only one; otherwise lookout asks, listing the ones they can see.

// command is one parsed request.
type command struct {
	Kind     string
	Org      string // lower case; "" when not given
	Project  string // lower case; "" when not given
	Query    string // Sentry search syntax, as typed
	Issue    string // short id (upper case) or numeric id
	IssueURL string // a Sentry issue URL, passed whole to get_issue_details
	Trace    string // 32 hex characters, lower case
}

// Kinds of command.
const (
	cmdUnknown  = "unknown"
	cmdHelp     = "help"
	cmdWhoami   = "whoami"
	cmdOrgs     = "orgs"
	cmdProjects = "projects"
	cmdTeams    = "teams"
	cmdReleases = "releases"
	cmdIssues   = "issues"
	cmdIssue    = "issue"
	cmdEvents   = "events"
	cmdTrace    = "trace"
)

// keywords maps the first significant word to a kind.
var keywords = map[string]string{
	"help": cmdHelp, "?": cmdHelp, "commands": cmdHelp, "usage": cmdHelp,
	"whoami": cmdWhoami,
	"orgs":   cmdOrgs, "organizations": cmdOrgs, "organisations": cmdOrgs,
	"projects": cmdProjects, "teams": cmdTeams,
	"releases": cmdReleases,
	"issues":   cmdIssues,
	"issue":    cmdIssue,
	"events":   cmdEvents,
	"trace":    cmdTrace, "traces": cmdTrace,
}

// leadingFillers are skipped before the keyword: "can you please show me
// the issues in acme" is "issues acme".
var leadingFillers = set("please", "pls", "can", "could", "would", "you", "show", "me", "list", "get", "give",
	"find", "fetch", "tell", "about", "explain", "describe", "look", "at", "up", "the", "all", "my", "our", "what",
	"which", "are", "is", "hey", "hi", "hello", "lookout", "details", "of", "for", "latest", "recent")

// argFillers are skipped before an argument: "projects in acme".
var argFillers = set("in", "for", "of", "from", "on", "at", "org", "organization", "the")

// politeness is skipped after an issue or trace id: "WEB-1A please".
var politeness = set("please", "pls", "thanks", "thank", "you", "thx", "now", "again")

var (
	slugRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	issueIDRe = regexp.MustCompile(`^(\d+|[A-Za-z0-9][A-Za-z0-9_-]*-[A-Za-z0-9]+)$`)
	shortIDRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]*-[A-Z0-9]+$`) // typed in capitals, with a letter
	traceIDRe = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

// parseCommand reads one request of the grammar above. It never fails: text
// it does not understand is cmdUnknown.
func parseCommand(text string) command {
	words := strings.Fields(normalize(text))
	for _, w := range words {
		if u, ok := issueURL(w); ok {
			return command{Kind: cmdIssue, IssueURL: u}
		}
	}
	words = skip(words, leadingFillers)
	if len(words) == 0 {
		return command{Kind: cmdHelp}
	}
	head, rest := word(words[0]), words[1:]
	kind, ok := keywords[head]
	switch {
	case ok:
	case head == "who" && len(rest) >= 2 && word(rest[0]) == "am" && word(rest[1]) == "i":
		kind = cmdWhoami
	case shortIDRe.MatchString(strings.TrimRight(words[0], "?!.,;:")) && strings.ContainsAny(words[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
		kind, rest = cmdIssue, words // "WEB-1A?"
	default:
		return command{Kind: cmdUnknown}
	}

	c := command{Kind: kind}
	switch kind {
	case cmdProjects, cmdTeams, cmdReleases:
		c.Org, c.Project, _ = orgTarget(rest)
		if kind != cmdReleases {
			c.Project = ""
		}
	case cmdIssues, cmdEvents:
		var q []string
		c.Org, c.Project, q = orgTarget(rest)
		c.Query = strings.Join(q, " ")
	case cmdIssue:
		c.Org, c.Issue = issueTarget(rest)
	case cmdTrace:
		c.Org, c.Trace = traceTarget(rest)
	}
	return c
}

// orgTarget reads "[in] <org>[/<project>]" at the start of words and
// returns what follows. A first word that is not a slug (a query term such
// as is:unresolved) leaves org empty and words untouched.
func orgTarget(words []string) (org, project string, rest []string) {
	words = skip(words, argFillers)
	if len(words) == 0 {
		return "", "", nil
	}
	first := strings.ToLower(strings.TrimRight(words[0], "?!,;"))
	o, p, hasProject := strings.Cut(first, "/")
	if !slugRe.MatchString(o) || (hasProject && !slugRe.MatchString(p)) {
		return "", "", words
	}
	return o, p, words[1:]
}

// issueTarget reads "<ID> [in <org>]", "<org> <ID>" or "<org>/<ID>".
func issueTarget(words []string) (org, issue string) {
	words = skip(words, argFillers)
	if len(words) == 0 {
		return "", ""
	}
	a := strings.TrimRight(words[0], "?!.,;:")
	if o, id, ok := strings.Cut(a, "/"); ok {
		if o = strings.ToLower(o); slugRe.MatchString(o) && issueIDRe.MatchString(id) {
			return o, strings.ToUpper(id)
		}
		return "", ""
	}
	if len(words) >= 2 {
		// "<org> <ID>", unless the first word is plainly a short id
		// ("WEB-1A acme").
		b := strings.TrimRight(words[1], "?!.,;:")
		if o := strings.ToLower(a); slugRe.MatchString(o) && issueIDRe.MatchString(b) && !shortIDRe.MatchString(a) {
			return o, strings.ToUpper(b)
		}
	}
	if !issueIDRe.MatchString(a) {
		return "", ""
	}
	return trailingOrg(words[1:]), strings.ToUpper(a)
}

// trailingOrg reads the organization after an id: "in acme", or a lone
// "acme"; "WEB-1A is broken" names none.
func trailingOrg(words []string) string {
	words = skip(words, politeness)
	if len(words) == 0 || (len(words) > 1 && !argFillers[word(words[0])]) {
		return ""
	}
	org, _, _ := orgTarget(words)
	return org
}

// traceTarget reads "<org> <trace-id>" or "<trace-id> [in <org>]".
func traceTarget(words []string) (org, trace string) {
	words = skip(words, argFillers)
	if len(words) == 0 {
		return "", ""
	}
	if t := strings.TrimRight(words[0], "?!.,;:"); traceIDRe.MatchString(t) {
		return trailingOrg(words[1:]), strings.ToLower(t)
	}
	org, _, rest := orgTarget(words)
	rest = skip(rest, argFillers)
	if len(rest) > 0 {
		if t := strings.TrimRight(rest[0], "?!.,;:"); traceIDRe.MatchString(t) {
			return org, strings.ToLower(t)
		}
	}
	return org, ""
}

// withDefaults fills in the user's pinned organization (and project) for a
// command about an organization that names none: the user chose them, so
// lookout uses them instead of asking. The pinned project applies only
// with the pinned organization, to commands that take a project.
func (c command) withDefaults(org, project string) command {
	if org == "" || c.Org != "" || c.IssueURL != "" {
		return c
	}
	switch c.Kind {
	case cmdProjects, cmdTeams, cmdIssue, cmdTrace:
		c.Org = org
	case cmdIssues, cmdEvents, cmdReleases:
		c.Org = org
		if c.Project == "" {
			c.Project = project
		}
	}
	return c
}

// issueURL recognizes an http(s) URL whose path names an issue
// (.../issues/<id>/...). Whether it is a Sentry URL is checked later.
func issueURL(w string) (string, bool) {
	w = strings.TrimRight(w, "?!.,;:)")
	lw := strings.ToLower(w)
	if !strings.HasPrefix(lw, "https://") && !strings.HasPrefix(lw, "http://") {
		return "", false
	}
	u, err := url.Parse(w)
	if err != nil || u.Host == "" {
		return "", false
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	for i, s := range segs {
		if s == "issues" && i+1 < len(segs) {
			return w, true
		}
	}
	return "", false
}

// normalize undoes what Slack does to typed text: <url|label> and <url>
// link markup, <@U123> mentions, HTML entities, curly quotes, and code
// formatting backticks.
func normalize(text string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '<')
		if i < 0 {
			b.WriteString(text)
			break
		}
		j := strings.IndexByte(text[i:], '>')
		if j < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:i])
		inner := text[i+1 : i+j]
		switch {
		case strings.HasPrefix(inner, "http://") || strings.HasPrefix(inner, "https://"):
			link, _, _ := strings.Cut(inner, "|")
			b.WriteString(" " + link + " ")
		case strings.HasPrefix(inner, "@") || strings.HasPrefix(inner, "#") || strings.HasPrefix(inner, "!"):
			b.WriteByte(' ') // a mention of someone or something else
		default:
			b.WriteString(text[i : i+j+1]) // a literal "<", e.g. count:<10
		}
		text = text[i+j+1:]
	}
	return strings.NewReplacer(
		"&lt;", "<", "&gt;", ">", "&amp;", "&",
		"\u201c", `"`, "\u201d", `"`, "\u2018", "'", "\u2019", "'",
		"`", "",
	).Replace(b.String())
}

// word is w as a keyword: lower case, without surrounding formatting and
// trailing punctuation.
func word(w string) string {
	w = strings.Trim(w, `*_"'`)
	if w != "?" {
		w = strings.TrimRight(w, "?!.,;:")
	}
	return strings.ToLower(w)
}

// skip drops the leading words that are in fillers.
func skip(words []string, fillers map[string]bool) []string {
	for len(words) > 0 && fillers[word(words[0])] {
		words = words[1:]
	}
	return words
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// String renders c in the grammar's canonical form, for examples in
// answers ("say `issue acme WEB-1A`").
func (c command) String() string {
	target := c.Org
	if target == "" {
		target = "<org>"
	}
	if c.Project != "" {
		target += "/" + c.Project
	}
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " ")
	}
	switch c.Kind {
	case cmdProjects, cmdTeams, cmdReleases:
		return join(c.Kind, target)
	case cmdIssues, cmdEvents:
		return join(c.Kind, target, c.Query)
	case cmdIssue:
		if c.IssueURL != "" {
			return join(c.Kind, c.IssueURL)
		}
		return join(c.Kind, target, orDefault(c.Issue, "<ID>"))
	case cmdTrace:
		return join(c.Kind, target, orDefault(c.Trace, "<trace-id>"))
	case cmdUnknown:
		return ""
	}
	return c.Kind
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
