package sentry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lookout-hq/lookout/internal/version"
)

// DocsClient reads Sentry's public documentation: the search service that
// backs mcp.sentry.dev (POST {SearchURL}/api/search) and the markdown pages
// of docs.sentry.io. Neither is Sentry's API: no token is ever sent, so a
// Client's token cannot leak to them. The zero DocsOptions reach the real
// services.
type DocsClient struct {
	search     *url.URL // scheme://host[:port][/path], no trailing slash
	pages      *url.URL // scheme://host[:port]
	hc         *http.Client
	maxRetries int
	sleep      func(context.Context, time.Duration) error
	userAgent  string
}

// DocsOptions configure a DocsClient.
type DocsOptions struct {
	// SearchURL is where the docs search lives (lookout's --mcp-url);
	// default https://mcp.sentry.dev.
	SearchURL string
	// PagesURL serves the documentation pages; default
	// https://docs.sentry.io. Pages may also be read from docs.sentry.io and
	// develop.sentry.io whatever it is.
	PagesURL string
	// HTTPClient sends the requests; default a shared client with a 15 s
	// timeout, as the reference server uses.
	HTTPClient *http.Client
	// MaxRetries bounds retries after 429, 5xx or a network error; 0 means
	// 2, negative none. Both calls only read, so retrying is safe.
	MaxRetries int
	// Sleep waits between retries; tests make it instant.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults of DocsOptions.
const (
	DefaultDocsSearchURL = "https://mcp.sentry.dev"
	DefaultDocsPagesURL  = "https://docs.sentry.io"
)

// docsHosts may serve pages besides PagesURL's host, as in the reference
// server.
var docsHosts = []string{"docs.sentry.io", "develop.sentry.io"}

const (
	maxDocsPageBytes   = 1 << 20
	maxDocsSearchBytes = 256 << 10
	maxDocsRetryWait   = 10 * time.Second
)

// ErrDocNotFound: the documentation page does not exist (404).
var ErrDocNotFound = errors.New("sentry docs: page not found")

// DocsError is a failed docs request: Service says which one ("the Sentry
// docs search at https://mcp.sentry.dev"), Status what it answered (0 for a
// network failure).
type DocsError struct {
	Service    string
	Status     int
	Detail     string
	RetryAfter time.Duration
	Err        error
}

func (e *DocsError) Error() string {
	var b strings.Builder
	b.WriteString(e.Service)
	switch {
	case e.Status == http.StatusTooManyRequests:
		b.WriteString(" is rate limiting requests")
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, "; try again in %s", e.RetryAfter.Round(time.Second))
		} else {
			b.WriteString("; try again in a minute")
		}
	case e.Status >= 500:
		fmt.Fprintf(&b, " is unavailable (%d %s); try again in a minute", e.Status, http.StatusText(e.Status))
	case e.Status != 0:
		fmt.Fprintf(&b, " refused the request (%d %s)", e.Status, http.StatusText(e.Status))
	default:
		b.WriteString(" could not be reached; try again in a minute")
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

func (e *DocsError) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return ErrDocNotFound
	}
	return e.Err
}

var defaultDocsHTTPClient = sync.OnceValue(func() *http.Client {
	c := *defaultHTTPClient()
	c.Timeout = 15 * time.Second
	return &c
})

// NewDocsClient checks opts and returns a DocsClient. URLs must be https,
// or http on a loopback host (tests).
func NewDocsClient(opts DocsOptions) (*DocsClient, error) {
	search, err := docsBaseURL("SearchURL", opts.SearchURL, DefaultDocsSearchURL, true)
	if err != nil {
		return nil, err
	}
	pages, err := docsBaseURL("PagesURL", opts.PagesURL, DefaultDocsPagesURL, false)
	if err != nil {
		return nil, err
	}
	d := &DocsClient{search: search, pages: pages, hc: opts.HTTPClient, maxRetries: opts.MaxRetries,
		sleep: opts.Sleep, userAgent: version.UserAgent()}
	switch {
	case d.maxRetries == 0:
		d.maxRetries = 2
	case d.maxRetries < 0:
		d.maxRetries = 0
	}
	if d.hc == nil {
		d.hc = defaultDocsHTTPClient()
	}
	// Never follow a redirect off the checked hosts.
	cp := *d.hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.hc = &cp
	if d.sleep == nil {
		d.sleep = sleepContext
	}
	return d, nil
}

// docsBaseURL parses a base URL; withPath keeps a path (MCP_URL may have
// one), else only the origin is kept.
func docsBaseURL(name, raw, def string, withPath bool) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = def
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("sentry: DocsOptions.%s %s is not a URL like %s", name, quoted(raw), def)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("sentry: DocsOptions.%s %s: use https (http only for a loopback host)", name, quoted(raw))
		}
	default:
		return nil, fmt.Errorf("sentry: DocsOptions.%s %s: use https", name, quoted(raw))
	}
	out := &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}
	if withPath {
		out.Path = strings.TrimSuffix(u.Path, "/")
	}
	return out, nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && ip.IsLoopback()
}

// SearchURL is where searches go, for messages.
func (d *DocsClient) SearchURL() string { return d.search.String() }

// DocsQuery is a documentation search.
type DocsQuery struct {
	Query      string
	MaxResults int    // 1 to 10
	Guide      string // platform or platform/guide, e.g. "javascript/nextjs"; "" for all
}

