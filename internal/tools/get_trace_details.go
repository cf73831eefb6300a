package tools

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getTraceDetailsInput struct {
	orgParam
	regionParam
	TraceID string `json:"traceId" jsonschema:"Trace id, 32 hex characters."`
	SpanID  string `json:"spanId,omitempty" jsonschema:"A span (16 hex) to detail too."`
}

func getTraceDetailsTool() Tool {
	return newTool(spec{
		Name:  "get_trace_details",
		Title: "Get trace details",
		Description: `Summarize one trace: projects, span count, root transaction, its errors (with issue short ids), the slowest spans and the top of the span tree; spanId details one span. To list or filter all spans use search_events(dataset='spans', query='trace:<id>').
Example: get_trace_details(organizationSlug='acme', traceId='4bf92f3577b34da6a3ce929d0e0e4736')`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			s.Properties["traceId"].Pattern = `^[0-9a-fA-F]{32}$`
			one := 1
			s.Properties["spanId"].MinLength = &one
		},
	}, func(ctx context.Context, env *Env, in getTraceDetailsInput) (string, error) {
		if region := in.region(); region != "" {
			if err := env.Sentry.UseRegion(in.OrganizationSlug, region); err != nil {
				return "", err
			}
		}
		return traceOverview(ctx, env.Sentry, in.OrganizationSlug, strings.ToLower(in.TraceID), strings.ToLower(strings.TrimSpace(in.SpanID)))
	})
}

// Bounds of a trace overview: a trace can hold thousands of spans, and the
// answer must stay readable.
const (
	traceFetchMin   = 100
	traceFetchMax   = 1000
	traceMaxErrors  = 10
	traceMaxSlowest = 8
	traceMaxTree    = 25
	traceMaxDepth   = 8
)

// traceSpan is a span of the tree with its depth.
type traceSpan struct {
	node  *sentry.TraceNode
	depth int
}

// traceError is an error or occurrence of the trace and the span it hangs on.
type traceError struct {
	sentry.TraceIssue
	spanID string
}

// traceOverview renders a trace as get_trace_details and get_sentry_resource
// show it. An unknown trace is ErrNotFound: Sentry answers it with an empty
// trace.
func traceOverview(ctx context.Context, c *sentry.Client, org, traceID, spanID string) (string, error) {
	meta, err := c.GetTraceMeta(ctx, org, traceID, sentry.TraceQuery{})
	if err != nil {
		return "", err
	}
	limit := min(max(int(meta.SpanCount+meta.Errors), traceFetchMin), traceFetchMax)
	nodes, err := c.GetTrace(ctx, org, traceID, sentry.TraceQuery{Limit: limit})
	if err != nil {
		return "", err
	}
	if len(nodes) == 0 && meta.SpanCount == 0 && meta.Errors == 0 {
		return "", fmt.Errorf("trace %s in organization %s (last 14 days): %w", traceID, org, sentry.ErrNotFound)
	}

	var spans []traceSpan
	var errs []traceError
	var walk func(n *sentry.TraceNode, depth int)
	walk = func(n *sentry.TraceNode, depth int) {
		if n.IsIssue() {
			errs = append(errs, traceError{TraceIssue: sentry.TraceIssue{
				EventID: n.EventID, IssueID: n.IssueID, IssueShortID: n.IssueShortID, ProjectSlug: n.ProjectSlug, Title: n.Title,
				Culprit: n.Culprit, Level: n.Level, Type: n.Type, Timestamp: n.Timestamp,
			}})
			return
		}
		spans = append(spans, traceSpan{n, depth})
		for _, e := range append(slices.Clone(n.Errors), n.Occurrences...) {
			errs = append(errs, traceError{TraceIssue: e, spanID: n.SpanID})
		}
		for i := range n.Children {
			walk(&n.Children[i], depth+1)
		}
	}
	for i := range nodes {
		walk(&nodes[i], 0)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Trace `%s` in **%s**\n\n", traceID, org)
	fmt.Fprintf(&b, "- Link: %s\n", traceWebURL(c.BaseURL(), org, traceID))
	fmt.Fprintf(&b, "- Spans: %d", meta.SpanCount)
	if len(spans) < int(meta.SpanCount) {
		fmt.Fprintf(&b, " (%d fetched)", len(spans))
	}
	fmt.Fprintf(&b, " · Errors: %d · Performance issues: %d · Logs: %d\n", meta.Errors, meta.PerformanceIssues, meta.Logs)
	if start, end := traceBounds(spans); !start.IsZero() {
		fmt.Fprintf(&b, "- Started: %s · Duration: %s\n", traceTime(start), traceDuration(float64(end.Sub(start).Microseconds())/1000))
	}
	if p := traceProjects(spans); p != "" {
		fmt.Fprintf(&b, "- Projects: %s\n", p)
	}
	if root := traceRoot(spans); root != nil {
		fmt.Fprintf(&b, "- Root: **%s** (`%s`, %s), %s, status %s\n", cell(shorten(orDefault(root.Transaction, root.Description), 100)),
			root.Op, root.ProjectSlug, traceDuration(spanDuration(root)), orDefault(root.Status, "unknown"))
	}

	if spanID != "" {
		b.WriteString(traceFocus(spans, errs, spanID))
	}
	b.WriteString(traceErrors(c.BaseURL(), org, errs))
	b.WriteString(traceSlowest(spans))
	b.WriteString(traceTree(spans))
	if len(spans) > traceMaxTree || len(spans) < int(meta.SpanCount) {
		fmt.Fprintf(&b, "\n_This is an overview of %d span(s). To list or filter them all: search_events(organizationSlug='%s', dataset='spans', query='trace:%s', sort='-span.duration', limit=100)._\n",
			meta.SpanCount, org, traceID)
	}
	return b.String(), nil
}

// traceWebURL is the trace's page in Sentry. The /organizations/ form works
// on self-hosted Sentry and redirects to the org subdomain on sentry.io.
func traceWebURL(base, org, traceID string) string {
	return strings.TrimSuffix(base, "/") + "/organizations/" + org + "/explore/traces/trace/" + traceID + "/"
}

func traceBounds(spans []traceSpan) (start, end time.Time) {
	for _, s := range spans {
		if st := s.node.StartTimestamp.Time; !st.IsZero() && (start.IsZero() || st.Before(start)) {
			start = st
		}
		if e := s.node.EndTimestamp.Time; e.After(end) {
			end = e
		}
	}
	return start, end
}

// traceProjects lists the projects with their span counts, most spans first.
func traceProjects(spans []traceSpan) string {
	count := map[string]int{}
	for _, s := range spans {
		count[orDefault(s.node.ProjectSlug, "(unknown)")]++
	}
	names := make([]string, 0, len(count))
	for p := range count {
		names = append(names, p)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(count[b]-count[a], strings.Compare(a, b)) })
	parts := make([]string, len(names))
	for i, p := range names {
		parts[i] = fmt.Sprintf("%s (%d spans)", p, count[p])
	}
	return strings.Join(parts, ", ")
}

