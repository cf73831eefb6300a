package sentry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// call is one API request as a method describes it.
type call struct {
	method string
	org    string   // route to this organization's region; "" for BaseURL
	base   *url.URL // explicit, already validated origin; wins over org
	path   []string // segments after /api/0/, escaped here
	query  url.Values
	body   any
	scope  string // the scope Sentry requires for this endpoint, for 403s
	// limit bounds a successful answer's body; 0 means Options.MaxBodyBytes.
	// Downloads (attachments, images) set their own.
	limit int64
}

// checkArgs refuses empty and dot arguments before any request: escaped or
// not, "." and ".." would change which endpoint a path names. Arguments come
// in name, value pairs so the error can name the argument.
func checkArgs(nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		name, v := nameValues[i], nameValues[i+1]
		switch strings.TrimSpace(v) {
		case "":
			return fmt.Errorf("%w: %s must not be empty", ErrInvalidArgument, name)
		case ".", "..":
			return fmt.Errorf("%w: %s must not be %q", ErrInvalidArgument, name, v)
		}
	}
	return nil
}

// apiPath builds /api/0/seg/seg/ with every segment escaped like
// encodeURIComponent, so "/" and "+" in release versions stay inside their
// segment.
func apiPath(segs ...string) (string, error) {
	var b strings.Builder
	b.WriteString("/api/0/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("%w: path segment %q", ErrInvalidArgument, s)
		}
		b.WriteString(strings.ReplaceAll(url.PathEscape(s), "+", "%2B"))
		b.WriteByte('/')
	}
	return b.String(), nil
}

// get runs a GET call; do runs any call. Both decode the JSON answer into out
// (when out is not nil) and return the page position from its Link header.
func (c *Client) get(ctx context.Context, cl call, out any) (Page, error) {
	cl.method = http.MethodGet
	return c.do(ctx, cl, out)
}

func (c *Client) do(ctx context.Context, cl call, out any) (Page, error) {
	path, err := apiPath(cl.path...)
	if err != nil {
		return Page{}, err
	}
	var body []byte
	if cl.body != nil {
		if body, err = json.Marshal(cl.body); err != nil {
			return Page{}, fmt.Errorf("sentry: %s %s: encoding request: %w", cl.method, path, err)
		}
	}
	base, guessed := cl.base, false
	if base == nil {
		base = c.base
		if cl.org != "" {
			if base, guessed, err = c.orgRegion(cl.org); err != nil {
				return Page{}, err
			}
		}
	}
	page, err := c.send(ctx, cl, c.target(base, path, cl.query), path, body, out)
	if !guessed {
		return page, err
	}
	switch {
	case err == nil:
		c.remember(base, cl.org) // BaseURL serves this organization
	case errors.Is(err, ErrNotFound):
		// A 404 from a guessed BaseURL: the organization may live in
		// another region (a 404 means nothing happened there, so even a
		// write may be sent again), or be one this account cannot see.
		region, lerr := c.locateOrg(ctx, cl.org)
		if lerr != nil {
			return Page{}, lerr
		}
		if region.String() != base.String() {
			return c.send(ctx, cl, c.target(region, path, cl.query), path, body, out)
		}
	}
	return page, err
}

// target is the request URL: an origin, an escaped path and the query.
func (c *Client) target(base *url.URL, path string, query url.Values) string {
	t := base.Scheme + "://" + base.Host + path
	if len(query) > 0 {
		t += "?" + query.Encode()
	}
	return t
}

// response is a read answer: the body is complete (or the request failed).
type response struct {
	status int
	header http.Header
	body   []byte
}

var errTooLarge = errors.New("too large")

