package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getDocInput struct {
	Path string `json:"path" jsonschema:"The page's path, ending in .md, as search_docs gives it, e.g. /platforms/javascript/guides/nextjs.md."`
}

func getDocTool() Tool {
	return newTool(spec{
		Name:  "get_doc",
		Title: "Read a Sentry documentation page",
		Description: `Read one page of Sentry's documentation as markdown: setup steps, configuration options, code samples.

Use the path search_docs returned. Only docs.sentry.io and develop.sentry.io pages can be read.
Example: get_doc(path='/platforms/javascript/guides/nextjs.md')`,
		Permission: Docs,
		Schema: func(s *schemaT) {
			one, most := 1, 500
			s.Properties["path"].MinLength, s.Properties["path"].MaxLength = &one, &most
		},
	}, func(ctx context.Context, env *Env, in getDocInput) (string, error) {
		const tool = "get_doc"
		docs, err := env.docs()
		if err != nil {
			return "", err
		}
		path := strings.TrimSpace(in.Path)
		u, err := docs.PageURL(path)
		if err != nil {
			return "", &InputError{Tool: tool, Problem: strings.TrimPrefix(err.Error(), sentry.ErrInvalidArgument.Error()+": ")}
		}
		if !strings.HasSuffix(u.Path, ".md") {
			return "", &InputError{Tool: tool, Problem: fmt.Sprintf("path %q must end in .md, e.g. /platforms/go.md (search_docs gives such paths)", path)}
		}
		md, err := docs.Page(ctx, path)
		if errors.Is(err, sentry.ErrDocNotFound) {
			return fmt.Sprintf("No documentation page at %s. Check the path: it starts with / and ends in .md, exactly as search_docs returns it; pages move, so search again with search_docs.\n", u), nil
		}
		if err != nil {
			return "", err
		}
		if t := strings.ToLower(strings.TrimSpace(md)); strings.HasPrefix(t, "<!doctype") || strings.HasPrefix(t, "<html") {
			return fmt.Sprintf("%s answered with an HTML page, not markdown: the path is probably wrong. Use a path from search_docs, ending in .md.\n", u), nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Sentry docs: %s\n\n", u.Path)
		b.WriteString(strings.TrimSpace(md))
		fmt.Fprintf(&b, "\n\n---\n_Source: %s. Relative links are relative to %s://%s._\n", u, u.Scheme, u.Host)
		return b.String(), nil
	})
}
