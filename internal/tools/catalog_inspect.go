package tools

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// inspectTools read what surrounds issues: dashboards, alert rules, cron
// monitor details, user reports, spans, replays, attachments, profiles,
// preprod snapshots and AI agent conversations.
func inspectTools() []Tool {
	return []Tool{
		findDashboardsTool(),
		getDashboardDetailsTool(),
		getMonitorDetailsTool(),
		findAlertRulesTool(),
		getAlertRuleTool(),
		getIssueUserReportsTool(),
		getSpanDetailsTool(),
		getReplayDetailsTool(),
		getEventAttachmentTool(),
		getProfileTool(),
		getProfileDetailsTool(),
		getSnapshotTool(),
		getSnapshotImageTool(),
		getLatestBaseSnapshotTool(),
		getAgentConversationDetailsTool("get_agent_conversation_details", false),
		getAgentConversationDetailsTool("get_ai_conversation_details", true),
		searchAgentConversationsTool("search_agent_conversations", false),
		searchAgentConversationsTool("search_ai_conversations", true),
	}
}

// What the inspect tools share.

var (
	hex16Re    = lazyRegexp(`^[0-9a-fA-F]{16}$`)
	uuidRe     = lazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	digitsRe   = lazyRegexp(`^[0-9]{1,20}$`)
	periodRe   = lazyRegexp(`^\d+[hdw]$`)
	convIDRe   = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$`)
	projectRef = lazyRegexp(`^(-1|[0-9]+|[A-Za-z0-9][A-Za-z0-9_.-]*)$`)
)

const periodPattern = `^\d+[hdw]$`

// hexID normalizes a 32-hex id that may come in UUID form (replays,
// profiles): lower case, no dashes. ok is false for anything else.
func hexID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if uuidRe().MatchString(s) {
		s = strings.ReplaceAll(s, "-", "")
	}
	if !hex32Re().MatchString(s) {
		return "", false
	}
	return strings.ToLower(s), true
}

// periodDuration reads a period like 24h, 7d, 2w.
func periodDuration(p string) (time.Duration, bool) {
	if !periodRe().MatchString(p) {
		return 0, false
	}
	n, err := strconv.Atoi(p[:len(p)-1])
	if err != nil || n <= 0 || n > 10000 {
		return 0, false
	}
	unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[p[len(p)-1]]
	return time.Duration(n) * unit, true
}

// timeWindow checks a period or a start and end pair (RFC 3339, start
// before end), which go together and exclude the period.
func timeWindow(tool, period, start, end string) (from, to time.Time, err error) {
	bad := func(format string, a ...any) (time.Time, time.Time, error) {
		return time.Time{}, time.Time{}, &InputError{Tool: tool, Problem: fmt.Sprintf(format, a...)}
	}
	switch {
	case (start == "") != (end == ""):
		return bad("start and end go together: give both, or neither")
	case start != "" && period != "":
		return bad("give either period or start and end, not both")
	case start == "":
		return time.Time{}, time.Time{}, nil
	}
	if from, err = time.Parse(time.RFC3339, start); err != nil {
		return bad("start %q is not an ISO 8601 time such as 2026-11-24T12:00:00Z", shorten(start, 40))
	}
	if to, err = time.Parse(time.RFC3339, end); err != nil {
		return bad("end %q is not an ISO 8601 time such as 2026-11-24T13:00:00Z", shorten(end, 40))
	}
	if !from.Before(to) {
		return bad("start must be before end")
	}
	return from.UTC(), to.UTC(), nil
}

// projectIDOf returns a project's numeric id: ref itself when numeric,
// else Sentry's answer for the slug.
func projectIDOf(ctx context.Context, env *Env, org, ref string) (string, error) {
	if digitsRe().MatchString(ref) || ref == "-1" {
		return ref, nil
	}
	p, err := env.Sentry.GetProject(ctx, org, ref)
	if err != nil {
		return "", err
	}
	return string(p.ID), nil
}

// checkPinnedProjectID refuses a resource of another project than the one
// this connection is pinned to; projectID is the resource's numeric project
// id ("" when Sentry did not say, which is refused too).
func checkPinnedProjectID(ctx context.Context, env *Env, tool, org, projectID, what string) error {
	if env.Project == "" {
		return nil
	}
	pinned, err := projectIDOf(ctx, env, org, env.Project)
	if err != nil {
		return err
	}
	if projectID == "" || projectID != pinned {
		return &InputError{Tool: tool, Problem: fmt.Sprintf("this connection is pinned to project %q; %s belongs to another project", env.Project, what)}
	}
	return nil
}

// checkPinnedOrg refuses an organization other than the pinned one, for
// tools that read it from a URL.
func checkPinnedOrg(env *Env, tool, org string) error {
	if env.Org != "" && !strings.EqualFold(env.Org, org) {
		return &InputError{Tool: tool, Problem: fmt.Sprintf("this connection is pinned to organization %q; the URL is in %q", env.Org, org)}
	}
	return nil
}

// notFound is a resource Sentry answered for with nothing (an empty list
// rather than a 404).
func notFound(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, sentry.ErrNotFound)...)
}

// bestEffort reports whether err may be skipped for an optional part of
// an answer: anything but a token or scope problem, which the user must
// hear about.
func bestEffort(err error) bool {
	return !errors.Is(err, sentry.ErrUnauthorized) && !errors.Is(err, sentry.ErrMissingScope) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// minLength makes the named string properties non-empty.
func minLength(s *schemaT, names ...string) {
	one := 1
	for _, n := range names {
		s.Properties[n].MinLength = &one
	}
}

// intRange bounds an integer property; exclusive makes lo exclusive.
func intRange(s *schemaT, name string, lo, hi float64, exclusive bool) {
	p := s.Properties[name]
	if exclusive {
		p.ExclusiveMinimum = &lo
	} else {
		p.Minimum = &lo
	}
	p.Maximum = &hi
}

// msTime prints Unix milliseconds in UTC.
func msTime(ms int64) string {
	if ms <= 0 {
		return "unknown"
	}
	return time.UnixMilli(ms).UTC().Format(time.DateTime) + " UTC"
}

// durationText prints a duration for a reader: 850 ms, 4.2 s, 5m 12s.
func durationText(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
}
