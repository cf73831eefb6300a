package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type searchEventsInput struct {
	orgParam
	Dataset     string   `json:"dataset,omitempty" jsonschema:"errors (default), spans, logs, metrics or profiles."`
	Query       string   `json:"query,omitempty" jsonschema:"Sentry search, sent as is: level:error, span.op:db span.duration:>500ms, severity:warn, trace:<id>."`
	Fields      []string `json:"fields,omitempty" jsonschema:"Columns and aggregates (count(), p95(span.duration)...); aggregates group by the other fields."`
	Sort        *string  `json:"sort,omitempty" jsonschema:"Field, - for descending: -timestamp (default), -count()."`
	ProjectSlug *string  `json:"projectSlug,omitempty" jsonschema:"Only this project (slug)."`
	Environment any      `json:"environment,omitempty"`
	Period      string   `json:"period,omitempty" jsonschema:"How far back: 24h, 7d, 2w... (default 14d)."`
	regionParam
	Limit              int  `json:"limit,omitempty" jsonschema:"Rows, 1 to 100."`
	IncludeExplanation bool `json:"includeExplanation,omitempty" jsonschema:"Ignored: the query is not translated."`
}

// eventsDatasets maps the tool's dataset names to Sentry's. Replays live
// behind a different API (/replays/) that lookout does not query.
var eventsDatasets = map[string]string{
	"errors": "errors", "spans": "spans", "logs": "logs", "metrics": "tracemetrics", "profiles": "profiles",
}

// eventsDefaultFields are the columns shown when the caller names none, as
// @sentry/mcp-server picks them.
var eventsDefaultFields = map[string][]string{
	"errors":   {"issue", "title", "project", "timestamp", "level", "message", "error.type", "culprit", "user.email", "user.id"},
	"spans":    {"id", "span.op", "span.description", "span.duration", "transaction", "timestamp", "project", "trace"},
	"logs":     {"timestamp", "project", "message", "severity", "trace"},
	"metrics":  {"id", "timestamp", "project", "trace", "metric.name", "metric.type", "metric.unit", "value"},
	"profiles": {"project", "profile.id", "profiler.id", "thread.id", "timestamp", "transaction", "transaction.duration", "release", "environment", "trace"},
}

func searchEventsTool() Tool {
	return newTool(spec{
		Name:   "search_events",
		Title:  "Search events",
		Listed: true,
		Description: `Query raw errors, spans, logs or metrics with Sentry search syntax: rows, or counts and aggregates (errors per issue today, slowest spans, log lines, a trace's events). For grouped issues use search_issues.
Example: search_events(organizationSlug='acme', dataset='spans', query='span.op:db', sort='-span.duration')`,
		Scopes: []string{"event:read", "project:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl", "projectSlug", "fields")
			setEnum(s, "dataset", "spans", "errors", "logs", "metrics", "profiles", "replays")
			s.Properties["period"].Pattern = `^\d+[hdw]$`
			setDefault(s, "limit", "10")
			lo, hi := 1.0, 100.0
			s.Properties["limit"].Minimum, s.Properties["limit"].Maximum = &lo, &hi
			setDefault(s, "includeExplanation", "false")
			one := 1
			// One schema for both forms: minLength applies to the string,
			// minItems and items to the list.
			s.Properties["environment"] = &schemaT{
				Description: "An environment or a list: 'production', ['production', 'staging'].",
				Types:       []string{"string", "array"},
				MinLength:   &one,
				MinItems:    &one,
				Items:       &schemaT{Type: "string", MinLength: &one},
			}
		},
	}, searchEvents)
}

