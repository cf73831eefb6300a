package tools

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// BenchmarkSearchIssues measures one search_issues call end to end:
// validation, the Sentry request to the fake over loopback HTTP, decoding
// and markdown. Most of it is the fake and HTTP; the catalog's own share
// is what BenchmarkCallValidation shows.
func BenchmarkSearchIssues(b *testing.B) {
	fake := sentrytest.NewServer(b, sentrytest.Options{})
	c, err := sentry.New(sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(fake.IssueToken(sentrytest.AliceID, allScopes, 0))})
	if err != nil {
		b.Fatal(err)
	}
	tool, _ := Find(Catalog(Options{}), "search_issues")
	args := json.RawMessage(`{"organizationSlug":"acme","query":"is:unresolved","limit":10}`)
	env := &Env{Sentry: c}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tool.Call(context.Background(), env, args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallValidation measures schema validation and decoding of a
// call refused before any request.
func BenchmarkCallValidation(b *testing.B) {
	tool, _ := Find(Catalog(Options{}), "search_issues")
	args := json.RawMessage(`{"organizationSlug":"acme","query":"is:unresolved","limit":1000}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tool.Call(context.Background(), &Env{}, args); err == nil {
			b.Fatal("limit 1000 accepted")
		}
	}
}
