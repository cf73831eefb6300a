package sentry_test

import (
	"context"
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

// Issue #9: a connection reset made 20 upstream requests for one tool call,
// because net/http retried on every pooled connection and each retry of
// the client got its own allowance. Retries are bounded for the whole
// client (one tool call): 1 request plus MaxRetries, and at most one more
// the transport had already started when the budget ran out.
func TestConnectionResetRetriesBoundedInTotal(t *testing.T) {
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	token := fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)
	hc := fake.Client()
	newClient := func() *sentry.Client {
		c, err := sentry.New(sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(token), HTTPClient: hc,
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Fill the connection pool, as a busy server has it: many idle
	// connections the reset will kill one by one.
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := newClient().WhoAmI(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	fake.ClearRequests()
	fake.Inject(sentrytest.Fault{Reset: true})

	c := newClient()
	_, err := c.GetIssue(context.Background(), "acme", "WEB-1A")
	if !errors.Is(err, sentry.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	const maxRetries = 3 // the default
	if n := len(fake.Requests()); n > 1+maxRetries+1 {
		t.Fatalf("one call made %d requests to a resetting Sentry; want at most %d", n, 1+maxRetries+1)
	}
	// The budget is the client's: a second call of the same client (the
	// same tool call) does not retry again.
	fake.ClearRequests()
	_, _ = c.GetIssue(context.Background(), "acme", "WEB-1B")
	if n := len(fake.Requests()); n > 2 {
		t.Errorf("after the budget was spent, a second request made %d attempts", n)
	}
	var apiErr *sentry.APIError
	if !errors.As(err, &apiErr) || apiErr.URL != fake.URL || apiErr.Cause == "" {
		t.Fatalf("APIError = %+v, want the URL and a cause", apiErr)
	}
	if !strings.Contains(err.Error(), fake.URL) {
		t.Errorf("error does not name the URL: %v", err)
	}
}

// Counting the transport's retries must not count ordinary requests: over
// HTTP/2 (sentry.io's protocol) a healthy client spends nothing of its
// budget, however many requests it makes.
func TestHealthyRequestsSpendNoRetries(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			t.Errorf("protocol %s, want HTTP/2", r.Proto)
		}
		_, _ = w.Write([]byte(`{"id":"1"}`))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := sentry.New(sentry.Options{BaseURL: srv.URL, Token: sentry.StaticToken("t"), HTTPClient: srv.Client(), MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := c.WhoAmI(context.Background()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
}
