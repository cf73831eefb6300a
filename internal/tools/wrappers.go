package tools

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// The wrappers search_sentry_tools and execute_sentry_tool reach every tool
// of a session's catalog, listed or not, with @sentry/mcp-server 0.39.0's
// parameters, scoring and messages, so prompts written for it work. They
// are built over whatever the catalog holds: a tool added to all() is
// searchable and executable without touching this file.

const (
	searchToolsName  = "search_sentry_tools"
	executeToolsName = "execute_sentry_tool"
)

type searchToolsInput struct {
	Query string `json:"query" jsonschema:"Keywords for the Sentry operation or resource, e.g. 'release deploys', 'issue tags', 'find dsn'."`
	Limit *int   `json:"limit,omitempty" jsonschema:"How many tools to return, 1 to 20."`
}

type executeToolInput struct {
	Name      string         `json:"name" jsonschema:"The tool to run, as search_sentry_tools names it."`
	Arguments map[string]any `json:"arguments,omitempty" jsonschema:"Its arguments, matching the inputSchema search_sentry_tools returned."`
}

// toolMatch is one search_sentry_tools result, as the reference shapes it.
type toolMatch struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	InputSchema *jsonschema.Schema `json:"inputSchema"`
	Annotations map[string]bool    `json:"annotations"`
}

// unavailableMatch is a tool the search matched that this session's
// permissions hide, with how to get it (lookout's addition).
type unavailableMatch struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// wrapperTools returns the two wrappers over available (the session's
// tools, pinned).
func wrapperTools(available []Tool, opts Options) []Tool {
	search := newTool(spec{
		Name:   searchToolsName,
		Title:  "Search Sentry tools",
		Listed: true,
		Description: `Find the Sentry tool for a task among all of this session's tools, most of which are not listed directly: releases, teams, DSNs, monitors, tags, breadcrumbs, stack traces, issue activity and more. Returns each match's name, description and input schema; run one with execute_sentry_tool.
Example: search_sentry_tools(query='release deploys')`,
		Schema: func(s *schemaT) {
			one := 1
			s.Properties["query"].MinLength = &one
			nullable(s, "limit")
			setDefault(s, "limit", "8")
			zero, twenty := 0.0, 20.0
			s.Properties["limit"].ExclusiveMinimum, s.Properties["limit"].Maximum = &zero, &twenty
		},
	}, func(_ context.Context, _ *Env, in searchToolsInput) (string, error) {
		limit := 8
		if in.Limit != nil {
			limit = *in.Limit
		}
		return searchTools(available, opts, strings.TrimSpace(in.Query), limit)
	})
	execute := newTool(spec{
		Name:   executeToolsName,
		Title:  "Run a Sentry tool",
		Listed: true,
		Description: `Run any of this session's Sentry tools by name, with arguments matching the schema search_sentry_tools returned.
Example: execute_sentry_tool(name='get_issue_tag_values', arguments={organizationSlug:'acme', issueId:'WEB-1A', tagKey:'release'})`,
		Writes:      true,
		Destructive: true, // it may run any tool, update_issue included
		Schema: func(s *schemaT) {
			one := 1
			s.Properties["name"].MinLength = &one
			setDefault(s, "arguments", "{}")
		},
	}, func(ctx context.Context, env *Env, in executeToolInput) (string, error) {
		name := strings.TrimSpace(in.Name)
		t, ok := Find(available, name)
		if !ok || isWrapper(name) {
			return "", &InputError{Tool: executeToolsName, Problem: notAvailable(available, opts, name)}
		}
		res, err := t.callArgs(ctx, env, in.Arguments)
		return res.Text, err
	})
	return []Tool{search, execute}
}

func isWrapper(name string) bool { return name == searchToolsName || name == executeToolsName }

// notAvailable says why name cannot run here, and what to do instead.
func notAvailable(available []Tool, opts Options, name string) string {
	if why, ok := Unavailable(opts, name); ok {
		return why
	}
	msg := fmt.Sprintf("Tool %q is not available in this session. Use search_sentry_tools to find an executable tool.", name)
	var names []string
	for _, t := range available {
		if !isWrapper(t.Name) {
			names = append(names, t.Name)
		}
	}
	if c := Closest(name, names); c != "" {
		msg += fmt.Sprintf(" Did you mean %s?", c)
	}
	return msg
}

var nonToken = lazyRegexp(`[^a-z0-9_]+`)

// scoreTool is the reference's ranking: +20 when the whole query appears
// in "name description"; per token, +12 for the exact name, else +8 when
// the name contains it, and +2 when the description does.
func scoreTool(name, description, query string) int {
	name, description = strings.ToLower(name), strings.ToLower(description)
	score := 0
	if strings.Contains(name+" "+description, strings.ToLower(query)) {
		score += 20
	}
	for _, tok := range nonToken().Split(strings.ToLower(query), -1) {
		if tok == "" {
			continue
		}
		if name == tok {
			score += 12
		} else if strings.Contains(name, tok) {
			score += 8
		}
		if strings.Contains(description, tok) {
			score += 2
		}
	}
	return score
}

func searchTools(available []Tool, opts Options, query string, limit int) (string, error) {
	type scored struct {
		t     Tool
		score int
	}
	var hits []scored
	for _, t := range available {
		if isWrapper(t.Name) {
			continue
		}
		if s := scoreTool(t.Name, t.Description, query); s > 0 {
			hits = append(hits, scored{t, s})
		}
	}
	slices.SortFunc(hits, func(a, b scored) int { return cmp.Or(b.score-a.score, strings.Compare(a.t.Name, b.t.Name)) })
	out := struct {
		Query       string             `json:"query"`
		Results     []toolMatch        `json:"results"`
		Unavailable []unavailableMatch `json:"unavailable,omitempty"`
		// More counts matches left out to keep the answer small: a
		// narrower query finds them.
		More int `json:"more,omitempty"`
	}{Query: query, Results: []toolMatch{}}
	for _, h := range hits[:min(limit, len(hits))] {
		out.Results = append(out.Results, toolMatch{
			Name: h.t.Name, Description: h.t.Description, InputSchema: h.t.InputSchema(),
			Annotations: map[string]bool{"readOnlyHint": h.t.ReadOnly, "destructiveHint": h.t.Destructive,
				"idempotentHint": h.t.Idempotent, "openWorldHint": true},
		})
	}
	// Tools the session's permissions hide are named with the way to get
	// them, rather than silently missing.
	for _, t := range all() {
		if hiddenBy(opts, t) == "permission" && scoreTool(t.Name, t.Description, query) >= 8 && len(out.Unavailable) < 3 {
			why, _ := Unavailable(opts, t.Name)
			out.Unavailable = append(out.Unavailable, unavailableMatch{Name: t.Name, Reason: why})
		}
	}
	// The answer must stay whole JSON within maxOutput: drop the lowest
	// ranked matches rather than let truncation cut the document.
	for {
		b, err := json.Marshal(out)
		if err != nil {
			return "", err
		}
		if len(b) <= maxOutput || len(out.Results) <= 1 {
			return string(b), nil
		}
		out.Results = out.Results[:len(out.Results)-1]
		out.More++
	}
}
