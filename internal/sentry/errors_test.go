package sentry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// reauthSource is a token source that hands out "fresh" after a 401.
type reauthSource struct {
	mu       sync.Mutex
	token    string
	fresh    string
	err      error
	rejected []string
}

func (s *reauthSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, nil
}

func (s *reauthSource) Reauthorize(_ context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, rejected)
	if s.err != nil {
		return "", s.err
	}
	s.token = s.fresh
	return s.fresh, nil
}

// acceptOnly answers 200 with body only for the given bearer token.
func acceptOnly(token, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			jsonError(w, 401, "Invalid token")
			return
		}
		_, _ = w.Write([]byte(body))
	}
}

func TestUnauthorized(t *testing.T) {
	f := newFake(t)
	f.handle("/", acceptOnly("other", "{}"))
	c, s := newClient(t, f.URL)
	_, err := c.WhoAmI(context.Background())
	var apiErr *APIError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Detail != "Invalid token" {
		t.Fatalf("err = %#v", err)
	}
	if f.count() != 1 || len(s.all()) != 0 {
		t.Errorf("401 was retried: %d requests, sleeps %v", f.count(), s.all())
	}
	noToken(t, err)
}

func TestReauthorizeRetriesOnce(t *testing.T) {
	fresh := testToken + "-FRESH"
	t.Run("fresh token works", func(t *testing.T) {
		f := newFake(t)
		f.handle("GET /api/0/auth/{$}", acceptOnly(fresh, `{"id": "1"}`))
		f.handle("POST /api/0/organizations/acme/issues/1/notes/{$}", acceptOnly(fresh, `{"id": "2", "type": "note"}`))
		src := &reauthSource{token: testToken, fresh: fresh}
		c, _ := newClient(t, f.URL, func(o *Options) { o.Token = src })
		_ = c.UseRegion("acme", f.URL)
		if u, err := c.WhoAmI(context.Background()); err != nil || u.ID != "1" {
			t.Fatalf("WhoAmI = %v, %v", u, err)
		}
		if len(src.rejected) != 1 || src.rejected[0] != testToken {
			t.Errorf("Reauthorize got %v", src.rejected)
		}
		// A 401 means Sentry did nothing, so even a POST is repeated once.
		src.token = testToken
		if a, err := c.AddIssueNote(context.Background(), "acme", "1", "hi"); err != nil || a.ID != "2" {
			t.Fatalf("AddIssueNote = %v, %v", a, err)
		}
		reqs := f.requests()
		if len(reqs) != 4 || reqs[0].Auth != "Bearer "+testToken || reqs[1].Auth != "Bearer "+fresh || reqs[3].Method != "POST" {
			t.Errorf("requests = %+v", reqs)
		}
	})
	t.Run("fresh token rejected too", func(t *testing.T) {
		f := newFake(t)
		f.handle("/", acceptOnly("neither", "{}"))
		src := &reauthSource{token: testToken, fresh: fresh}
		c, s := newClient(t, f.URL, func(o *Options) { o.Token = src })
		_, err := c.WhoAmI(context.Background())
		if !errors.Is(err, ErrUnauthorized) || f.count() != 2 || len(src.rejected) != 1 || len(s.all()) != 0 {
			t.Fatalf("err = %v after %d requests, %d reauthorizations", err, f.count(), len(src.rejected))
		}
		noToken(t, err)
		if strings.Contains(err.Error(), "FRESH") {
			t.Errorf("fresh token leaked: %v", err)
		}
	})
	t.Run("reauthorization fails", func(t *testing.T) {
		f := newFake(t)
		f.handle("/", acceptOnly("neither", "{}"))
		errNoGrant := errors.New("vault: no grant for principal")
		src := &reauthSource{token: testToken, err: errNoGrant}
		c, _ := newClient(t, f.URL, func(o *Options) { o.Token = src })
		_, err := c.WhoAmI(context.Background())
		if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, errNoGrant) || f.count() != 1 {
			t.Fatalf("err = %v after %d requests", err, f.count())
		}
		noToken(t, err)
	})
}

