package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getSpanDetailsInput struct {
	orgParam
	regionParam
	TraceID string `json:"traceId" jsonschema:"The span's trace id: 32 hex characters."`
	SpanID  string `json:"spanId" jsonschema:"The span id: 16 hex characters (a trace URL's ?node=span-<id> has it)."`
}

const getSpanDetailsName = "get_span_details"

// spanChildrenShown bounds the child spans listed.
const spanChildrenShown = 10

func getSpanDetailsTool() Tool {
	return newTool(spec{
		Name:  getSpanDetailsName,
		Title: "Get span details",
		Description: `Show one span of a trace: operation, description, timing, status, tags, the errors that happened in it, its parents up to the root and its children.

Use it when you know a trace id and a span id and want to focus on that one operation; get_trace_details gives the whole trace.
Example: get_span_details(organizationSlug='acme', traceId='4bf92f3577b34da6a3ce929d0e0e4736', spanId='e5d4a6b7c8d9e0f1').`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug")
			s.Properties["traceId"].Pattern = `^[0-9a-fA-F]{32}$`
			minLength(s, "spanId")
		},
	}, func(ctx context.Context, env *Env, in getSpanDetailsInput) (string, error) {
		spanID := strings.TrimSpace(in.SpanID)
		if !hex16Re().MatchString(spanID) {
			return "", &InputError{Tool: getSpanDetailsName, Problem: fmt.Sprintf("spanId %q is not a span id: 16 hex characters, e.g. e5d4a6b7c8d9e0f1", shorten(spanID, 40))}
		}
		if err := useRegionArg(env, in.OrganizationSlug, in.regionParam); err != nil {
			return "", err
		}
		return spanDetails(ctx, env.Sentry, in.OrganizationSlug, strings.ToLower(in.TraceID), strings.ToLower(spanID))
	})
}

// spanDetails renders one span of a trace with its surroundings.
func spanDetails(ctx context.Context, c *sentry.Client, org, traceID, spanID string) (string, error) {
	meta, err := c.GetTraceMeta(ctx, org, traceID, sentry.TraceQuery{})
	if err != nil {
		return "", err
	}
	nodes, err := c.GetTrace(ctx, org, traceID, sentry.TraceQuery{Limit: min(max(int(meta.SpanCount+meta.Errors), traceFetchMin), 10000)})
	if err != nil {
		return "", err
	}
	var spans []traceSpan
	var errs []traceError
	parents := map[string]*sentry.TraceNode{}
	var walk func(n, parent *sentry.TraceNode, depth int)
	walk = func(n, parent *sentry.TraceNode, depth int) {
		if n.IsIssue() {
			return
		}
		spans = append(spans, traceSpan{n, depth})
		parents[n.SpanID] = parent
		for _, e := range append(slices.Clone(n.Errors), n.Occurrences...) {
			errs = append(errs, traceError{TraceIssue: e, spanID: n.SpanID})
		}
		for i := range n.Children {
			walk(&n.Children[i], n, depth+1)
		}
	}
	for i := range nodes {
		walk(&nodes[i], nil, 0)
	}
	var span *sentry.TraceNode
	for _, s := range spans {
		if strings.EqualFold(s.node.SpanID, spanID) {
			span = s.node
		}
	}
	if span == nil {
		return "", notFound("span %s in trace %s of organization %s (%d spans fetched, last 14 days)", spanID, traceID, org, len(spans))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Span `%s` of trace `%s` in **%s**\n\n", span.SpanID, traceID, org)
	fmt.Fprintf(&b, "- Link: %s?node=span-%s\n", traceWebURL(c.BaseURL(), org, traceID), span.SpanID)
	focus := traceFocus(spans, errs, span.SpanID)
	b.WriteString(strings.TrimPrefix(focus[strings.Index(focus, "\n- ")+1:], "\n"))

	var chain []string
	for p := parents[span.SpanID]; p != nil && len(chain) < 10; p = parents[p.SpanID] {
		chain = append(chain, fmt.Sprintf("`%s` %s (%s)", p.Op, shorten(oneLine(orDefault(p.Description, p.Transaction)), 60), p.SpanID))
	}
	if len(chain) > 0 {
		b.WriteString("\n## Parents (nearest first)\n\n")
		for _, c := range chain {
			b.WriteString("- " + c + "\n")
		}
	}
	if len(span.Children) > 0 {
		fmt.Fprintf(&b, "\n## Children (%d)\n\n", len(span.Children))
		for i, ch := range span.Children {
			if i == spanChildrenShown {
				fmt.Fprintf(&b, "- …and %d more\n", len(span.Children)-i)
				break
			}
			status := ""
			if ch.Status != "" && ch.Status != "ok" {
				status = " (" + ch.Status + ")"
			}
			fmt.Fprintf(&b, "- `%s` %s — %s%s · span `%s`\n", ch.Op, shorten(oneLine(orDefault(ch.Description, ch.Transaction)), 80),
				traceDuration(spanDuration(&ch)), status, ch.SpanID)
		}
	}
	fmt.Fprintf(&b, "\nThe whole trace: get_trace_details(organizationSlug='%s', traceId='%s').\n", org, traceID)
	return b.String(), nil
}
