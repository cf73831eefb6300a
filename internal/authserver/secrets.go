package authserver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Prefixes make lookout's credentials recognisable to people and to leak
// scanners. Access tokens start with lka_ (internal/mcpserver relies on it).
const (
	prefixAccessToken  = "lka_"
	prefixRefreshToken = "lkr_"
	prefixCode         = "lkc_"
	prefixClientSecret = "lks_"
	prefixClientID     = "mcpc_"
)

// newSecret returns a fresh 256-bit credential with prefix, and the hash
// the store keeps in its place.
func newSecret(prefix string) (value, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	value = prefix + base64.RawURLEncoding.EncodeToString(b)
	return value, hashString(value)
}

// hashString is the store key of a code or token: hex SHA-256. The inputs
// are 256-bit random values, so a plain hash is enough.
func hashString(v string) string { return hex.EncodeToString(hashBytes(v)) }

func hashBytes(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}
