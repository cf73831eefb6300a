package sentrytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Docs is a fake of Sentry's documentation services on one test server:
// the docs search behind mcp.sentry.dev (POST /api/search) and
// docs.sentry.io's pages (GET /some/page.md as markdown, the same path
// without .md as HTML). It is not Sentry's API and takes no token;
// Requests records whether one was sent anyway.
type Docs struct {
	// URL is the server's base URL, for both the search and the pages.
	URL string

	mu       sync.Mutex
	pages    map[string]string // "/platforms/go.md" -> markdown
	faults   []docsFault
	requests []DocsRequest
}

// DocsRequest is one request the docs fake received.
type DocsRequest struct {
	Method, Path string
	// Search fields of POST /api/search.
	Query      string
	MaxResults int
	Guide      string
	// Authorization is the header as sent: it must always be empty.
	Authorization string
	Accept        string
	Status        int
}

type docsFault struct {
	status, left int
}

// NewDocs starts the docs fake with seeded pages and closes it when the
// test ends.
func NewDocs(t testing.TB) *Docs {
	t.Helper()
	d := &Docs{pages: map[string]string{}}
	for path, md := range seededDocs {
		d.pages[path] = md
	}
	srv := httptest.NewServer(d)
	d.URL = srv.URL
	t.Cleanup(srv.Close)
	return d
}

// SetPage adds or replaces a page; path is like "/platforms/go.md".
func (d *Docs) SetPage(path, markdown string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pages[path] = markdown
}

// Fail answers the next count requests with status (429 with Retry-After:
// 1).
func (d *Docs) Fail(status, count int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, docsFault{status: status, left: count})
}

// Requests returns the requests received so far.
func (d *Docs) Requests() []DocsRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.requests)
}

// ServeHTTP serves the search and the pages.
func (d *Docs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rq := DocsRequest{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Accept: r.Header.Get("Accept")}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		rq.Status = rec.status
		d.requests = append(d.requests, rq)
	}()
	if len(d.faults) > 0 {
		ft := &d.faults[0]
		if ft.left--; ft.left <= 0 {
			d.faults = d.faults[1:]
		}
		if ft.status == http.StatusTooManyRequests {
			rec.Header().Set("Retry-After", "1")
		}
		writeJSON(rec, ft.status, obj{"error": http.StatusText(ft.status)})
		return
	}
	switch {
	case r.URL.Path == "/api/search":
		if r.Method != http.MethodPost {
			writeJSON(rec, http.StatusMethodNotAllowed, obj{"error": "Method not allowed"})
			return
		}
		d.search(rec, r, &rq)
	case r.Method != http.MethodGet:
		http.Error(rec, "method not allowed", http.StatusMethodNotAllowed)
	case strings.HasSuffix(r.URL.Path, ".md"):
		md, ok := d.pages[r.URL.Path]
		if !ok {
			rec.Header().Set("Content-Type", "text/html; charset=utf-8")
			rec.WriteHeader(http.StatusNotFound)
			_, _ = rec.Write([]byte("<!DOCTYPE html><html><body>Page not found</body></html>"))
			return
		}
		rec.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, _ = rec.Write([]byte(md))
	default:
		// The page itself: HTML, as docs.sentry.io serves it.
		if _, ok := d.pages[strings.TrimSuffix(r.URL.Path, "/")+".md"]; !ok {
			http.NotFound(rec, r)
			return
		}
		rec.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = rec.Write([]byte("<!DOCTYPE html><html><head><title>Sentry Docs</title></head><body>…</body></html>"))
	}
}

