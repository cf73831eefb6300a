// Package secret holds lookout's one redacting type for secret values:
// Sentry and lookout tokens, encryption keys, client secrets, the cookie
// secret, Slack and model provider credentials.
//
// A Value prints "[redacted]" through every fmt verb, encoding/json,
// encoding.TextMarshaler and log/slog, so a secret that reaches a log line,
// an error message or a page by mistake shows nothing. Its field is
// unexported, so no conversion reaches the text either: Reveal is the one
// way, and each call of it is a place to review.
package secret

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Redacted is what a set Value prints instead of itself.
const Redacted = "[redacted]"

// Value is a secret. The zero Value is unset and prints as "", so a dump of
// a configuration still shows which secrets are missing.
type Value struct {
	v string
}

// New wraps s.
func New(s string) Value { return Value{v: s} }

// FromBytes wraps a copy of b (a key, for instance).
func FromBytes(b []byte) Value { return Value{v: string(b)} }

// Reveal returns the secret text.
func (s Value) Reveal() string { return s.v }

// RevealBytes returns a fresh copy of the secret as bytes.
func (s Value) RevealBytes() []byte { return []byte(s.v) }

// IsZero reports whether the secret is unset.
func (s Value) IsZero() bool { return s.v == "" }

// Len is the secret's length in bytes: enough to check a size without
// revealing it.
func (s Value) Len() int { return len(s.v) }

func (s Value) mask() string {
	if s.v == "" {
		return ""
	}
	return Redacted
}

// String implements fmt.Stringer.
func (s Value) String() string { return s.mask() }

// GoString implements fmt.GoStringer.
func (s Value) GoString() string { return strconv.Quote(s.mask()) }

// Format implements fmt.Formatter, so that no verb (%x, %q, %d...) reaches
// the value.
func (s Value) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q', verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, strconv.Quote(s.mask()))
	default:
		_, _ = io.WriteString(f, s.mask())
	}
}

// MarshalJSON implements json.Marshaler.
func (s Value) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.mask())), nil }

// MarshalText implements encoding.TextMarshaler, which slog's text handler
// and other encoders prefer over fmt.
func (s Value) MarshalText() ([]byte, error) { return []byte(s.mask()), nil }

// LogValue implements slog.LogValuer.
func (s Value) LogValue() slog.Value { return slog.StringValue(s.mask()) }
