package authserver

import (
	"crypto/hmac"
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

// successorKey derives, from COOKIE_SECRET, the key of successorValue.
func successorKey(cookieSecret []byte) []byte {
	m := hmac.New(sha256.New, cookieSecret)
	m.Write([]byte("lookout/v1/refresh-successor"))
	return m.Sum(nil)
}

// successorValue derives a credential (prefix says which) of the pair
// that succeeds a spent refresh token: HMAC-SHA256, under a key derived
// from COOKIE_SECRET, of the spent token itself, the random seed the store
// recorded when it was spent, and the scope. Computing it takes all three:
// the store keeps only the token's hash and the seed, so a copy of the
// database (even with COOKIE_SECRET) cannot compute successors, and
// without the key the spent token alone cannot either.
func (s *Server) successorValue(prefix, seed, spent, scope string) string {
	m := hmac.New(sha256.New, s.successorKey)
	for _, part := range []string{prefix, seed, spent, scope} {
		m.Write([]byte(part))
		m.Write([]byte{0}) // no part contains a NUL: the encoding is unambiguous
	}
	return prefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
