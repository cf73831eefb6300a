package sentrytest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestFaultCountSemantics(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	issues := f.URL + "/api/0/organizations/acme/issues/"
	f.Inject(Fault{PathPrefix: "/api/0/organizations/acme/issues/", Status: http.StatusTooManyRequests, Count: 2, RetryAfter: "7"})
	for i := range 2 {
		r := get(t, issues, tok)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "7" || r.detail(t) != DetailRateLimited {
			t.Fatalf("call %d: %d %v %s", i, r.status, r.header, r.body)
		}
	}
	if r := get(t, issues, tok); r.status != http.StatusOK {
		t.Fatalf("third call: %d, want the fault used up", r.status)
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/projects/", tok); r.status != http.StatusOK {
		t.Fatalf("other path: %d", r.status)
	}
	reqs := f.Requests()
	if len(reqs) != 4 || !reqs[0].Fault || !reqs[1].Fault || reqs[2].Fault || reqs[0].UserID != AliceID || reqs[0].Status != 429 {
		t.Errorf("request log %+v", reqs)
	}
}

func TestFaultKinds(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, WriteScopes, 0)
	org := f.URL + "/api/0/organizations/acme/"

	f.Inject(Fault{Status: http.StatusServiceUnavailable, Count: 1})
	r := get(t, org, tok)
	if r.status != 503 || r.header.Get("X-Sentry-Request-Id") != FaultRequestID || r.detail(t) != DetailUnavailable {
		t.Errorf("503: %d %v %s", r.status, r.header, r.body)
	}
	f.Inject(Fault{Status: http.StatusInternalServerError, Count: 1})
	var body struct{ Detail, ErrorID string }
	r = get(t, org, tok)
	r.json(t, &body)
	if r.status != 500 || r.header.Get("X-Sentry-Request-Id") != FaultRequestID || body.ErrorID != FaultRequestID || body.Detail != DetailInternalError {
		t.Errorf("500: %d %v %s", r.status, r.header, r.body)
	}
	f.Inject(Fault{Status: http.StatusForbidden, Count: 1, Detail: DetailMissingScope + "event:read"})
	if r := get(t, org, tok); r.status != 403 || r.detail(t) != DetailMissingScope+"event:read" {
		t.Errorf("403 with detail: %d %s", r.status, r.body)
	}
	f.Inject(Fault{Status: http.StatusUnauthorized, Count: 1})
	if r := get(t, org, tok); r.status != 401 || r.detail(t) != DetailInvalidToken {
		t.Errorf("401: %d %s", r.status, r.body)
	}

	// Method and region filters.
	f.Inject(Fault{Method: http.MethodPut, Status: 500})
	if r := get(t, org, tok); r.status != 200 {
		t.Errorf("GET under a PUT fault: %d", r.status)
	}
	f.Reset()
	f.Inject(Fault{Region: RegionDE, Status: 502})
	if r := get(t, org, tok); r.status != 200 {
		t.Errorf("us server under a de fault: %d", r.status)
	}
	if r := get(t, f.RegionURL(RegionDE)+"/api/0/organizations/globex/", tok); r.status != 502 {
		t.Errorf("de server under a de fault: %d", r.status)
	}
	f.Reset()
	if r := get(t, f.RegionURL(RegionDE)+"/api/0/organizations/globex/", tok); r.status != 200 {
		t.Errorf("after Reset: %d", r.status)
	}

	// The token endpoint can fail too; a faulted call never reaches it.
	f.Inject(Fault{PathPrefix: "/oauth/token/", Status: 503, Count: 1})
	pr := postForm(t, f.URL+"/oauth/token/", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, DefaultClientID, DefaultClientSecret)
	if pr.status != 503 || f.TokenCalls()["refresh_token"] != 0 {
		t.Errorf("token endpoint fault: %d, calls %v", pr.status, f.TokenCalls())
	}
}

func TestFaultLatency(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	f.Inject(Fault{PathPrefix: "/api/0/auth/", Latency: 150 * time.Millisecond, Count: 1})
	start := time.Now()
	if r := get(t, f.URL+"/api/0/auth/", tok); r.status != 200 {
		t.Fatalf("slow call: %d", r.status)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("slow call took %v", d)
	}

	// A client that gives up does not hold the server.
	f.Inject(Fault{Latency: time.Minute, Count: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.URL+"/api/0/auth/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	start = time.Now()
	if r := get(t, f.URL+"/api/0/auth/", tok); r.status != 200 || time.Since(start) > 5*time.Second {
		t.Fatalf("after cancelled slow call: %d", r.status)
	}
}
