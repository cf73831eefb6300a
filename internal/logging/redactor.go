// Package logging is lookout's structured logging: log/slog JSON behind a
// Handler that masks credentials in everything it writes.
//
// Redaction works on two fronts. Patterns catch credentials lookout never
// registered (a Bearer header an upstream echoed, a Sentry or Slack token in
// an error message); exact matching catches the secrets lookout was
// configured with, whatever their shape. Neither is a licence to log
// secrets: the Handler is the last line, not the first.
package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Redacted replaces whatever is masked.
const Redacted = "[redacted]"

// MinSecretLen is the length below which a registered secret is ignored:
// masking every "admin" or "1234" would make logs useless and suggests a
// misconfiguration rather than a secret.
const MinSecretLen = 8

// tokenPattern matches credentials by shape:
//   - "Bearer <token>", any case, up to white space or a quote (the scheme
//     word is kept);
//   - Sentry org and user auth tokens, sntrys_... and sntryu_...;
//   - a run of exactly 64 hex digits, such as a Sentry API token or client
//     secret (a 32-digit trace id is not one);
//   - Slack tokens: xoxb-, xoxp-, xoxe-, xoxa-, xoxo-, xoxr-, xoxs- and xapp-;
//   - lookout's own credentials: access (lka_), refresh (lkr_) tokens,
//     authorization codes (lkc_) and client secrets (lks_), each a prefix
//     and 43 base64url characters (16 or more are enough to match).
var tokenPattern = regexp.MustCompile(
	`(?i:\bbearer[ \t]+)[^\s"'` + "`" + `]+` +
		`|sntry[su]_[A-Za-z0-9_=+/\-]+` +
		`|\b[0-9A-Fa-f]{64}\b` +
		`|xox[abeoprs]-[A-Za-z0-9\-]+` +
		`|xapp-[A-Za-z0-9\-]+` +
		`|\blk[acrs]_[A-Za-z0-9_\-]{16,}`)

// maskToken replaces a tokenPattern match, keeping the Bearer scheme word.
func maskToken(m string) string {
	if len(m) > len("bearer") && strings.EqualFold(m[:len("bearer")], "bearer") {
		i := len("bearer")
		for i < len(m) && (m[i] == ' ' || m[i] == '\t') {
			i++
		}
		return m[:i] + Redacted
	}
	return Redacted
}

// mayHoldToken is a cheap scan that rules out most strings before the
// regexp runs: it looks for the prefixes tokenPattern needs, or 64 hex
// digits in a row.
func mayHoldToken(s string) bool {
	hexRun := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' {
			if hexRun++; hexRun >= 64 {
				return true
			}
		} else {
			hexRun = 0
		}
		switch c {
		case 'b', 'B':
			if len(s)-i >= len("bearer") && strings.EqualFold(s[i:i+len("bearer")], "bearer") {
				return true
			}
		case 's':
			if strings.HasPrefix(s[i:], "sntry") {
				return true
			}
		case 'x':
			if strings.HasPrefix(s[i:], "xox") || strings.HasPrefix(s[i:], "xapp-") {
				return true
			}
		case 'l':
			if len(s)-i > 4 && s[i+1] == 'k' && s[i+3] == '_' && strings.IndexByte("acrs", s[i+2]) >= 0 {
				return true
			}
		}
	}
	return false
}

// Redactor masks credentials in strings. It is safe for concurrent use, and
// its zero value (or a nil *Redactor) masks by pattern only.
type Redactor struct {
	mu  sync.Mutex // serializes Add
	set atomic.Pointer[secretSet]
}

// secretSet is an immutable snapshot of the registered secrets; Add
// replaces it, so Redact never takes a lock. Its identity doubles as a
// version for Handler's cache.
type secretSet struct {
	secrets  []string // longest first, so a secret wins over its prefix
	replacer *strings.Replacer
}