func TestForbiddenScopeVersusAccess(t *testing.T) {
	f := newFake(t)
	f.handle("GET /api/0/organizations/acme/teams/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, 403, "You do not have permission to perform this action. Missing scope: org:read")
	})
	f.handle("GET /api/0/organizations/acme/scopes/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, 403, "Token is missing scopes: event:read, event:write")
	})
	f.handle("GET /api/0/organizations/acme/projects/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, 403, "You do not have permission to perform this action.")
	})
	f.handle("PUT /api/0/organizations/acme/issues/1/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, 403, "You do not have permission to perform this action.")
	})
	ctx := context.Background()
	c, _ := newClient(t, f.URL)
	_ = c.UseRegion("acme", f.URL)

	_, _, err := c.ListTeams(ctx, "acme", ListOptions{})
	var apiErr *APIError
	if !errors.Is(err, ErrMissingScope) || errors.Is(err, ErrNoAccess) || !errors.As(err, &apiErr) || apiErr.Scope != "org:read" {
		t.Errorf("scope detail: %v (scope %q)", err, apiErr.Scope)
	}
	if _, err := c.get(ctx, call{org: "acme", path: []string{"organizations", "acme", "scopes"}}, nil); !errors.As(err, &apiErr) || apiErr.Scope != "event:read" {
		t.Errorf("scopes detail: %v", err)
	}
	_, _, err = c.ListProjects(ctx, "acme", ListOptions{})
	if !errors.Is(err, ErrNoAccess) || errors.Is(err, ErrMissingScope) {
		t.Errorf("generic 403: %v", err)
	}
	if !strings.Contains(err.Error(), "403 Forbidden: You do not have permission") {
		t.Errorf("message: %v", err)
	}

	// With the granted scopes known, a generic 403 on an endpoint whose scope
	// is not granted is a missing scope; on one whose scope is, no access.
	c2, _ := newClient(t, f.URL, func(o *Options) { o.Scopes = []string{"org:read", "project:read", "event:read"} })
	_ = c2.UseRegion("acme", f.URL)
	unassign := ""
	_, err = c2.UpdateIssue(ctx, "acme", "1", IssueUpdate{AssignedTo: &unassign})
	if !errors.Is(err, ErrMissingScope) || !errors.As(err, &apiErr) || apiErr.Scope != "event:write" {
		t.Errorf("inferred missing scope: %v", err)
	}
	if _, _, err := c2.ListProjects(ctx, "acme", ListOptions{}); !errors.Is(err, ErrNoAccess) {
		t.Errorf("granted scope, generic 403: %v", err)
	}
	// A token source that learns the scopes with the token (the vault's)
	// reports them instead of Options.Scopes.
	c4, _ := newClient(t, f.URL, func(o *Options) { o.Token = scopedToken{[]string{"org:read", "event:read"}} })
	_ = c4.UseRegion("acme", f.URL)
	if _, err := c4.UpdateIssue(ctx, "acme", "1", IssueUpdate{AssignedTo: &unassign}); !errors.Is(err, ErrMissingScope) {
		t.Errorf("missing scope inferred from the token source's scopes: %v", err)
	}
	c3, _ := newClient(t, f.URL, func(o *Options) { o.Scopes = []string{"event:admin"} })
	_ = c3.UseRegion("acme", f.URL)
	if _, err := c3.UpdateIssue(ctx, "acme", "1", IssueUpdate{Status: "resolved"}); !errors.Is(err, ErrNoAccess) {
		t.Errorf("event:admin covers event:write: %v", err)
	}
}

func TestStatusKinds(t *testing.T) {
	f := newFake(t)
	f.handle("GET /api/0/organizations/acme/issues/{id}/{$}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("id") {
		case "404":
			jsonError(w, 404, "The requested resource does not exist")
		case "400":
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"query": ["Invalid query. Unknown field: foo"]}`))
		case "409":
			jsonError(w, 409, "conflict")
		case "html":
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html><body>Bad gateway</body></html>"))
		case "nested":
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"detail": {"code": "missing", "message": "Issue is gone", "extra": null}}`))
		case "echo":
			jsonError(w, 404, "no issue for token "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}
	})
	c, _ := newClient(t, f.URL, func(o *Options) { o.MaxRetries = -1 })
	_ = c.UseRegion("acme", f.URL)
	for id, want := range map[string]struct {
		kind   error
		detail string
	}{
		"404":    {ErrNotFound, "The requested resource does not exist"},
		"400":    {ErrInvalidArgument, `{"query": ["Invalid query. Unknown field: foo"]}`},
		"409":    {nil, "conflict"},
		"html":   {ErrUnavailable, ""},
		"nested": {ErrNotFound, "Issue is gone"},
		"echo":   {ErrNotFound, "no issue for token [REDACTED]"},
	} {
		_, err := c.GetIssue(context.Background(), "acme", id)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Kind != want.kind || apiErr.Detail != want.detail {
			t.Errorf("%s: err = %v (%#v)", id, err, apiErr)
		}
		noToken(t, err)
	}
}

