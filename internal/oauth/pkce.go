package oauth

import (
	"crypto/subtle"

	"golang.org/x/oauth2"
)

// ValidVerifier reports whether v is a well-formed PKCE code verifier
// (RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~]).
func ValidVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// VerifyS256 reports whether verifier is well formed and its S256
// transform is challenge, comparing in constant time. It is for lookout's
// own authorization server; as a client lookout lets x/oauth2 do PKCE.
func VerifyS256(verifier, challenge string) bool {
	if !ValidVerifier(verifier) {
		return false
	}
	want := oauth2.S256ChallengeFromVerifier(verifier)
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