// send performs the request with the retry policy: GETs are retried after
// 429, 5xx and network errors with exponential backoff and jitter, while
// the client's retry budget (MaxRetries, for all its requests together)
// lasts. Writes are retried only after a 429, which Sentry's rate limiter
// answers before the endpoint runs: after a 5xx or a network error Sentry
// may have applied them. Any method is repeated once after a 401 when the
// token source can reauthorize, since a 401 means Sentry did nothing.
func (c *Client) send(ctx context.Context, cl call, target, path string, body []byte, out any) (Page, error) {
	token, err := c.token.Token(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("sentry: %s %s: getting the Sentry token: %w", cl.method, path, err)
	}
	if token == "" {
		return Page{}, &APIError{Kind: ErrUnauthorized, Method: cl.method, Path: path, Detail: "no Sentry token"}
	}
	reauthorized := false
	for attempt := 0; ; attempt++ {
		resp, err := c.exchange(ctx, cl, target, body, token)
		if err != nil {
			switch {
			case errors.Is(err, errTooLarge):
				return Page{}, &APIError{Kind: ErrResponseTooLarge, Method: cl.method, Path: path, Status: resp.status,
					Detail: fmt.Sprintf("answer exceeds %d bytes; ask for less (smaller limit, fewer fields, shorter period)", c.bodyLimit(cl))}
			case ctx.Err() != nil:
				return Page{}, fmt.Errorf("sentry: %s %s: %w", cl.method, path, ctx.Err())
			}
			cause := networkCause(err)
			// A wrong scheme or an untrusted certificate will not heal in
			// a second: say so now rather than after the retries.
			lasting := cause == CausePlainHTTP || cause == CauseCertificate
			if wait, ok := c.retryWait(ctx, cl.method == http.MethodGet && !lasting, attempt, 0); ok {
				if err := c.sleep(ctx, wait); err != nil {
					return Page{}, fmt.Errorf("sentry: %s %s: %w", cl.method, path, err)
				}
				continue
			}
			return Page{}, &APIError{Kind: ErrUnavailable, Method: cl.method, Path: path, URL: originOf(target),
				Cause: cause, Err: err}
		}

		if resp.status >= 200 && resp.status < 300 {
			if b, ok := out.(*Blob); ok {
				b.Data, b.ContentType = resp.body, resp.header.Get("Content-Type")
				return parseLink(resp.header.Get("Link")), nil
			}
			trimmed := bytes.TrimSpace(resp.body)
			if out != nil && bytes.HasPrefix(trimmed, []byte("<")) {
				// A login page of a proxy in front of a self-hosted Sentry, or
				// the Sentry web UI because the URL is not the API's.
				return Page{}, fmt.Errorf("sentry: %s %s: the answer is HTML, not JSON: check the Sentry URL and any proxy in front of Sentry", cl.method, path)
			}
			if out != nil && len(trimmed) > 0 {
				if err := decodeAnswer(resp.body, out); err != nil {
					return Page{}, fmt.Errorf("sentry: %s %s: decoding the answer: %w", cl.method, path, err)
				}
			}
			return parseLink(resp.header.Get("Link")), nil
		}

		apiErr := c.apiError(resp, cl, path, token)
		if resp.status == http.StatusUnauthorized && !reauthorized {
			if ra, ok := c.token.(Reauthorizer); ok {
				reauthorized = true
				fresh, err := ra.Reauthorize(ctx, token)
				if err != nil {
					return Page{}, fmt.Errorf("%w (getting a new token failed: %w)", apiErr, err)
				}
				if fresh != "" && fresh != token {
					token = fresh
					attempt-- // a reauthorization is not a retry
					continue
				}
			}
		}
		if resp.status == http.StatusTooManyRequests || resp.status >= 500 {
			safe := cl.method == http.MethodGet || resp.status == http.StatusTooManyRequests
			if wait, ok := c.retryWait(ctx, safe, attempt, apiErr.RetryAfter); ok {
				if err := c.sleep(ctx, wait); err != nil {
					return Page{}, fmt.Errorf("sentry: %s %s: %w", cl.method, path, err)
				}
				continue
			}
		}
		return Page{}, apiErr
	}
}

// retryWait decides whether attempt, if safe to repeat, may be followed by
// another and how long to wait first, spending one retry of the client's
// budget when it may. It gives up early when the wait would exceed
// MaxRetryWait or outlast the context's deadline: sleeping into a certain
// failure only delays telling the user.
func (c *Client) retryWait(ctx context.Context, safe bool, attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if !safe {
		return 0, false
	}
	wait := retryAfter
	if wait <= 0 {
		// Exponential backoff with equal jitter: 250ms, 500ms, 1s... capped
		// at 8s, each between half and all of that.
		d := min(250*time.Millisecond<<min(attempt, 10), 8*time.Second)
		wait = d/2 + rand.N(d/2+1)
	}
	if wait > c.maxWait {
		return 0, false
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return 0, false
	}
	if !c.spendRetry() {
		return 0, false
	}
	return wait, true
}

// spendRetry takes one retry from the client's budget, if any is left.
func (c *Client) spendRetry() bool {
	if c.retries.Add(1) <= int32(c.maxRetries) {
		return true
	}
	c.retries.Add(-1)
	return false
}