// traceRoot is the first top-level span: where the trace started.
func traceRoot(spans []traceSpan) *sentry.TraceNode {
	for _, s := range spans {
		if s.depth == 0 {
			return s.node
		}
	}
	return nil
}

func spanDuration(n *sentry.TraceNode) float64 {
	if n.Duration > 0 {
		return n.Duration
	}
	if !n.StartTimestamp.IsZero() && n.EndTimestamp.After(n.StartTimestamp.Time) {
		return float64(n.EndTimestamp.Sub(n.StartTimestamp.Time).Microseconds()) / 1000
	}
	return 0
}

// traceFocus details the span the caller asked about.
func traceFocus(spans []traceSpan, errs []traceError, spanID string) string {
	i := slices.IndexFunc(spans, func(s traceSpan) bool { return strings.EqualFold(s.node.SpanID, spanID) })
	if i < 0 {
		return fmt.Sprintf("\n> Span `%s` is not among the %d span(s) fetched for this trace; check the id, or look for it with search_events(dataset='spans', query='id:%s').\n", spanID, len(spans), spanID)
	}
	n := spans[i].node
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Span `%s`\n\n", n.SpanID)
	fmt.Fprintf(&b, "- Operation: `%s`\n", n.Op)
	if n.Description != "" {
		fmt.Fprintf(&b, "- Description: %s\n", shorten(n.Description, 300))
	}
	fmt.Fprintf(&b, "- Project: %s · Transaction: %s\n", n.ProjectSlug, orDefault(n.Transaction, "-"))
	fmt.Fprintf(&b, "- Duration: %s · Status: %s\n", traceDuration(spanDuration(n)), orDefault(n.Status, "unknown"))
	if !n.StartTimestamp.IsZero() {
		fmt.Fprintf(&b, "- Started: %s\n", traceTime(n.StartTimestamp.Time))
	}
	if n.ParentSpanID != "" {
		fmt.Fprintf(&b, "- Parent span: `%s`\n", n.ParentSpanID)
	}
	fmt.Fprintf(&b, "- Child spans: %d\n", len(n.Children))
	if len(n.Tags) > 0 {
		keys := make([]string, 0, len(n.Tags))
		for k := range n.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if len(keys) > 10 {
			keys = keys[:10]
		}
		var tags []string
		for _, k := range keys {
			tags = append(tags, fmt.Sprintf("%s=%s", k, shorten(n.Tags[k], 60)))
		}
		fmt.Fprintf(&b, "- Tags: %s\n", strings.Join(tags, ", "))
	}
	for _, e := range errs {
		if e.spanID == n.SpanID {
			fmt.Fprintf(&b, "- Error here: %s (issue %s, event `%s`)\n", shorten(e.Title, 120), e.issueName(), e.EventID)
		}
	}
	return b.String()
}