// DocsResult is one search hit.
type DocsResult struct {
	ID        string  `json:"id"`  // the page's path, e.g. "platforms/javascript/guides/nextjs.md"
	URL       string  `json:"url"` // https://docs.sentry.io/...
	Snippet   string  `json:"snippet"`
	Relevance float64 `json:"relevance"` // 0 to 1
}

// Search searches the documentation.
func (d *DocsClient) Search(ctx context.Context, q DocsQuery) ([]DocsResult, error) {
	if strings.TrimSpace(q.Query) == "" {
		return nil, fmt.Errorf("%w: empty docs query", ErrInvalidArgument)
	}
	body := map[string]any{"query": q.Query, "maxResults": q.MaxResults}
	if q.Guide != "" {
		body["guide"] = q.Guide
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	target := d.search.String() + "/api/search"
	service := "the Sentry docs search at " + d.search.String()
	raw, err := d.fetch(ctx, http.MethodPost, target, b, "application/json", service, maxDocsSearchBytes)
	if err != nil {
		return nil, err
	}
	var v struct {
		Results []DocsResult `json:"results"`
		Error   string       `json:"error"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, &DocsError{Service: service, Status: http.StatusOK, Detail: "the answer is not the expected JSON"}
	}
	if v.Error != "" {
		return nil, &DocsError{Service: service, Status: http.StatusOK, Detail: shorten(v.Error)}
	}
	return v.Results, nil
}

// PageURL resolves a documentation path ("/platforms/go.md", or a full
// https URL on docs.sentry.io or develop.sentry.io) to the URL Page reads.
// Other hosts are refused: a model-supplied path must not make lookout
// fetch arbitrary URLs.
func (d *DocsClient) PageURL(path string) (*url.URL, error) {
	path = strings.TrimSpace(path)
	ref, err := url.Parse(path)
	if err != nil || path == "" {
		return nil, fmt.Errorf("%w: %s is not a documentation path like /platforms/go.md", ErrInvalidArgument, quoted(path))
	}
	u := d.pages.ResolveReference(ref)
	host := strings.ToLower(u.Host)
	allowed := host == d.pages.Host
	for _, h := range docsHosts {
		allowed = allowed || (host == h && u.Scheme == "https")
	}
	if !allowed || u.User != nil || (u.Scheme != "https" && u.Scheme != d.pages.Scheme) {
		return nil, fmt.Errorf("%w: documentation is only read from %s: %s is elsewhere", ErrInvalidArgument,
			strings.Join(append([]string{d.pages.Host}, docsHosts...), ", "), quoted(path))
	}
	u.Fragment = ""
	return u, nil
}

// Page reads one documentation page as markdown. A missing page is an
// error wrapping ErrDocNotFound.
func (d *DocsClient) Page(ctx context.Context, path string) (string, error) {
	u, err := d.PageURL(path)
	if err != nil {
		return "", err
	}
	service := u.Host
	raw, err := d.fetch(ctx, http.MethodGet, u.String(), nil, "text/plain, text/markdown", service, maxDocsPageBytes)
	if err != nil {
		return "", err
	}
	return string(raw), nil
}

// fetch sends one request with the retry policy and returns the body of a
// 2xx answer.
func (d *DocsClient) fetch(ctx context.Context, method, target string, body []byte, accept, service string, limit int64) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		status, header, raw, err := d.exchange(ctx, method, target, body, accept, limit)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var derr *DocsError
		switch {
		case errors.Is(err, errTooLarge):
			return nil, &DocsError{Service: service, Status: status, Detail: fmt.Sprintf("the answer exceeds %d bytes", limit)}
		case err != nil:
			derr = &DocsError{Service: service, Err: err}
		case status >= 200 && status < 300:
			return raw, nil
		default:
			derr = &DocsError{Service: service, Status: status, Detail: docsDetail(raw)}
			if status == http.StatusTooManyRequests {
				if s, err := strconv.ParseFloat(strings.TrimSpace(header.Get("Retry-After")), 64); err == nil && s > 0 {
					derr.RetryAfter = time.Duration(s * float64(time.Second))
				}
			}
		}
		retryable := derr.Status == 0 || derr.Status == http.StatusTooManyRequests || derr.Status >= 500
		if !retryable || attempt >= d.maxRetries {
			return nil, derr
		}
		wait := derr.RetryAfter
		if wait <= 0 {
			wait = 500 * time.Millisecond << attempt
		}
		if wait > maxDocsRetryWait {
			return nil, derr
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return nil, derr
		}
		if err := d.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (d *DocsClient) exchange(ctx context.Context, method, target string, body []byte, accept string, limit int64) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", d.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := d.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		limit = 16 << 10
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return res.StatusCode, res.Header, nil, err
	}
	if int64(len(raw)) > limit {
		if res.StatusCode >= 200 && res.StatusCode <= 299 {
			return res.StatusCode, res.Header, nil, errTooLarge
		}
		raw = raw[:limit]
	}
	return res.StatusCode, res.Header, raw, nil
}

// docsDetail is the {"error": "..."} or {"detail": "..."} of a failed
// docs answer; HTML pages are dropped.
func docsDetail(raw []byte) string {
	var v struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(raw, &v) == nil {
		return shorten(orEmpty(v.Error, v.Detail))
	}
	return ""
}

func orEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
