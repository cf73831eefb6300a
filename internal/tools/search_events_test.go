package tools

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestSearchEvents(t *testing.T) {
	runToolCase(t, toolCase{
		tool: "search_events",
		args: `{"organizationSlug":"acme","dataset":"errors","query":"level:error","limit":5}`,
		want: []string{"# Error events in **acme**", "| issue | title |", "CHECKOUT-1A", "Query: `level:error`"},
		// event:read cannot be withheld alone here (allScopes holds
		// event:write, which implies it): TestSearchEventsNeedsEventRead
		// covers it. noAccess needs globex's region URL, which is only known
		// at run time: TestSearchEventsNoAccess covers it.
		scope:    "event:read",
		notFound: `{"organizationSlug":"acme","projectSlug":"no-such-project"}`,
		badInput: []string{
			`{}`,
			`{"organizationSlug":"acme","dataset":"traces"}`,
			`{"organizationSlug":"acme","limit":0}`,
			`{"organizationSlug":"acme","limit":101}`,
			`{"organizationSlug":"acme","period":"2 days"}`,
			`{"organizationSlug":"acme","fields":"title"}`,
			`{"organizationSlug":"acme","environment":""}`,
			`{"organizationSlug":"acme","environment":[]}`,
			`{"organizationSlug":"acme","environment":[5]}`,
			`{"organizationSlug":"acme","environment":[""]}`,
			`{"organizationSlug":"acme","environment":{"name":"production"}}`,
			`{"organizationSlug":"acme","dataset":"replays"}`,
		},
	})
}

func TestSearchEventsNeedsEventRead(t *testing.T) {
	requireScope(t, "search_events", `{"organizationSlug":"acme"}`, "event:read")
}

func TestSearchEventsNoAccess(t *testing.T) {
	expectNoAccessOnGlobex(t, "search_events", `{"organizationSlug":"globex","regionUrl":%q}`)
}

// requireScope checks that tool(args) fails for want of scope, with
// guidance naming it. Sentry's x:write implies x:read, so the higher
// levels of the scope are withheld too.
func requireScope(t *testing.T, tool, args, scope string) {
	t.Helper()
	rank := map[string]int{"read": 1, "write": 2, "admin": 3}
	family, level, _ := strings.Cut(scope, ":")
	scopes := slices.DeleteFunc(slices.Clone(allScopes), func(s string) bool {
		f, l, _ := strings.Cut(s, ":")
		return f == family && rank[l] >= rank[level]
	})
	f := newFixture(t)
	_, err := f.call(f.env(sentrytest.AliceID, scopes), tool, args)
	if !errors.Is(err, sentry.ErrMissingScope) {
		t.Fatalf("without %s: err = %v, want ErrMissingScope", scope, err)
	}
	if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, scope) {
		t.Errorf("guidance does not name %s: %q", scope, msg)
	}
}

// lastEventsQuery is the query string of the last Discover request.
func lastEventsQuery(t *testing.T, f *fixture) map[string][]string {
	t.Helper()
	reqs := f.fake.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if strings.HasSuffix(reqs[i].Path, "/events/") {
			return reqs[i].Query
		}
	}
	t.Fatal("no events request")
	return nil
}

func TestSearchEventsAggregatesSortByTheFirstAggregate(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "search_events",
		`{"organizationSlug":"acme","fields":["issue","count()"],"period":"24h"}`)
	if err != nil {
		t.Fatal(err)
	}
	q := lastEventsQuery(t, f)
	if got := q["sort"]; !slices.Equal(got, []string{"-count()"}) {
		t.Errorf("sort = %v, want -count() (a timestamp is no column of a grouped answer)", got)
	}
	if got := q["field"]; !slices.Equal(got, []string{"issue", "count()"}) {
		t.Errorf("fields = %v", got)
	}
	if got := q["dataset"]; !slices.Equal(got, []string{"errors"}) {
		t.Errorf("dataset = %v, want errors by default", got)
	}
	// CHECKOUT-1A has the most sampled events in the last day.
	if !strings.Contains(out, "| issue | count() |\n| --- | --- |\n| CHECKOUT-1A |") {
		t.Errorf("want CHECKOUT-1A first:\n%s", out)
	}
}