// traceErrors lists the errors of the trace, with where to look next.
func traceErrors(base, org string, errs []traceError) string {
	if len(errs) == 0 {
		return "\n## Errors\n\nNo errors are linked to this trace.\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Errors (%d)\n\n", len(errs))
	for i, e := range errs {
		if i == traceMaxErrors {
			fmt.Fprintf(&b, "- … and %d more\n", len(errs)-i)
			break
		}
		fmt.Fprintf(&b, "- **%s** (%s, %s)", shorten(orDefault(e.Title, "(untitled)"), 120), orDefault(e.ProjectSlug, "?"), orDefault(e.Level, "error"))
		if e.IssueID != "" {
			fmt.Fprintf(&b, " · issue [%s](%s/organizations/%s/issues/%s/)", e.issueName(), strings.TrimSuffix(base, "/"), org, e.IssueID)
		}
		if e.EventID != "" {
			fmt.Fprintf(&b, " · event `%s`", e.EventID)
		}
		if e.spanID != "" {
			fmt.Fprintf(&b, " · in span `%s`", e.spanID)
		} else {
			b.WriteString(" · not attached to a fetched span")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nAn error's stack trace: get_issue_details(organizationSlug='%s', issueId='%s').\n", org, orDefault(errs[0].issueName(), "<issue>"))
	return b.String()
}

// issueName is the issue's short id (WEB-1A) when Sentry sent it, else its
// numeric id.
func (e traceError) issueName() string {
	return orDefault(e.IssueShortID, string(e.IssueID))
}

// traceSlowest is a table of the longest spans.
func traceSlowest(spans []traceSpan) string {
	if len(spans) == 0 {
		return ""
	}
	sorted := slices.Clone(spans)
	slices.SortStableFunc(sorted, func(a, b traceSpan) int { return cmp.Compare(spanDuration(b.node), spanDuration(a.node)) })
	var b strings.Builder
	b.WriteString("\n## Slowest spans\n\n| duration | op | description | project | status | span |\n| --- | --- | --- | --- | --- | --- |\n")
	for i, s := range sorted {
		if i == traceMaxSlowest {
			break
		}
		n := s.node
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | `%s` |\n", traceDuration(spanDuration(n)), cell(n.Op),
			cell(shorten(orDefault(n.Description, n.Transaction), 80)), cell(n.ProjectSlug), cell(n.Status), n.SpanID)
	}
	return b.String()
}

// traceTree draws the top of the span tree in time order.
func traceTree(spans []traceSpan) string {
	if len(spans) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## Span tree\n\n")
	shown, deep := 0, false
	for _, s := range spans {
		if s.depth > traceMaxDepth {
			deep = true
			continue
		}
		if shown == traceMaxTree {
			break
		}
		shown++
		n := s.node
		fmt.Fprintf(&b, "%s- `%s` %s — %s [%s]", strings.Repeat("  ", s.depth), n.Op,
			shorten(strings.Join(strings.Fields(orDefault(n.Description, n.Transaction)), " "), 80), traceDuration(spanDuration(n)), n.ProjectSlug)
		if n.Status != "" && n.Status != "ok" {
			fmt.Fprintf(&b, " (%s)", n.Status)
		}
		if k := len(n.Errors) + len(n.Occurrences); k > 0 {
			fmt.Fprintf(&b, " ⚠ %d error(s)", k)
		}
		b.WriteString("\n")
	}
	if shown < len(spans) {
		fmt.Fprintf(&b, "\n_Showing %d of %d fetched spans", shown, len(spans))
		if deep {
			fmt.Fprintf(&b, " (at most %d levels deep)", traceMaxDepth)
		}
		b.WriteString("._\n")
	}
	return b.String()
}

// traceDuration prints milliseconds for a reader: 12 ms, 10.30 s.
func traceDuration(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

func traceTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") }
