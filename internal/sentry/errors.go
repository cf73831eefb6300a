package sentry

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// Error kinds. An error from a Sentry answer (or a failure to get one)
// contains an *APIError whose Unwrap yields one of these; an argument or
// region refused before any request wraps ErrInvalidArgument or
// ErrUntrustedRegion directly. Callers branch with errors.Is and read details
// with errors.As. docs/architecture.md, "Guidance", says what lookout tells the user for each.
var (
	// ErrUnauthorized: Sentry rejected the token (401), also after one
	// reauthorization. The user must connect (again).
	ErrUnauthorized = errors.New("sentry: token rejected")
	// ErrMissingScope: 403 because the token lacks a scope. APIError.Scope
	// names it when known. The user must reconnect granting it.
	ErrMissingScope = errors.New("sentry: token lacks a required scope")
	// ErrNoAccess: 403 for any other reason: the Sentry account cannot see
	// this organization or project.
	ErrNoAccess = errors.New("sentry: no access")
	// ErrNotFound: 404, or an organization the account cannot see.
	ErrNotFound = errors.New("sentry: not found")
	// ErrRateLimited: 429 after the retries; APIError.RetryAfter says when
	// Sentry will take requests again.
	ErrRateLimited = errors.New("sentry: rate limited")
	// ErrUnavailable: 5xx or a network failure after the retries;
	// APIError.RequestID identifies the failed request to Sentry support.
	ErrUnavailable = errors.New("sentry: unavailable")
	// ErrInvalidArgument: an argument was refused before any request (empty
	// or dot path segment, bad limit...) or Sentry answered 400 (bad search
	// syntax, unknown field); the detail says what to fix.
	ErrInvalidArgument = errors.New("sentry: invalid argument")
	// ErrUntrustedRegion: a region URL failed ValidateRegionURL; nothing was
	// sent there.
	ErrUntrustedRegion = errors.New("sentry: region URL not allowed")
	// ErrResponseTooLarge: the answer exceeded Options.MaxBodyBytes.
	ErrResponseTooLarge = errors.New("sentry: response too large")
)

// APIError describes a failed request. It never holds the token: Path is the
// URL path (no host, no query) and Detail is scrubbed.
type APIError struct {
	Kind       error         // one of the Err* kinds, or nil for an unexpected status
	Method     string        // GET, PUT, POST
	Path       string        // /api/0/organizations/acme/issues/
	Status     int           // HTTP status; 0 for a network failure
	Detail     string        // Sentry's "detail", trimmed and shortened
	RequestID  string        // Sentry's request id header, when sent
	RetryAfter time.Duration // for 429: how long Sentry asked to wait
	Scope      string        // for ErrMissingScope: the scope to ask for, when known
	Err        error         // the network error, for a failure without a response
	// URL and Cause describe a failure without a response: the origin
	// lookout tried (scheme://host[:port], never a path or query) and the
	// cause in plain words ("connection refused", "the server speaks http,
	// not https").
	URL   string
	Cause string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sentry: %s %s: ", e.Method, e.Path)
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	case e.Kind != nil:
		b.WriteString(strings.TrimPrefix(e.Kind.Error(), "sentry: "))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Cause != "" {
		b.WriteString(": " + e.Cause)
		if e.URL != "" {
			b.WriteString(" (" + e.URL + ")")
		}
	} else if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	var notes []string
	if e.Scope != "" {
		notes = append(notes, "missing scope "+e.Scope)
	}
	if e.RetryAfter > 0 {
		notes = append(notes, "retry after "+e.RetryAfter.String())
	}
	if e.RequestID != "" {
		notes = append(notes, "Sentry request id "+e.RequestID)
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, "; ") + ")")
	}
	return b.String()
}