// search ranks pages by how many of the query's words they contain.
func (d *Docs) search(w http.ResponseWriter, r *http.Request, rq *DocsRequest) {
	var body struct {
		Query      string `json:"query"`
		MaxResults *int   `json:"maxResults"`
		Guide      string `json:"guide"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, obj{"error": "Invalid JSON body"})
		return
	}
	rq.Query, rq.Guide, rq.MaxResults = body.Query, body.Guide, 3
	if body.MaxResults != nil {
		rq.MaxResults = *body.MaxResults
	}
	switch {
	case len(strings.TrimSpace(body.Query)) < 2:
		writeJSON(w, http.StatusBadRequest, obj{"error": "Query must be at least 2 characters"})
		return
	case rq.MaxResults < 1 || rq.MaxResults > 10:
		writeJSON(w, http.StatusBadRequest, obj{"error": "maxResults must be between 1 and 10"})
		return
	}
	prefix := ""
	if body.Guide != "" {
		platform, guide, hasGuide := strings.Cut(body.Guide, "/")
		prefix = "/platforms/" + platform
		if hasGuide {
			prefix += "/guides/" + guide
		}
	}
	words := strings.FieldsFunc(strings.ToLower(body.Query), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	type hit struct {
		path  string
		score float64
	}
	var hits []hit
	for path, md := range d.pages {
		if prefix != "" && path != prefix+".md" && !strings.HasPrefix(path, prefix+"/") {
			continue
		}
		text := strings.ToLower(path + " " + md)
		found := 0
		for _, word := range words {
			if strings.Contains(text, word) {
				found++
			}
		}
		if found > 0 && len(words) > 0 {
			hits = append(hits, hit{path, float64(found) / float64(len(words))})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].path < hits[j].path
	})
	results := []obj{}
	for _, h := range hits[:min(len(hits), rq.MaxResults)] {
		results = append(results, obj{
			"id": strings.TrimPrefix(h.path, "/"), "url": d.URL + strings.TrimSuffix(h.path, ".md"),
			"snippet": snippet(d.pages[h.path]), "relevance": 0.5 + h.score/2,
		})
	}
	writeJSON(w, http.StatusOK, obj{"query": body.Query, "results": results})
}

// snippet is a page's first paragraph that is not a heading.
func snippet(md string) string {
	for _, para := range strings.Split(md, "\n\n") {
		if p := strings.TrimSpace(para); p != "" && !strings.HasPrefix(p, "#") && !strings.HasPrefix(p, "```") {
			return shortText(strings.Join(strings.Fields(p), " "), 200)
		}
	}
	return ""
}

func shortText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

var seededDocs = map[string]string{
	"/platforms/javascript/guides/nextjs.md":       "# Next.js\n\nLearn how to set up Sentry in your Next.js application: errors, tracing, session replay and logs.\n\n## Install\n\n```bash\nnpx @sentry/wizard@latest -i nextjs\n```\n\n## Configure\n\nThe wizard creates `sentry.server.config.ts` and `instrumentation-client.ts` with your DSN:\n\n```javascript\nSentry.init({\n  dsn: \"https://examplePublicKey@o0.ingest.sentry.io/0\",\n  tracesSampleRate: 1.0,\n});\n```\n",
	"/platforms/javascript/guides/react.md":        "# React\n\nSentry's React SDK captures errors in components with an error boundary and traces renders.\n\n```javascript\nimport * as Sentry from \"@sentry/react\";\nSentry.init({ dsn: \"...\" });\n```\n",
	"/platforms/go.md":                             "# Go\n\nSentry's Go SDK reports errors and panics from Go programs.\n\n```go\nerr := sentry.Init(sentry.ClientOptions{\n\tDsn: \"https://examplePublicKey@o0.ingest.sentry.io/0\",\n})\n```\n",
	"/platforms/go/guides/http.md":                 "# net/http\n\nUse sentryhttp to capture panics and errors of net/http handlers and trace requests.\n\n```go\nsentryHandler := sentryhttp.New(sentryhttp.Options{Repanic: true})\nhttp.Handle(\"/\", sentryHandler.Handle(handler))\n```\n",
	"/platforms/python/guides/django.md":           "# Django\n\nThe Django integration captures errors of views and middleware and traces requests and database queries.\n\n```python\nimport sentry_sdk\nsentry_sdk.init(dsn=\"...\", traces_sample_rate=1.0)\n```\n",
	"/product/rate-limiting.md":                    "# Rate Limiting\n\nLearn how to configure rate limiting in Sentry to prevent quota exhaustion and control event ingestion.\n\nSet a rate limit per DSN under Project Settings > Client Keys.\n",
	"/product/accounts/quotas/spike-protection.md": "# Spike Protection\n\nSpike protection helps prevent unexpected spikes in event volume from consuming your quota.\n",
	"/concepts/key-terms/dsn-explainer.md":         "# Data Source Name (DSN)\n\nA DSN tells a Sentry SDK where to send events. It is safe to use in client code; it only allows sending events.\n",
	"/product/ai-in-sentry/seer.md":                "# Seer\n\nSeer is Sentry's AI agent: it finds the root cause of issues and proposes fixes (Autofix).\n",
}
