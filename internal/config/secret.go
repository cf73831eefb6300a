package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/lookout-hq/lookout/internal/secret"
)

// Key is one AES-256 key of LOOKOUT_ENCRYPTION_KEYS. Its fields match
// vault.Key, so vault.Key(k) converts; the key bytes are a secret.Value in
// both, so neither can print them.
type Key struct {
	ID     string
	Secret secret.Value // 32 bytes
}

// String implements fmt.Stringer: "id:[redacted]".
func (k Key) String() string { return k.ID + ":" + secret.Redacted }

// GoString implements fmt.GoStringer.
func (k Key) GoString() string {
	return "config.Key{ID:" + strconv.Quote(k.ID) + ", Secret:" + strconv.Quote(secret.Redacted) + "}"
}

// Format implements fmt.Formatter so that no verb can reach the key bytes.
func (k Key) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, k.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(k.String()))
	default:
		_, _ = io.WriteString(f, k.String())
	}
}

// MarshalJSON implements json.Marshaler.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ ID, Secret string }{k.ID, secret.Redacted})
}

// MarshalText implements encoding.TextMarshaler.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// LogValue implements slog.LogValuer.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("secret", secret.Redacted))
}
