package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
)

// helpText answers "help" (and empty text) without any Sentry call.
var helpText = strings.Join([]string{
	"I look into Sentry for you, with your own Sentry access. Commands:",
	"- `orgs`: the organizations you can see",
	"- `projects <org>`, `teams <org>`, `releases <org>[/<project>]`",
	"- `issues <org>[/<project>] [search]`, e.g. `issues acme/checkout is:unresolved level:error`",
	"- `issue <ID>` or `issue <org> <ID>`, e.g. `issue WEB-1A`; or paste a Sentry issue link",
	"- `events <org>[/<project>] [search]`, e.g. `events acme level:error`",
	"- `trace <org> <trace-id>`",
	"- `whoami`: the Sentry account you are connected as",
	"- `connect sentry`, `disconnect sentry`, `sentry status`: your connection",
}, "\n")

// unknownText answers text the grammar does not understand.
const unknownText = "I didn't understand that. I answer commands such as `issues acme/checkout`, `issue WEB-1A` or `orgs`; say `help` for the list."

// runCommand answers a parsed command with one catalog tool call (plus, when
// the organization is not given, the calls that find it).
func (a *Agent) runCommand(ctx context.Context, run *toolRunner, c command) (Reply, error) {
	switch c.Kind {
	case cmdHelp:
		return Reply{Text: helpText}, nil
	case cmdUnknown:
		return Reply{Text: unknownText}, nil
	case cmdWhoami:
		return a.answer(ctx, run, c, "whoami", nil, nil)
	case cmdOrgs:
		return a.answer(ctx, run, c, "find_organizations", nil, nil)
	case cmdIssue:
		if c.IssueURL != "" {
			if !a.isSentryURL(c.IssueURL) {
				return Reply{Text: "That link does not point at your Sentry (" + a.sentryHost() + "), so I won't open it. Paste the link of the issue in Sentry, or say `issue <ID>`."}, nil
			}
			return a.answer(ctx, run, c, "get_issue_details", map[string]any{"issueUrl": c.IssueURL},
				&Subject{Kind: SubjectIssue, URL: c.IssueURL})
		}
		if c.Issue == "" {
			return Reply{Text: "Which issue? Say `issue WEB-1A`, `issue <org> <ID>`, or paste the issue's link."}, nil
		}
	case cmdTrace:
		if c.Trace == "" {
			return Reply{Text: "Which trace? Say `trace <org> <trace-id>`; a trace id is 32 hex characters."}, nil
		}
	}

	if c.Org == "" {
		org, question, err := a.resolveOrg(ctx, run, c)
		if err != nil {
			return a.failed(ctx, c, err)
		}
		if question != "" {
			return Reply{Text: question}, nil
		}
		c.Org = org
	}
	args := map[string]any{"organizationSlug": c.Org}
	var tool string
	var subject *Subject
	switch c.Kind {
	case cmdProjects:
		tool = "find_projects"
	case cmdTeams:
		tool = "find_teams"
	case cmdReleases:
		tool = "find_releases"
		setIf(args, "projectSlug", c.Project)
	case cmdIssues:
		tool = "search_issues"
		setIf(args, "projectSlugOrId", c.Project)
		setIf(args, "query", c.Query)
		subject = &Subject{Kind: SubjectIssues, Org: c.Org, Project: c.Project, Query: c.Query}
	case cmdIssue:
		tool = "get_issue_details"
		args["issueId"] = c.Issue
		subject = &Subject{Kind: SubjectIssue, Org: c.Org, Issue: c.Issue}
	case cmdEvents:
		tool = "search_events"
		setIf(args, "projectSlug", c.Project)
		setIf(args, "query", c.Query)
	case cmdTrace:
		tool = "get_trace_details"
		args["traceId"] = c.Trace
	}
	return a.answer(ctx, run, c, tool, args, subject)
}

// answer runs one tool and makes its output, or its error, the reply; a
// reply that shows what was asked says so with subject.
func (a *Agent) answer(ctx context.Context, run *toolRunner, c command, tool string, args map[string]any, subject *Subject) (Reply, error) {
	raw := json.RawMessage("{}")
	if args != nil {
		var err error
		if raw, err = json.Marshal(args); err != nil {
			return Reply{}, err
		}
	}
	out, err := run.call(ctx, tool, raw)
	if err != nil {
		return a.failed(ctx, c, err)
	}
	return Reply{Text: a.forPeople(out), Subject: subject}, nil
}

// forPeople drops what a tool's markdown says to a model: the "Next steps"
// section and lines suggesting tool calls such as
// get_issue_details(organizationSlug='acme', ...). A person typing
// commands cannot make those calls.
func (a *Agent) forPeople(out string) string {
	var b strings.Builder
	skipping := false
	for line := range strings.Lines(out) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "## ") || strings.HasPrefix(trimmed, "# ") {
			skipping = strings.EqualFold(trimmed, "## Next steps")
		}
		if skipping || a.suggestsToolCall(trimmed) {
			continue
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}

// suggestsToolCall reports whether line names a catalog tool as a call.
func (a *Agent) suggestsToolCall(line string) bool {
	for _, t := range a.catalog {
		if strings.Contains(line, t.Name+"(") {
			return true
		}
	}
	return false
}

// failed turns the error of a command into its reply: consent needed, or
// what went wrong and what to do, in Slack words. A turn whose time ran out
// is an error of the turn instead.
func (a *Agent) failed(ctx context.Context, c command, err error) (Reply, error) {
	if ctx.Err() != nil || ended(err) {
		return Reply{}, err
	}
	if auth := authNeeded(err); auth != nil {
		return Reply{Auth: auth}, nil
	}
	return Reply{Text: explainCommandError(c, err)}, nil
}

// explainCommandError words a failed command for a Slack user in terms of
// commands (the catalog's own advice names tools, which is right for a
// model but not for a person typing commands).
func explainCommandError(c command, err error) string {
	var ie *tools.InputError
	switch {
	case errors.As(err, &ie):
		return "I couldn't run that: " + ie.Problem + ". Say `help` for the commands I know."
	case errors.Is(err, sentry.ErrNoAccess):
		return "Your Sentry account can't access " + c.target() + ". Check the spelling (`orgs` and `projects <org>` list what you can see), " +
			"ask an owner of the organization for access, or connect another Sentry account (`disconnect sentry`, then ask again)."
	case errors.Is(err, sentry.ErrNotFound):
		return "Sentry found nothing for " + c.target() + ". Check the spelling: `orgs`, `projects <org>` and `issues <org>` list what you can see."
	}
	return slackGuide.Explain(err)
}

// target names what a command is about, for messages.
func (c command) target() string {
	where := c.Org
	if c.Project != "" {
		where += "/" + c.Project
	}
	switch {
	case c.IssueURL != "":
		return c.IssueURL
	case c.Issue != "":
		return "issue " + c.Issue + " in " + where
	case c.Trace != "":
		return "trace " + c.Trace + " in " + where
	case where != "":
		return where
	}
	return "that"
}

// isSentryURL reports whether raw is on the Sentry host or one of its
// subdomains (acme.sentry.io). The tool checks the URL fully; this only
// keeps a link to elsewhere from asking the user to connect Sentry.
func (a *Agent) isSentryURL(raw string) bool {
	host := a.sentryHost()
	if host == "" {
		return true // let the tool decide
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == host || strings.HasSuffix(h, "."+host)
}

func (a *Agent) sentryHost() string {
	u, err := url.Parse(a.opts.SentryURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func setIf(args map[string]any, key, value string) {
	if value != "" {
		args[key] = value
	}
}
