//go:build !stdio

package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// Issue #9 §4: /readyz said "ready" while the database could not be
// written. Replayed from outside: serve on PostgreSQL, then another
// session locks the table readiness writes to (reads still work, writes
// wait, as on a full disk or a read-only database): /readyz must answer 503
// without internals, /healthz stays up, and readiness comes back when the
// database can be written again.
func TestReadyzNeedsAWritableDatabase(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	s := newLiveServer(t, dsn)
	s.start(newKeySpec("k1"))

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before the lock: %d %s", code, body)
	}

	conn, err := pgx.Connect(t.Context(), dsnWithoutPoolParams(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "LOCK TABLE events IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be written") {
		t.Errorf("/readyz while writes are blocked: %d %q, want 503 saying the database cannot be written", code, body)
	}
	for _, internal := range []string{"postgres", "lookout_test_", "events", "127.0.0.1:5432"} {
		if strings.Contains(strings.ToLower(body), internal) {
			t.Errorf("/readyz shows %q: %q", internal, body)
		}
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while writes are blocked: %d, want 200 (the process is alive)", code)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after the lock is released: %d %s", code, body)
	}
}

// dsnWithoutPoolParams drops pgxpool's pool_* parameters, which a plain
// pgx connection would send to the server as settings.
func dsnWithoutPoolParams(dsn string) string {
	head, query, ok := strings.Cut(dsn, "?")
	if !ok {
		return dsn
	}
	var keep []string
	for _, kv := range strings.Split(query, "&") {
		if !strings.HasPrefix(kv, "pool_") {
			keep = append(keep, kv)
		}
	}
	return head + "?" + strings.Join(keep, "&")
}