func TestSearchEventsFilters(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "search_events",
		`{"organizationSlug":"acme","dataset":"spans","query":"span.op:db","sort":"-span.duration","projectSlug":"checkout","environment":["production","staging"],"limit":3}`)
	if err != nil {
		t.Fatal(err)
	}
	q := lastEventsQuery(t, f)
	if got := q["project"]; len(got) != 1 || got[0] == "checkout" {
		t.Errorf("project = %v, want checkout's numeric id", got)
	}
	if got := q["query"]; !slices.Equal(got, []string{"span.op:db environment:[production,staging]"}) {
		t.Errorf("query = %v", got)
	}
	if got := q["per_page"]; !slices.Equal(got, []string{"3"}) {
		t.Errorf("per_page = %v", got)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| id ") && !strings.HasPrefix(line, "| --- ") {
			if !strings.Contains(line, "| db |") || !strings.Contains(line, "| checkout |") || !strings.Contains(line, " ms |") {
				t.Errorf("row outside the filters or without its unit: %s", line)
			}
		}
	}
	if !strings.Contains(out, "More results exist") {
		t.Errorf("limit 3 of more rows should say more exist:\n%s", out)
	}
}

func TestSearchEventsLogsOfATrace(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "search_events",
		`{"organizationSlug":"acme","dataset":"logs","query":"trace:`+sentrytest.TraceID+`","limit":100,"includeExplanation":true}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# Logs in **acme**", "| timestamp | project | message | severity | trace |", "payment provider timeout after 10000ms", "5 row(s).", "includeExplanation is ignored"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestSearchEventsDatasetsLookoutCannotServe(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	_, err := f.call(env, "search_events", `{"organizationSlug":"acme","dataset":"replays"}`)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Problem, "replays") {
		t.Fatalf("replays: err = %v, want an InputError naming replays", err)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("replays reached Sentry: %d requests", n)
	}
	// metrics goes to Sentry as tracemetrics; this Sentry (the fake) has no
	// such dataset and says so.
	_, err = f.call(env, "search_events", `{"organizationSlug":"acme","dataset":"metrics"}`)
	if !errors.Is(err, sentry.ErrInvalidArgument) {
		t.Fatalf("metrics: err = %v, want ErrInvalidArgument", err)
	}
	if got := lastEventsQuery(t, f)["dataset"]; !slices.Equal(got, []string{"tracemetrics"}) {
		t.Errorf("dataset sent = %v, want tracemetrics", got)
	}
	if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, `dataset="metrics"`) || !strings.Contains(msg, "dataset must be one of") {
		t.Errorf("guidance should name the dataset and Sentry's reason: %q", msg)
	}
}

func TestEventsSort(t *testing.T) {
	cases := []struct {
		sort       string
		fields     []string
		wantSort   string
		wantFields []string
	}{
		{"", []string{"title"}, "-timestamp", []string{"title", "timestamp"}},
		{"", []string{"issue", "count()"}, "-count()", []string{"issue", "count()"}},
		{"-span.duration", []string{"id"}, "-span.duration", []string{"id", "span.duration"}},
		{"-count()", []string{"issue"}, "-count()", []string{"issue", "count()"}},
		{"-timestamp", []string{"issue", "count()"}, "-timestamp", []string{"issue", "count()"}}, // Sentry says why
	}
	for _, c := range cases {
		s, f := eventsSort(c.sort, c.fields)
		if s != c.wantSort || !slices.Equal(f, c.wantFields) {
			t.Errorf("eventsSort(%q, %v) = %q, %v; want %q, %v", c.sort, c.fields, s, f, c.wantSort, c.wantFields)
		}
	}
}