func TestRateLimitRetryAfterThenSuccess(t *testing.T) {
	f := newFake(t)
	var n int
	f.handle("GET /api/0/auth/{$}", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n <= 2 {
			w.Header().Set("Retry-After", "2")
			jsonError(w, 429, "You are attempting to use this endpoint too frequently.")
			return
		}
		_, _ = w.Write([]byte(`{"id": "1"}`))
	})
	c, s := newClient(t, f.URL)
	if u, err := c.WhoAmI(context.Background()); err != nil || u.ID != "1" {
		t.Fatalf("WhoAmI = %v, %v", u, err)
	}
	if f.count() != 3 {
		t.Errorf("requests = %d, want 3", f.count())
	}
	if got := s.all(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 2*time.Second {
		t.Errorf("sleeps = %v, want [2s 2s]", got)
	}
}

func TestRateLimitGivesUpOnLongWaits(t *testing.T) {
	f := newFake(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.handle("GET /api/0/auth/{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("reset") != "" {
			w.Header().Set("X-Sentry-Rate-Limit-Reset", "1735689720") // now + 120s
		} else {
			w.Header().Set("Retry-After", "120")
		}
		jsonError(w, 429, "slow down")
	})
	c, s := newClient(t, f.URL, func(o *Options) { o.Now = func() time.Time { return now } })
	for _, q := range []string{"", "reset=1"} {
		before := f.count()
		_, err := c.get(context.Background(), call{path: []string{"auth"}, query: map[string][]string{"reset": {q}}}, nil)
		var apiErr *APIError
		if !errors.Is(err, ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAfter != 120*time.Second {
			t.Fatalf("err = %v", err)
		}
		if f.count()-before != 1 || len(s.all()) != 0 {
			t.Errorf("slept %v over %d requests for a 120s Retry-After", s.all(), f.count()-before)
		}
		if !strings.Contains(err.Error(), "retry after 2m0s") {
			t.Errorf("message: %v", err)
		}
	}
	// A context deadline sooner than the wait also stops retrying at once.
	f2 := newFake(t)
	f2.handle("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "10")
		jsonError(w, 429, "slow down")
	})
	c2, s2 := newClient(t, f2.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c2.WhoAmI(ctx); !errors.Is(err, ErrRateLimited) || f2.count() != 1 || len(s2.all()) != 0 {
		t.Errorf("err = %v after %d requests, sleeps %v", err, f2.count(), s2.all())
	}
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	f := newFake(t)
	f.handle("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Sentry-Request-Id", "req-7f3a")
		jsonError(w, 503, "Service unavailable")
	})
	c, s := newClient(t, f.URL)
	_, err := c.WhoAmI(context.Background())
	var apiErr *APIError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &apiErr) || apiErr.RequestID != "req-7f3a" || apiErr.Status != 503 {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "Sentry request id req-7f3a") {
		t.Errorf("message lacks the request id: %v", err)
	}
	if f.count() != 4 {
		t.Errorf("requests = %d, want 1 + 3 retries", f.count())
	}
	got := s.all()
	if len(got) != 3 {
		t.Fatalf("sleeps = %v", got)
	}
	for i, d := range got {
		base := 250 * time.Millisecond << i
		if d < base/2 || d > base {
			t.Errorf("sleep %d = %v, want within [%v, %v]", i, d, base/2, base)
		}
	}
	noToken(t, err)
}

// A write that failed with a 5xx may have been applied: it is never sent
// again. A 429 comes from Sentry's rate limiter before the endpoint runs,
// so a write is retried after one, like a read.
func TestWritesAreRetriedOnlyAfterRateLimit(t *testing.T) {
	f := newFake(t)
	puts := 0
	f.handle("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			if puts++; puts == 1 {
				w.Header().Set("Retry-After", "1")
				jsonError(w, 429, "slow down")
				return
			}
			_, _ = w.Write([]byte(`{"id": "1", "status": "resolved"}`))
			return
		}
		jsonError(w, 502, "Bad gateway")
	})
	c, s := newClient(t, f.URL)
	_ = c.UseRegion("acme", f.URL)
	ctx := context.Background()
	if _, err := c.AddIssueNote(ctx, "acme", "1", "hello"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("POST err = %v", err)
	}
	if f.count() != 1 || len(s.all()) != 0 {
		t.Errorf("a write that met a 502 was retried: %d requests, sleeps %v", f.count(), s.all())
	}
	if _, err := c.UpdateIssue(ctx, "acme", "1", IssueUpdate{Status: "resolved"}); err != nil {
		t.Errorf("PUT after one 429: %v", err)
	}
	if puts != 2 || len(s.all()) != 1 || s.all()[0] != time.Second {
		t.Errorf("PUT: %d requests, sleeps %v; want one retry after Retry-After", puts, s.all())
	}
}

