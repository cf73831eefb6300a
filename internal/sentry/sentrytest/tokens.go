package sentrytest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// token is one access token: an OAuth token (with a refresh token) or a
// personal token minted by IssueToken. Tokens are kept by value: this is a
// fake.
type token struct {
	access    string
	refresh   string // "" for personal tokens
	userID    string
	clientID  string // "" for personal tokens
	scopes    []string
	expiresAt time.Time // zero: never expires
}

// Fingerprint is how the request log names a token: the first 8 hex
// characters of its SHA-256.
func Fingerprint(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])[:8]
}

func randomHex(nBytes int) string {
	b := make([]byte, nBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// IssueToken mints a personal token ("sntryu_" + 64 hex) for a seeded user,
// as if they had created one in Sentry's settings. ttl <= 0 means it never
// expires. It panics on an unknown user: that is a bug in the test.
func (f *Fake) IssueToken(userID string, scopes []string, ttl time.Duration) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.w.user(userID) == nil {
		panic(fmt.Sprintf("sentrytest: IssueToken: no seeded user %q", userID))
	}
	t := &token{access: "sntryu_" + randomHex(32), userID: userID, scopes: slices.Clone(scopes)}
	if ttl > 0 {
		t.expiresAt = f.now().Add(ttl)
	}
	f.tokens[t.access] = t
	f.issued = append(f.issued, t.access)
	return t.access
}

// IssuedTokens returns every access and refresh token the fake has handed
// out, revoked and rotated ones included: what a leak scan looks for.
func (f *Fake) IssuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.issued)
}

// RevokeUserTokens deletes every token, refresh token and unused
// authorization code of the user, as when they revoke the application in
// Sentry. The next API call with any of them is a 401, the next refresh an
// invalid_grant.
func (f *Fake) RevokeUserTokens(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for v, t := range f.tokens {
		if t.userID == userID {
			delete(f.tokens, v)
		}
	}
	for v, t := range f.refresh {
		if t.userID == userID {
			delete(f.refresh, v)
		}
	}
	for v, c := range f.codes {
		if c.userID == userID {
			delete(f.codes, v)
		}
	}
}

// ExpireTokens makes every access token issued so far expired (API calls
// answer 401 "Token expired"). Refresh tokens keep working.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	past := f.now().Add(-time.Second)
	for _, t := range f.tokens {
		t.expiresAt = past
	}
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// authenticate returns the request's valid token, or nil and the 401
// detail. Callers hold f.mu.
func (f *Fake) authenticate(r *http.Request) (*token, string) {
	v, ok := bearer(r)
	if !ok {
		return nil, DetailNoCredentials
	}
	t := f.tokens[v]
	if t == nil {
		return nil, DetailInvalidToken
	}
	if !t.expiresAt.IsZero() && !f.now().Before(t.expiresAt) {
		return nil, DetailTokenExpired
	}
	return t, ""
}

// identify names the caller for the request log, whatever the token's
// state. Callers hold f.mu.
func (f *Fake) identify(r *http.Request) (userID, fingerprint string) {
	v, ok := bearer(r)
	if !ok {
		return "", ""
	}
	if t := f.tokens[v]; t != nil {
		userID = t.userID
	}
	return userID, Fingerprint(v)
}
