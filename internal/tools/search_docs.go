package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type searchDocsInput struct {
	Query      string `json:"query" jsonschema:"What to look for, in plain words (2 to 200 characters), e.g. 'configure sampling in Next.js'."`
	MaxResults int    `json:"maxResults,omitempty" jsonschema:"How many pages to return, 1 to 10."`
	Guide      string `json:"guide,omitempty" jsonschema:"Only pages of this platform or framework guide, e.g. python, javascript/nextjs, go/http."`
}

func searchDocsTool() Tool {
	return newTool(spec{
		Name:  "search_docs",
		Title: "Search Sentry's documentation",
		Description: `Search Sentry's documentation (docs.sentry.io) for SDK setup, configuration and product features; returns page paths with short excerpts.

Use it for how-to questions about Sentry itself, not for an organization's data. Read a page found here with get_doc.
Examples:
- search_docs(query='set up Sentry in a Next.js app', guide='javascript/nextjs')
- search_docs(query='rate limit a DSN')`,
		Permission: Docs,
		Schema: func(s *schemaT) {
			two, most := 2, 200
			s.Properties["query"].MinLength, s.Properties["query"].MaxLength = &two, &most
			setDefault(s, "maxResults", "3")
			one, ten := 1.0, 10.0
			s.Properties["maxResults"].Minimum, s.Properties["maxResults"].Maximum = &one, &ten
			setEnum(s, "guide", docGuides...)
		},
	}, func(ctx context.Context, env *Env, in searchDocsInput) (string, error) {
		query := strings.TrimSpace(in.Query)
		if len([]rune(query)) < 2 {
			return "", &InputError{Tool: "search_docs", Problem: "query needs at least 2 characters besides spaces"}
		}
		docs, err := env.docs()
		if err != nil {
			return "", err
		}
		results, err := docs.Search(ctx, sentry.DocsQuery{Query: query, MaxResults: in.MaxResults, Guide: in.Guide})
		if err != nil {
			return "", err
		}
		scope := ""
		if in.Guide != "" {
			scope = " in the " + in.Guide + " docs"
		}
		if len(results) == 0 {
			return fmt.Sprintf("No Sentry documentation matches %q%s. Try other words, or drop guide.\n", query, scope), nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Sentry docs for %q%s\n\n", query, scope)
		for i, r := range results {
			fmt.Fprintf(&b, "%d. `%s` (relevance %.2f) %s\n", i+1, docPath(r.ID), r.Relevance, r.URL)
			if s := oneLine(r.Snippet); s != "" {
				fmt.Fprintf(&b, "   %s\n", shorten(s, 300))
			}
		}
		fmt.Fprintf(&b, "\nRead a page with get_doc(path='%s').\n", docPath(results[0].ID))
		return b.String(), nil
	})
}

// docPath is a search result's id as get_doc takes it: "/a/b.md".
func docPath(id string) string {
	id = strings.TrimSpace(id)
	if !strings.HasSuffix(id, ".md") {
		id = strings.TrimSuffix(id, "/") + ".md"
	}
	return "/" + strings.TrimPrefix(id, "/")
}