func TestNetworkErrorsAreRetriedThenUnavailable(t *testing.T) {
	f := newFake(t)
	url := f.URL
	f.Close() // connection refused from now on
	c, s := newClient(t, url)
	_, err := c.WhoAmI(context.Background())
	var apiErr *APIError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &apiErr) || apiErr.Err == nil || apiErr.Status != 0 {
		t.Fatalf("err = %v", err)
	}
	if len(s.all()) != 3 {
		t.Errorf("sleeps = %v, want 3 retries", s.all())
	}
	noToken(t, err)
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	f := newFake(t)
	f.handle("/", func(w http.ResponseWriter, r *http.Request) { jsonError(w, 500, "boom") })
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(Options{BaseURL: f.URL, Token: StaticToken(testToken)}) // the real sleep
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for f.count() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	_, err = c.WhoAmI(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second || f.count() > 2 {
		t.Errorf("took %v and %d requests", time.Since(start), f.count())
	}
}

func TestTokenSourceErrors(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, f.URL, func(o *Options) { o.Token = StaticToken("") })
	if _, err := c.WhoAmI(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("empty token: %v", err)
	}
	boom := errors.New("vault unavailable")
	c2, _ := newClient(t, f.URL, func(o *Options) { o.Token = tokenFunc(func() (string, error) { return "", boom }) })
	if _, err := c2.WhoAmI(context.Background()); !errors.Is(err, boom) || errors.Is(err, ErrUnauthorized) {
		t.Errorf("source error: %v", err)
	}
	if f.count() != 0 {
		t.Errorf("requests sent without a token: %d", f.count())
	}
}

type tokenFunc func() (string, error)

func (f tokenFunc) Token(context.Context) (string, error) { return f() }

// A failure without an answer names the URL tried and its cause in words a
// user can act on, not "try again in a minute".
func TestNetworkFailureNamesURLAndCause(t *testing.T) {
	plain := newFake(t) // speaks http
	plain.handle("/", func(w http.ResponseWriter, r *http.Request) { jsonError(w, 404, "nope") })
	closed := newFake(t)
	closedURL := closed.URL
	closed.Close()
	for name, c := range map[string]struct{ base, cause string }{
		"refused":    {closedURL, CauseRefused},
		"plain http": {strings.Replace(plain.URL, "http://", "https://", 1), CausePlainHTTP},
	} {
		t.Run(name, func(t *testing.T) {
			cl, _ := newClient(t, c.base, func(o *Options) { o.MaxRetries = -1 })
			_, err := cl.WhoAmI(context.Background())
			var apiErr *APIError
			if !errors.Is(err, ErrUnavailable) || !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			if apiErr.URL != c.base || apiErr.Cause != c.cause {
				t.Errorf("URL %q cause %q, want %q %q", apiErr.URL, apiErr.Cause, c.base, c.cause)
			}
			if !strings.Contains(err.Error(), c.cause) || !strings.Contains(err.Error(), c.base) {
				t.Errorf("message %q lacks cause or URL", err)
			}
			noToken(t, err)
		})
	}
}

// https to a server that speaks http fails the same way every time: it is
// reported at once, not after the retries.
func TestPlainHTTPIsNotRetried(t *testing.T) {
	plain := newFake(t)
	c, s := newClient(t, strings.Replace(plain.URL, "http://", "https://", 1))
	if _, err := c.WhoAmI(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if len(s.all()) != 0 {
		t.Errorf("retried %d times", len(s.all()))
	}
}

// scopedToken is a TokenSource that reports its scopes (ScopeReporter).
type scopedToken struct{ scopes []string }

func (scopedToken) Token(context.Context) (string, error) { return testToken, nil }
func (s scopedToken) Scopes() []string                    { return s.scopes }
