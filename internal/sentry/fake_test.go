package sentry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken is the secret every test watches for in errors and output.
const testToken = "sntryu_TEST-SECRET-0123456789abcdef"

// seen is one request a fake server received.
type seen struct {
	Method, Path, RawQuery, Auth, UserAgent, Body string
}

// fake is a minimal Sentry for this package's tests: routes are ServeMux
// patterns, every request is recorded. (The full fake Sentry for other
// packages lives in sentrytest.)
type fake struct {
	*httptest.Server
	mux  *http.ServeMux
	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{mux: http.NewServeMux()}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("User-Agent"), string(body)})
		f.mu.Unlock()
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) handle(pattern string, h http.HandlerFunc) { f.mux.HandleFunc(pattern, h) }

// serve answers pattern with a fixture, REGION_URL replaced by region.
func (f *fake) serve(t *testing.T, pattern, fixture, region string) {
	t.Helper()
	b := fixtureBytes(t, fixture)
	body := strings.ReplaceAll(string(b), "REGION_URL", region)
	f.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fake) count() int { return len(f.requests()) }

// reset forgets the requests seen so far.
func (f *fake) reset() {
	f.mu.Lock()
	f.reqs = nil
	f.mu.Unlock()
}

func fixtureBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"detail": %q}`, detail)
}

// sleeps records the waits a client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newClient returns a client of base with testToken and recorded sleeps.
func newClient(t *testing.T, base string, mod ...func(*Options)) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	opts := Options{BaseURL: base, Token: StaticToken(testToken), Sleep: s.sleep}
	for _, m := range mod {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// noToken fails the test if err, printed any way, shows the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, testToken) || strings.Contains(s, "TEST-SECRET") {
			t.Fatalf("token leaked in error: %s", s)
		}
	}
}