// Unwrap yields the kind and, for network failures, the cause.
func (e *APIError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// classify maps a status to a kind. For 403 it must tell a missing scope from
// missing access, and real Sentry usually does not say which: its detail is
// "You do not have permission to perform this action." for both. So:
//
//  1. a detail mentioning "scope" is ErrMissingScope (some Sentry versions and
//     lookout's fake Sentry say "... Missing scope: org:read"); the scope is
//     taken from the detail, else it is the endpoint's required scope;
//  2. otherwise, if the granted scopes are known (Options.Scopes) and do not
//     cover the endpoint's required scope, it is ErrMissingScope too;
//  3. otherwise ErrNoAccess.
func classify(status int, detail, required string, granted []string) (kind error, scope string) {
	switch {
	case status == http.StatusBadRequest:
		return ErrInvalidArgument, ""
	case status == http.StatusUnauthorized:
		return ErrUnauthorized, ""
	case status == http.StatusForbidden:
		if strings.Contains(strings.ToLower(detail), "scope") {
			if m := scopeInDetail.FindStringSubmatch(detail); m != nil {
				return ErrMissingScope, strings.ToLower(m[1])
			}
			return ErrMissingScope, required
		}
		if granted != nil && required != "" && !hasScope(granted, required) {
			return ErrMissingScope, required
		}
		return ErrNoAccess, ""
	case status == http.StatusNotFound:
		return ErrNotFound, ""
	case status == http.StatusTooManyRequests:
		return ErrRateLimited, ""
	case status >= 500:
		return ErrUnavailable, ""
	}
	return nil, ""
}

var scopeInDetail = regexp.MustCompile(`(?i)scopes?\W*([a-z_-]+:[a-z_-]+)`)

// hasScope reports whether granted covers required the way Sentry checks
// endpoint permissions: x:admin covers x:write covers x:read.
func hasScope(granted []string, required string) bool {
	res, level, ok := strings.Cut(required, ":")
	if !ok {
		return false
	}
	rank := map[string]int{"read": 1, "write": 2, "admin": 3}
	for _, g := range granted {
		gres, glevel, ok := strings.Cut(strings.TrimSpace(strings.ToLower(g)), ":")
		if ok && gres == res && (glevel == level || rank[glevel] >= rank[level] && rank[level] > 0) {
			return true
		}
	}
	return false
}

// detailOf extracts Sentry's error text: {"detail": "..."}, {"detail":
// {"message": "..."}}, or another JSON body (400 field errors) compacted. HTML
// error pages from proxies are dropped: they are noise in a chat reply.
func detailOf(body []byte) string {
	body = []byte(strings.TrimSpace(string(body)))
	if len(body) == 0 || body[0] == '<' {
		return ""
	}
	var v struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) == nil && len(v.Detail) > 0 {
		var s string
		if json.Unmarshal(v.Detail, &s) == nil {
			return shorten(s)
		}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Detail, &m) == nil && m.Message != "" {
			return shorten(m.Message)
		}
	}
	return shorten(string(body))
}

// shorten makes text from a response safe to put in one line of an error:
// control characters become spaces, and it is cut at 300 characters.
func shorten(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// Network failure causes, as networkCause words them.
const (
	CauseRefused     = "connection refused"
	CauseReset       = "connection reset"
	CauseTimeout     = "timed out"
	CauseDNS         = "host name not found"
	CausePlainHTTP   = "the server speaks http, not https"
	CauseCertificate = "the server's TLS certificate is not trusted"
	CauseTLS         = "TLS handshake failed"
	CauseRetryBudget = "every connection attempt failed"
)

// networkCause names the cause of a failure without a response in words a
// user can act on; "" when it is none of the known kinds.
func networkCause(err error) string {
	var (
		recordErr tls.RecordHeaderError
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		dnsErr    *net.DNSError
		netErr    net.Error
	)
	msg := err.Error()
	switch {
	case errors.Is(err, errRetryBudget):
		return CauseRetryBudget
	case errors.As(err, &recordErr), strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return CausePlainHTTP
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return CauseCertificate
	case errors.Is(err, syscall.ECONNREFUSED):
		return CauseRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return CauseReset
	case errors.As(err, &dnsErr):
		return CauseDNS
	case errors.As(err, &netErr) && netErr.Timeout():
		return CauseTimeout
	case strings.Contains(msg, "tls:"):
		return CauseTLS
	}
	return ""
}

// originOf returns scheme://host[:port] of a request URL.
func originOf(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
