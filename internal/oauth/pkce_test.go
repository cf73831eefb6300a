package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// challengeOf computes S256 by hand, independently of x/oauth2.
func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestVerifyS256(t *testing.T) {
	// RFC 7636 appendix B.
	const rfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if !VerifyS256(rfcVerifier, rfcChallenge) {
		t.Error("RFC 7636 example does not verify")
	}
	v := NewVerifier()
	if !ValidVerifier(v) {
		t.Errorf("NewVerifier %q is not valid", v)
	}
	if !VerifyS256(v, challengeOf(v)) {
		t.Error("fresh verifier does not verify")
	}
	bad := []struct{ name, verifier, challenge string }{
		{"other verifier", NewVerifier(), challengeOf(v)},
		{"plain method", v, v},
		{"empty challenge", v, ""},
		{"truncated challenge", v, challengeOf(v)[:42]},
		{"padded challenge", v, challengeOf(v) + "="},
		{"std base64 challenge", rfcVerifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"},
		{"short verifier", "abc", challengeOf("abc")},
		{"verifier with space", strings.Repeat("a", 42) + " ", challengeOf(strings.Repeat("a", 42) + " ")},
		{"empty", "", challengeOf("")},
	}
	for _, tt := range bad {
		if VerifyS256(tt.verifier, tt.challenge) {
			t.Errorf("%s: verified", tt.name)
		}
	}
}

func TestValidVerifier(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{strings.Repeat("a", 43), true},
		{strings.Repeat("Z", 128), true},
		{"0123456789-._~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", true},
		{strings.Repeat("a", 42), false},
		{strings.Repeat("a", 129), false},
		{"", false},
		{strings.Repeat("a", 42) + "+", false},
		{strings.Repeat("a", 42) + "/", false},
		{strings.Repeat("a", 42) + "=", false},
		{strings.Repeat("a", 42) + "%", false},
		{strings.Repeat("a", 41) + "é", false}, // 43 bytes, not ASCII
		{strings.Repeat("a", 42) + "\x00", false},
	}
	for _, tt := range tests {
		if got := ValidVerifier(tt.v); got != tt.want {
			t.Errorf("ValidVerifier(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
