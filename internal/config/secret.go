package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

const redacted = "[redacted]"

// Secret is a configuration value that must never be printed: every way fmt,
// encoding/json, encoding (text) and log/slog render it yields "[redacted]".
// An empty Secret renders as "" so that a dump of the configuration still
// shows which secrets are unset. Reveal is the one way to get the value, so
// each use of it is a place to review.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) mask() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.mask() }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return strconv.Quote(s.mask()) }

// Format implements fmt.Formatter so that no verb (%x, %q, %s...) can reach
// the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q', verb == 'v' && f.Flag('#'):
		io.WriteString(f, strconv.Quote(s.mask()))
	default:
		io.WriteString(f, s.mask())
	}
}

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.mask())), nil }

// MarshalText implements encoding.TextMarshaler, which slog's text handler
// and other encoders prefer over fmt.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.mask()), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.mask()) }

// Key is one AES-256 key of LOOKOUT_ENCRYPTION_KEYS. Its fields match
// vault.Key, so vault.Key(k) converts. Like Secret, it never prints its
// bytes.
type Key struct {
	ID     string
	Secret []byte // 32 bytes
}

// String implements fmt.Stringer: "id:[redacted]".
func (k Key) String() string { return k.ID + ":" + redacted }

// GoString implements fmt.GoStringer.
func (k Key) GoString() string {
	return "config.Key{ID:" + strconv.Quote(k.ID) + ", Secret:" + strconv.Quote(redacted) + "}"
}

// Format implements fmt.Formatter so that no verb can reach the key bytes.
func (k Key) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, k.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(k.String()))
	default:
		io.WriteString(f, k.String())
	}
}

// MarshalJSON implements json.Marshaler.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ ID, Secret string }{k.ID, redacted})
}

// MarshalText implements encoding.TextMarshaler.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// LogValue implements slog.LogValuer.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("secret", redacted))
}
