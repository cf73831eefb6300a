package tools

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// docsFixture is a fake Sentry, which the docs tools must never call, and
// the docs fake they do call.
type docsFixture struct {
	*fixture
	docs *sentrytest.Docs
}

func newDocsFixture(t *testing.T) *docsFixture {
	t.Helper()
	return &docsFixture{fixture: newFixture(t), docs: sentrytest.NewDocs(t)}
}

func (f *docsFixture) env() *Env {
	f.t.Helper()
	d, err := sentry.NewDocsClient(sentry.DocsOptions{SearchURL: f.docs.URL, PagesURL: f.docs.URL,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		f.t.Fatal(err)
	}
	env := f.fixture.env(sentrytest.AliceID, allScopes)
	env.Docs = d
	return env
}

// noTokenSent fails if any docs request carried credentials or any
// request reached Sentry.
func (f *docsFixture) noTokenSent() {
	f.t.Helper()
	for _, r := range f.docs.Requests() {
		if r.Authorization != "" {
			f.t.Errorf("%s %s carried Authorization", r.Method, r.Path)
		}
	}
	if n := len(f.fake.Requests()); n != 0 {
		f.t.Errorf("the docs tools called Sentry %d times", n)
	}
}

// docsCase is the docs tools' version of the standard battery: they call
// the docs services, not Sentry, so there is no token, scope or access to
// lose, but the same answers, failures and refusals.
type docsCase struct {
	tool, args string
	want       []string
	badInput   []string
}

func runDocsCase(t *testing.T, c docsCase) {
	t.Run("ok", func(t *testing.T) {
		f := newDocsFixture(t)
		out, err := f.call(f.env(), c.tool, c.args)
		if err != nil {
			t.Fatal(err)
		}
		wantContains(t, out, c.want...)
		f.noTokenSent()
	})
	t.Run("rate limited then ok", func(t *testing.T) {
		f := newDocsFixture(t)
		f.docs.Fail(http.StatusTooManyRequests, 1)
		if _, err := f.call(f.env(), c.tool, c.args); err != nil {
			t.Fatalf("after one 429: %v", err)
		}
		if reqs := f.docs.Requests(); len(reqs) != 2 || reqs[0].Status != http.StatusTooManyRequests {
			t.Errorf("want a 429 then a retry, got %+v", reqs)
		}
	})
	t.Run("unavailable", func(t *testing.T) {
		f := newDocsFixture(t)
		f.docs.Fail(http.StatusServiceUnavailable, 3)
		_, err := f.call(f.env(), c.tool, c.args)
		msg := TokenGuide(f.fake.URL).Explain(err)
		if err == nil || !strings.Contains(msg, "is unavailable (503 Service Unavailable); try again in a minute") || !strings.Contains(msg, f.docs.URL[len("http://"):]) {
			t.Errorf("err = %v; guidance %q", err, msg)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		f := newDocsFixture(t)
		for _, args := range c.badInput {
			_, err := f.call(f.env(), c.tool, args)
			wantInputError(t, err)
		}
		if n := len(f.docs.Requests()); n != 0 {
			t.Errorf("bad input reached the docs: %d requests", n)
		}
	})
}

func TestSearchDocs(t *testing.T) {
	runDocsCase(t, docsCase{
		tool: "search_docs",
		args: `{"query":"rate limiting"}`,
		want: []string{`# Sentry docs for "rate limiting"`, "1. `/product/rate-limiting.md` (relevance ", "configure rate limiting in Sentry",
			"get_doc(path='/product/rate-limiting.md')"},
		badInput: []string{
			`{}`,
			`{"query":"a"}`,
			`{"query":"  a  "}`,
			`{"query":"` + strings.Repeat("q", 201) + `"}`,
			`{"query":"sdk","maxResults":0}`,
			`{"query":"sdk","maxResults":11}`,
			`{"query":"sdk","guide":"cobol"}`,
		},
	})
}

func TestSearchDocsGuideAndLimits(t *testing.T) {
	t.Parallel()
	f := newDocsFixture(t)
	out, err := f.call(f.env(), "search_docs", `{"query":"capture errors","guide":"go/http","maxResults":10}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, `# Sentry docs for "capture errors" in the go/http docs`, "`/platforms/go/guides/http.md`")
	if strings.Contains(out, "django") {
		t.Errorf("another platform's page despite guide:\n%s", out)
	}
	r := f.docs.Requests()[0]
	if r.Query != "capture errors" || r.Guide != "go/http" || r.MaxResults != 10 {
		t.Errorf("request = %+v", r)
	}
	if _, err := f.call(f.env(), "search_docs", `{"query":"sdk"}`); err != nil {
		t.Fatal(err)
	}
	if r := f.docs.Requests()[1]; r.MaxResults != 3 {
		t.Errorf("default maxResults = %d, want 3", r.MaxResults)
	}
	out, err = f.call(f.env(), "search_docs", `{"query":"zzzz qqqq"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, `No Sentry documentation matches "zzzz qqqq"`)
	f.noTokenSent()
}
