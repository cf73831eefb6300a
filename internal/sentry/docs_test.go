package sentry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func newDocsClient(t *testing.T, d *sentrytest.Docs) (*DocsClient, *sleeps) {
	t.Helper()
	s := &sleeps{}
	c, err := NewDocsClient(DocsOptions{SearchURL: d.URL, PagesURL: d.URL, Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestDocsSearch(t *testing.T) {
	t.Parallel()
	d := sentrytest.NewDocs(t)
	c, _ := newDocsClient(t, d)
	res, err := c.Search(context.Background(), DocsQuery{Query: "rate limiting", MaxResults: 2})
	if err != nil || len(res) == 0 || res[0].ID != "product/rate-limiting.md" || res[0].Relevance <= 0.5 || !strings.Contains(res[0].Snippet, "rate limiting") {
		t.Fatalf("Search = %+v, %v", res, err)
	}
	if res, err = c.Search(context.Background(), DocsQuery{Query: "capture errors", MaxResults: 10, Guide: "go/http"}); err != nil || len(res) != 1 || res[0].ID != "platforms/go/guides/http.md" {
		t.Fatalf("guide-filtered Search = %+v, %v", res, err)
	}
	reqs := d.Requests()
	if r := reqs[len(reqs)-1]; r.Method != http.MethodPost || r.Path != "/api/search" || r.Guide != "go/http" || r.MaxResults != 10 || r.Authorization != "" {
		t.Errorf("request = %+v", r)
	}
	// The service's own error text reaches the caller.
	_, err = c.Search(context.Background(), DocsQuery{Query: "rate", MaxResults: 11})
	var de *DocsError
	if !errors.As(err, &de) || de.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "maxResults must be between 1 and 10") {
		t.Errorf("err = %v", err)
	}
}

func TestDocsRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	d := sentrytest.NewDocs(t)
	c, s := newDocsClient(t, d)
	d.Fail(http.StatusTooManyRequests, 1)
	if _, err := c.Search(context.Background(), DocsQuery{Query: "dsn", MaxResults: 3}); err != nil {
		t.Fatalf("after one 429: %v", err)
	}
	if w := s.all(); len(w) != 1 || w[0].Seconds() != 1 {
		t.Errorf("waits = %v, want the 1 s Retry-After", w)
	}
	d.Fail(http.StatusServiceUnavailable, 3)
	_, err := c.Page(context.Background(), "/platforms/go.md")
	var de *DocsError
	if !errors.As(err, &de) || de.Status != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "try again") {
		t.Fatalf("err = %v", err)
	}
	if n := len(d.Requests()); n != 5 {
		t.Errorf("%d requests, want 2 + 3 (two retries)", n)
	}
}

func TestDocsPage(t *testing.T) {
	t.Parallel()
	d := sentrytest.NewDocs(t)
	c, _ := newDocsClient(t, d)
	md, err := c.Page(context.Background(), "/platforms/go.md")
	if err != nil || !strings.HasPrefix(md, "# Go") {
		t.Fatalf("Page = %q, %v", md, err)
	}
	if r := d.Requests()[0]; r.Accept != "text/plain, text/markdown" || r.Authorization != "" {
		t.Errorf("request = %+v", r)
	}
	if _, err := c.Page(context.Background(), "/platforms/cobol.md"); !errors.Is(err, ErrDocNotFound) {
		t.Errorf("missing page: %v", err)
	}
	before := len(d.Requests())
	for _, p := range []string{"//evil.example/x.md", "https://evil.example/x.md", "http://docs.sentry.io/x.md", "https://user@docs.sentry.io/x.md", ""} {
		if _, err := c.Page(context.Background(), p); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Page(%q) = %v, want ErrInvalidArgument", p, err)
		}
	}
	if len(d.Requests()) != before {
		t.Error("a refused path was fetched")
	}
	for _, p := range []string{"https://docs.sentry.io/platforms/go.md", "https://develop.sentry.io/sdk/overview.md", "platforms/go.md"} {
		if _, err := c.PageURL(p); err != nil {
			t.Errorf("PageURL(%q): %v", p, err)
		}
	}
}

func TestDocsClientOptions(t *testing.T) {
	t.Parallel()
	c, err := NewDocsClient(DocsOptions{})
	if err != nil || c.SearchURL() != DefaultDocsSearchURL {
		t.Fatalf("defaults: %v %v", c, err)
	}
	u, err := c.PageURL("/platforms/go.md")
	if err != nil || u.String() != "https://docs.sentry.io/platforms/go.md" {
		t.Errorf("PageURL = %v, %v", u, err)
	}
	if c, err = NewDocsClient(DocsOptions{SearchURL: "https://mcp.example.com/sentry/"}); err != nil || c.SearchURL() != "https://mcp.example.com/sentry" {
		t.Errorf("a search URL with a path: %v %v", c, err)
	}
	for _, bad := range []string{"http://mcp.example.com", "ftp://x", "https://user:pw@mcp.example.com", "not a url"} {
		if _, err := NewDocsClient(DocsOptions{SearchURL: bad}); err == nil {
			t.Errorf("SearchURL %q accepted", bad)
		}
	}
}
