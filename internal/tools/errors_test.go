package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// Schema errors are said in plain words, naming the parameter, the rule
// and what was given; malformed ids never reach Sentry.
func TestInvalidInputInPlainWords(t *testing.T) {
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	for args, want := range map[string]string{
		`{"organizationSlug":"acme","limit":1000}`:    "limit must be a whole number from 1 to 100 (got 1000)",
		`{"organizationSlug":"acme","limit":"ten"}`:   `limit must be a whole number (got "ten")`,
		`{"organizationSlug":"acme","sort":"oldest"}`: `sort must be one of date, freq, new, user, recommended (got "oldest")`,
		`{"query":"is:unresolved"}`:                   "organizationSlug is required",
	} {
		_, err := f.call(env, "search_issues", args)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Problem != want {
			t.Errorf("search_issues(%s): %v, want problem %q", args, err, want)
		}
	}
	for tool, c := range map[string]struct{ args, want string }{
		"get_issue_details":     {`{"organizationSlug":"acme","eventId":"abc"}`, `eventId must be 32 hexadecimal characters, like c49541c747cb4d8aa3efb70ca5aba243 (got "abc")`},
		"get_event_stacktrace":  {`{"organizationSlug":"acme","issueId":"not an id!!"}`, `issueId "not an id!!" is not an issue id: give the short id Sentry shows (like WEB-1A)`},
		"get_issue_tag_values":  {`{"organizationSlug":"acme","issueId":"WEB-1A","tagKey":"a b"}`, `tagKey must be a tag key such as browser, release or url (got "a b")`},
		"get_release_details":   {`{"organizationSlug":"ac/me","releaseVersion":"1"}`, `organizationSlug must be a slug: letters, digits, '.', '_' or '-', like acme (got "ac/me")`},
		"get_issue_breadcrumbs": {`{"organizationSlug":"acme","issueId":"WEB-1A","eventId":"xyz"}`, `eventId must be latest, or an event id of 32 hexadecimal characters (got "xyz")`},
	} {
		_, err := f.call(env, tool, c.args)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Problem, c.want) {
			t.Errorf("%s(%s): %v, want %q", tool, c.args, err, c.want)
		}
		if strings.Contains(err.Error(), "regular expression") || strings.Contains(err.Error(), "validating") {
			t.Errorf("%s: the validator's wording leaked: %v", tool, err)
		}
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("refused input reached Sentry: %d requests", n)
	}
}

// "Found nothing" names what the caller asked for, not every default the
// schema filled in.
func TestNotFoundNamesOnlyTheGivenArguments(t *testing.T) {
	f := newFixture(t)
	_, err := f.call(f.env(sentrytest.AliceID, allScopes), "search_issues", `{"organizationSlug":"acme","projectSlugOrId":"no-such-project"}`)
	msg := TokenGuide(f.fake.URL).Explain(err)
	if !strings.Contains(msg, `projectSlugOrId="no-such-project"`) || !strings.Contains(msg, `organizationSlug="acme"`) {
		t.Errorf("message does not name the arguments: %s", msg)
	}
	for _, noise := range []string{"limit=", "period=", "sort=", "includeExplanation=", `query="is:unresolved"`} {
		if strings.Contains(msg, noise) {
			t.Errorf("message echoes the default %s: %s", noise, msg)
		}
	}
}

// A Sentry that cannot be reached is named, with the cause and the fix,
// not "try again in a minute".
func TestUnreachableSentryNamesURLAndCause(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler()) // http only
	t.Cleanup(plain.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, c := range map[string]struct{ base, want, hint string }{
		"refused":    {closed.URL, "lookout could not reach Sentry at " + closed.URL + ": connection refused.", "--host"},
		"plain http": {strings.Replace(plain.URL, "http:", "https:", 1), "the server speaks http, not https.", "--insecure-http"},
	} {
		t.Run(name, func(t *testing.T) {
			cl, err := sentry.New(sentry.Options{BaseURL: c.base, Token: sentry.StaticToken("t"), MaxRetries: -1})
			if err != nil {
				t.Fatal(err)
			}
			tl, _ := Find(Catalog(Options{}), "whoami")
			_, err = tl.Call(context.Background(), &Env{Sentry: cl}, nil)
			msg := TokenGuide(c.base).Explain(err)
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, c.hint) {
				t.Errorf("message %q, want %q and %q", msg, c.want, c.hint)
			}
			if strings.Contains(msg, "try again in a minute") {
				t.Errorf("vague advice: %s", msg)
			}
		})
	}
}

// Issue #9 replayed from outside: a reset that kills every pooled
// connection made one get_issue_details call send 19 requests. Now at most
// the first request and the client's retry budget (3), plus one the
// transport had begun.
func TestToolCallAgainstResettingSentryIsBounded(t *testing.T) {
	f := newFixture(t)
	token := f.fake.IssueToken(sentrytest.AliceID, allScopes, 0)
	newEnv := func() *Env {
		c, err := sentry.New(sentry.Options{BaseURL: f.fake.URL, Token: sentry.StaticToken(token),
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
		if err != nil {
			t.Fatal(err)
		}
		return &Env{Sentry: c}
	}
	var wg sync.WaitGroup
	for range 16 { // a busy server's pool of idle connections
		wg.Go(func() {
			if _, err := f.call(newEnv(), "whoami", `{}`); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f.fake.ClearRequests()
	f.fake.Inject(sentrytest.Fault{Reset: true})
	tl, _ := Find(Catalog(Options{}), "get_issue_details")
	_, err := tl.Call(context.Background(), newEnv(), json.RawMessage(`{"organizationSlug":"acme","issueId":"WEB-1A"}`))
	if !errors.Is(err, sentry.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.fake.Requests()); n > 5 {
		t.Errorf("one tool call sent %d requests to a resetting Sentry, want at most 5", n)
	}
}
