package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// allScopes is every scope the catalog uses.
var allScopes = []string{"org:read", "project:read", "project:write", "team:read", "team:write", "event:read", "event:write"}

// fixture is a fake Sentry plus the means to build per-user tool envs.
type fixture struct {
	t    *testing.T
	fake *sentrytest.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{t: t, fake: sentrytest.NewServer(t, sentrytest.Options{})}
}

// env returns an Env acting as userID with scopes, pinned to nothing.
func (f *fixture) env(userID string, scopes []string) *Env {
	f.t.Helper()
	c, err := sentry.New(sentry.Options{
		BaseURL: f.fake.URL,
		Token:   sentry.StaticToken(f.fake.IssueToken(userID, scopes, 0)),
		Scopes:  scopes,
		Sleep:   func(ctx context.Context, d time.Duration) error { return ctx.Err() }, // no real waits
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return &Env{Sentry: c}
}

// call runs a tool of the full catalog (every permission).
func (f *fixture) call(env *Env, tool, args string) (string, error) {
	f.t.Helper()
	tl, ok := Find(Catalog(Options{Permissions: AllPermissions}), tool)
	if !ok {
		f.t.Fatalf("no tool %s", tool)
	}
	return tl.Call(context.Background(), env, json.RawMessage(args))
}

// toolCase is the standard battery every tool passes: happy path, 401,
// 403 for a missing scope, 403 for no access, 404, 429 then success, and
// bad input refused before any HTTP call.
type toolCase struct {
	tool string
	// args of a successful call as alice (member of acme and globex), and
	// substrings its markdown must contain.
	args string
	want []string
	// scope to withhold to get a missing-scope 403; "" when the tool
	// needs none (whoami).
	scope string
	// noAccess: args bob (acme only) cannot use, e.g. on globex. "" skips.
	noAccess string
	// notFound: args naming something that does not exist. "" skips.
	notFound string
	// badInput: args refused by validation before any request.
	badInput []string
}

func runToolCase(t *testing.T, c toolCase) {
	t.Run("ok", func(t *testing.T) {
		f := newFixture(t)
		out, err := f.call(f.env(sentrytest.AliceID, allScopes), c.tool, c.args)
		if err != nil {
			t.Fatalf("%s(%s): %v", c.tool, c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s output lacks %q:\n%s", c.tool, w, out)
			}
		}
	})
	t.Run("unauthorized", func(t *testing.T) {
		f := newFixture(t)
		env := f.env(sentrytest.AliceID, allScopes)
		f.fake.RevokeUserTokens(sentrytest.AliceID)
		_, err := f.call(env, c.tool, c.args)
		if !errors.Is(err, sentry.ErrUnauthorized) {
			t.Fatalf("err = %v, want ErrUnauthorized", err)
		}
		if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, "/settings/account/api/auth-tokens/") {
			t.Errorf("guidance does not say where to get a new token: %q", msg)
		}
	})
	if c.scope != "" {
		t.Run("missing scope", func(t *testing.T) {
			f := newFixture(t)
			// Withhold the scope and the ones that imply it (event:write
			// grants event:read, as in Sentry).
			resource, _, _ := strings.Cut(c.scope, ":")
			scopes := slices.DeleteFunc(slices.Clone(allScopes), func(s string) bool {
				r, level, _ := strings.Cut(s, ":")
				return s == c.scope || (r == resource && strings.HasSuffix(c.scope, ":read") && level != "read")
			})
			_, err := f.call(f.env(sentrytest.AliceID, scopes), c.tool, c.args)
			if !errors.Is(err, sentry.ErrMissingScope) {
				t.Fatalf("without %s: err = %v, want ErrMissingScope", c.scope, err)
			}
			if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, c.scope) {
				t.Errorf("guidance does not name the scope %s: %q", c.scope, msg)
			}
		})
	}
	if c.noAccess != "" {
		t.Run("no access", func(t *testing.T) {
			f := newFixture(t)
			_, err := f.call(f.env(sentrytest.BobID, allScopes), c.tool, c.noAccess)
			if !errors.Is(err, sentry.ErrNoAccess) {
				t.Fatalf("bob: err = %v, want ErrNoAccess", err)
			}
			if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, "cannot access") {
				t.Errorf("guidance for no access: %q", msg)
			}
		})
	}
	if c.notFound != "" {
		t.Run("not found", func(t *testing.T) {
			f := newFixture(t)
			_, err := f.call(f.env(sentrytest.AliceID, allScopes), c.tool, c.notFound)
			if !errors.Is(err, sentry.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			msg := TokenGuide(f.fake.URL).Explain(err)
			if !strings.Contains(msg, "found nothing") || !strings.Contains(msg, "=") {
				t.Errorf("guidance for not found should name the arguments: %q", msg)
			}
		})
	}
	t.Run("rate limited then ok", func(t *testing.T) {
		f := newFixture(t)
		f.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/", Status: 429, Count: 1, RetryAfter: "1"})
		if _, err := f.call(f.env(sentrytest.AliceID, allScopes), c.tool, c.args); err != nil {
			t.Fatalf("after one 429: %v", err)
		}
		reqs := f.fake.Requests()
		if len(reqs) < 2 || reqs[0].Status != 429 {
			t.Fatalf("want a 429 then a retry, got %d requests (first status %v)", len(reqs), statusOf(reqs))
		}
	})
	t.Run("bad input", func(t *testing.T) {
		if len(c.badInput) == 0 {
			t.Fatal("every tool needs bad-input cases")
		}
		f := newFixture(t)
		env := f.env(sentrytest.AliceID, allScopes)
		for _, args := range c.badInput {
			_, err := f.call(env, c.tool, args)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("%s(%s): err = %v, want *InputError", c.tool, args, err)
			}
		}
		if n := len(f.fake.Requests()); n != 0 {
			t.Errorf("bad input reached Sentry: %d requests", n)
		}
	})
}

func statusOf(reqs []sentrytest.Request) []int {
	var s []int
	for _, r := range reqs {
		s = append(s, r.Status)
	}
	return s
}

// expectNoAccessOnGlobex checks that bob, a member of acme only, gets
// ErrNoAccess and its guidance from tool on globex; argsFormat gets the de
// region URL, so the regionUrl path is exercised too.
func expectNoAccessOnGlobex(t *testing.T, tool, argsFormat string) {
	t.Helper()
	f := newFixture(t)
	_, err := f.call(f.env(sentrytest.BobID, allScopes), tool, fmt.Sprintf(argsFormat, f.fake.RegionURL("de")))
	if !errors.Is(err, sentry.ErrNoAccess) {
		t.Fatalf("bob on globex: err = %v, want ErrNoAccess", err)
	}
	if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, "cannot access") {
		t.Errorf("guidance for no access: %q", msg)
	}
}
