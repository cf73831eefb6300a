package requestid_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lookout-hq/lookout/internal/requestid"
)

func TestMiddlewareGivesEachRequestItsOwnID(t *testing.T) {
	t.Parallel()
	var seen []string
	h := requestid.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, requestid.From(r.Context()))
	}))
	var headers []string
	for range 2 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set(requestid.Header, "client-chosen")
		h.ServeHTTP(rec, req)
		headers = append(headers, rec.Header().Get(requestid.Header))
	}
	if len(seen[0]) != 16 || seen[0] == seen[1] || seen[0] == "client-chosen" {
		t.Fatalf("ids %q: want two fresh 16-digit ids", seen)
	}
	if headers[0] != seen[0] || headers[1] != seen[1] {
		t.Fatalf("response headers %q, context ids %q", headers, seen)
	}
}

func TestEnsureKeepsAnExistingID(t *testing.T) {
	t.Parallel()
	ctx := requestid.With(context.Background(), "abc")
	if _, id := requestid.Ensure(ctx); id != "abc" {
		t.Fatalf("Ensure replaced the id: %q", id)
	}
	if _, id := requestid.Ensure(context.Background()); id == "" {
		t.Fatal("Ensure added no id")
	}
	if requestid.Suffix(context.Background()) != "" || requestid.Suffix(ctx) != " (request id abc)" {
		t.Fatal("Suffix")
	}
}