// NewRedactor returns a Redactor that masks the given secrets as well as
// the token patterns.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets, for example those `demo` generates after the
// logger exists. Secrets shorter than MinSecretLen are ignored.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []string
	if old := r.set.Load(); old != nil {
		list = slices.Clone(old.secrets)
	}
	n := len(list)
	for _, s := range secrets {
		if len(s) < MinSecretLen {
			continue
		}
		// Non-scalar values are redacted in their JSON form, where a secret
		// holding a quote, a backslash or a control character is escaped.
		for _, form := range []string{s, jsonEscape(s)} {
			if !slices.Contains(list, form) {
				list = append(list, form)
			}
		}
	}
	if len(list) == n {
		return
	}
	slices.SortStableFunc(list, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Redacted)
	}
	r.set.Store(&secretSet{secrets: list, replacer: strings.NewReplacer(pairs...)})
}

// snapshot returns the current secrets, nil if none.
func (r *Redactor) snapshot() *secretSet {
	if r == nil {
		return nil
	}
	return r.set.Load()
}

// Redact returns s with every registered secret and every token pattern
// replaced by "[redacted]". A string with nothing to mask is returned as is,
// without allocating.
func (r *Redactor) Redact(s string) string {
	if s == "" {
		return s
	}
	if set := r.snapshot(); set != nil {
		for _, secret := range set.secrets {
			if strings.Contains(s, secret) {
				s = set.replacer.Replace(s)
				break
			}
		}
	}
	if mayHoldToken(s) {
		s = tokenPattern.ReplaceAllStringFunc(s, maskToken)
	}
	return s
}

// value returns v, resolved, with every string in it redacted: string
// values, groups at any depth, and the text of errors, fmt.Stringers and
// any other value as the JSON handler would print it.
func (r *Redactor) value(v slog.Value) slog.Value {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(r.Redact(v.String()))
	case slog.KindGroup:
		return slog.GroupValue(r.attrs(v.Group())...)
	case slog.KindAny:
		return r.any(v.Any())
	}
	return v
}

func (r *Redactor) attrs(as []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = slog.Attr{Key: a.Key, Value: r.value(a.Value)}
	}
	return out
}

func (r *Redactor) any(x any) slog.Value {
	if x == nil {
		return slog.AnyValue(nil)
	}
	// A json.Marshaler may already mask itself: render it the way the JSON
	// handler would, below, rather than through a String method that
	// might not.
	if _, ok := x.(json.Marshaler); !ok {
		switch x.(type) {
		case error, fmt.Stringer:
			// fmt.Sprint, not x.Error(): it survives a nil pointer receiver.
			return slog.StringValue(r.Redact(fmt.Sprint(x)))
		}
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.String {
			return slog.StringValue(r.Redact(rv.String()))
		}
	}
	// Slices, maps, structs...: redact what the JSON handler would write.
	// Left alone when clean, so other handlers keep their own rendering.
	b, err := marshalJSON(x)
	if err != nil {
		return slog.AnyValue(x) // the handler reports the marshalling error
	}
	clean := r.Redact(string(b))
	if clean == string(b) {
		return slog.AnyValue(x)
	}
	if json.Valid([]byte(clean)) {
		return slog.AnyValue(rawJSON(clean))
	}
	return slog.StringValue(clean)
}

// marshalJSON encodes like slog's JSON handler: no HTML escaping.
func marshalJSON(x any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// jsonEscape is s as it appears inside a JSON string written by marshalJSON.
func jsonEscape(s string) string {
	b, err := marshalJSON(s)
	if err != nil || len(b) < 2 {
		return s
	}
	return string(b[1 : len(b)-1])
}

// rawJSON is redacted JSON text: the JSON handler embeds it as is, other
// handlers print it as text.
type rawJSON string

func (j rawJSON) MarshalJSON() ([]byte, error) { return []byte(j), nil }
func (j rawJSON) String() string               { return string(j) }