// errRetryBudget ends a request whose HTTP transport kept retrying on other
// pooled connections after the client's retry budget was spent.
var errRetryBudget = errors.New("the connection failed on every attempt and lookout's retry budget is spent")

// exchange sends one request and reads the whole answer, bounded: success
// bodies by the call's limit (a larger one is errTooLarge), error bodies by
// 64 KiB (only the detail matters).
func (c *Client) exchange(ctx context.Context, cl call, target string, body []byte, token string) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// net/http retries a failed request on another pooled connection by
	// itself, once per idle connection: a reset that killed the pool would
	// send as many requests as there were connections. Each connection after
	// the first is a retry of the client's budget; once it is spent, the
	// request stops.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var conns atomic.Int32
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) {
			if conns.Add(1) > 1 && !c.spendRetry() {
				cancel(errRetryBudget)
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, cl.method, target, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if cl.limit > 0 { // a download: whatever type the file has
		req.Header.Set("Accept", "*/*")
	}
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errRetryBudget) {
			return nil, cause
		}
		return nil, err
	}
	defer res.Body.Close()
	r := &response{status: res.StatusCode, header: res.Header}
	limit := c.bodyLimit(cl)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		limit = 64 << 10
	} else if res.ContentLength > limit {
		return r, errTooLarge
	}
	r.body, err = readBody(res.Body, res.ContentLength, limit)
	if err != nil {
		return nil, err
	}
	if int64(len(r.body)) > limit {
		if res.StatusCode >= 200 && res.StatusCode <= 299 {
			return r, errTooLarge
		}
		r.body = r.body[:limit]
	}
	return r, nil
}

// readBody reads an answer of at most limit bytes, or limit+1 to show it
// is longer. With its length known it reads into one buffer of that size
// (io.ReadAll would grow one from 512 bytes, copying as it goes).
func readBody(body io.Reader, length, limit int64) ([]byte, error) {
	if length < 0 || length > limit {
		return io.ReadAll(io.LimitReader(body, limit+1))
	}
	b := make([]byte, length)
	if _, err := io.ReadFull(body, b); err != nil {
		return nil, err
	}
	return b, nil
}

// bodyLimit is the most a successful answer to cl may hold.
func (c *Client) bodyLimit(cl call) int64 {
	if cl.limit > 0 {
		return cl.limit
	}
	return c.maxBody
}

// apiError turns a non-2xx answer into an *APIError.
func (c *Client) apiError(resp *response, cl call, path, token string) *APIError {
	e := &APIError{Method: cl.method, Path: path, Status: resp.status, Detail: scrub(detailOf(resp.body), token)}
	scopes := c.scopes
	if r, ok := c.token.(ScopeReporter); ok && scopes == nil {
		scopes = r.Scopes()
	}
	e.Kind, e.Scope = classify(resp.status, e.Detail, cl.scope, scopes)
	for _, h := range []string{"X-Sentry-Request-Id", "X-Request-Id", "Request-Id"} {
		if v := resp.header.Get(h); v != "" {
			e.RequestID = shorten(v)
			break
		}
	}
	if resp.status == http.StatusTooManyRequests {
		e.RetryAfter = c.retryAfter(resp.header)
	}
	if resp.status >= 300 && resp.status < 400 {
		e.Detail = "Sentry answered with a redirect, which lookout does not follow: check that the Sentry URL is right (https, no path)"
	}
	return e
}

// retryAfter reads Retry-After (seconds or an HTTP date) or, failing that,
// Sentry's X-Sentry-Rate-Limit-Reset (Unix seconds).
func (c *Client) retryAfter(h http.Header) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(c.now()), 0)
		}
	}
	if v := strings.TrimSpace(h.Get("X-Sentry-Rate-Limit-Reset")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil {
			reset := time.Unix(0, int64(s*float64(time.Second)))
			return max(reset.Sub(c.now()), 0)
		}
	}
	return 0
}

// addProjects adds project filters the way Sentry's organization endpoints
// take them: numeric ids (and -1, "all projects") as project=, slugs as
// projectSlug=.
func addProjects(q url.Values, projects []string) error {
	for _, p := range projects {
		p = strings.TrimSpace(p)
		if p == "" {
			return fmt.Errorf("%w: empty project", ErrInvalidArgument)
		}
		if _, err := strconv.ParseInt(p, 10, 64); err == nil {
			q.Add("project", p)
		} else {
			q.Add("projectSlug", p)
		}
	}
	return nil
}

// setIf sets q[key] when value is not empty.
func setIf(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}