func searchEvents(ctx context.Context, env *Env, in searchEventsInput) (string, error) {
	const tool = "search_events"
	dataset := orDefault(in.Dataset, "errors")
	sentryDataset, ok := eventsDatasets[dataset]
	if !ok {
		return "", &InputError{Tool: tool, Problem: "dataset 'replays' is not supported: lookout does not query Sentry's replay API yet. " +
			"Open Replays in Sentry, or search errors/spans/logs instead"}
	}
	fields := slices.DeleteFunc(slices.Clone(in.Fields), func(f string) bool { return strings.TrimSpace(f) == "" })
	if len(fields) == 0 {
		fields = eventsDefaultFields[dataset]
	}
	sort := ""
	if in.Sort != nil {
		sort = strings.TrimSpace(*in.Sort)
	}
	sort, fields = eventsSort(sort, fields)
	envs, err := eventsEnvironments(in.Environment)
	if err != nil {
		return "", &InputError{Tool: tool, Problem: err.Error()}
	}
	query := strings.TrimSpace(in.Query)
	if f := environmentFilter(envs); f != "" {
		query = strings.TrimSpace(query + " " + f)
	}
	period := orDefault(in.Period, "14d")
	limit := in.Limit
	if limit == 0 {
		limit = 10
	}

	if region := in.region(); region != "" {
		if err := env.Sentry.UseRegion(in.OrganizationSlug, region); err != nil {
			return "", err
		}
	}
	eq := sentry.EventsQuery{
		Dataset: sentryDataset, Fields: fields, Query: query, Sort: sort, StatsPeriod: period, Limit: limit,
	}
	project := ""
	if in.ProjectSlug != nil && *in.ProjectSlug != "" {
		project = *in.ProjectSlug
		// Sentry's events endpoint filters by numeric project id.
		p, err := env.Sentry.GetProject(ctx, in.OrganizationSlug, project)
		if err != nil {
			return "", err
		}
		eq.Projects = []string{string(p.ID)}
	}
	res, page, err := env.Sentry.SearchEvents(ctx, in.OrganizationSlug, eq)
	if err != nil {
		return "", err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# %s in **%s**\n\n", eventsHeading(dataset), in.OrganizationSlug)
	fmt.Fprintf(&b, "- Query: `%s`\n", orDefault(query, "(everything)"))
	if project != "" {
		fmt.Fprintf(&b, "- Project: %s\n", project)
	}
	fmt.Fprintf(&b, "- Period: last %s · Sort: `%s`\n", period, sort)
	if in.IncludeExplanation {
		b.WriteString("- Explanation: none; lookout sends the query to Sentry exactly as given (includeExplanation is ignored).\n")
	}
	b.WriteString("\n")
	if len(res.Data) == 0 {
		fmt.Fprintf(&b, "No %s matched. Widen `period`, loosen the query, or check the field names (Sentry's search syntax, e.g. `level:error`).\n", dataset)
		return b.String(), nil
	}
	b.WriteString(eventsTable(fields, res))
	if note := moreNote(len(res.Data), page.NextCursor); note != "" {
		b.WriteString(note)
	} else {
		fmt.Fprintf(&b, "\n%d row(s).\n", len(res.Data))
	}
	return b.String(), nil
}

// eventsSort picks the sort and makes sure it is a selected field, as
// Sentry requires. Without one it is newest first, or, for aggregates,
// the first aggregate descending (a timestamp is no column of a grouped
// answer).
func eventsSort(sort string, fields []string) (string, []string) {
	isAgg := func(f string) bool { return strings.Contains(f, "(") && strings.HasSuffix(f, ")") }
	aggregate := slices.ContainsFunc(fields, isAgg)
	if sort == "" {
		if !aggregate {
			sort = "-timestamp"
		} else {
			sort = "-" + fields[slices.IndexFunc(fields, isAgg)]
		}
	}
	key := strings.TrimPrefix(sort, "-")
	if key != "" && !slices.Contains(fields, key) && (isAgg(key) || !aggregate) {
		fields = append(slices.Clone(fields), key)
	}
	return sort, fields
}

// eventsEnvironments reads environment: a string or a list of strings.
func eventsEnvironments(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{strings.TrimSpace(x)}, nil
	case []any:
		var out []string
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("environment must be a string or a list of strings")
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, nil
	}
	return nil, fmt.Errorf("environment must be a string or a list of strings")
}

// environmentFilter is the search filter for envs, quoting values Sentry's
// syntax would otherwise split.
func environmentFilter(envs []string) string {
	quote := func(s string) string {
		if strings.ContainsAny(s, " \t\"',[]") {
			return strconv.Quote(s)
		}
		return s
	}
	switch len(envs) {
	case 0:
		return ""
	case 1:
		return "environment:" + quote(envs[0])
	}
	q := make([]string, len(envs))
	for i, e := range envs {
		q[i] = quote(e)
	}
	return "environment:[" + strings.Join(q, ",") + "]"
}

func eventsHeading(dataset string) string {
	switch dataset {
	case "errors":
		return "Error events"
	case "spans":
		return "Spans"
	case "logs":
		return "Logs"
	case "metrics":
		return "Metric samples"
	}
	return "Profiles"
}

// eventsTable renders the rows as a markdown table with the fields as
// columns, in the order asked for.
func eventsTable(fields []string, res *sentry.EventsResult) string {
	var b strings.Builder
	b.WriteString("|")
	for _, f := range fields {
		b.WriteString(" " + cell(f) + " |")
	}
	b.WriteString("\n|")
	for range fields {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, row := range res.Data {
		b.WriteString("|")
		for _, f := range fields {
			b.WriteString(" " + cell(shorten(eventsValue(row[f], res.Meta.Units[f]), 120)) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// eventsValue prints one value: numbers keep their digits (ids), durations
// get their unit, lists are joined.
func eventsValue(v any, unit string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		if unit == "millisecond" {
			if f, err := x.Float64(); err == nil {
				return strconv.FormatFloat(f, 'f', -1, 64) + " ms"
			}
		}
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = eventsValue(e, "")
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}
