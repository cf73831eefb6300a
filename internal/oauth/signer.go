package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrTampered: the token is malformed or its signature does not match
	// (forged, altered, or signed for another purpose).
	ErrTampered = errors.New("oauth: signed token is malformed or not signed by lookout")
	// ErrExpired: the token is outside its validity window: its exp has
	// passed, or it was issued more than ClockSkew in the future.
	ErrExpired = errors.New("oauth: signed token has expired")
)

// ClockSkew is how far in the future a token's iat may be, for replicas
// whose clocks disagree a little.
const ClockSkew = 30 * time.Second

// MaxTokenLen bounds a signed token, so that it fits a cookie and Verify
// never works on a large input. Sign refuses to produce longer ones.
const MaxTokenLen = 4096

// minSecretLen matches COOKIE_SECRET's documented minimum.
const minSecretLen = 32

// Signer signs small values for one purpose ("state", "approval", "csrf"):
// `<hex(hmac-sha256)>.<base64url(json)>`. The key is derived from the
// secret and the purpose, so a token signed for one purpose never verifies
// for another. A Signer is safe for concurrent use.
type Signer struct {
	key []byte
	now func() time.Time
}

// envelope is the signed payload: the caller's value plus its validity.
type envelope struct {
	IssuedAt  int64           `json:"iat"`
	ExpiresAt int64           `json:"exp"`
	Data      json.RawMessage `json:"d,omitempty"`
}

// NewSigner returns a signer for purpose under secret (COOKIE_SECRET).
// now is the clock (nil: time.Now). It panics on a secret shorter than 32
// bytes or an empty purpose: both are programming errors that would make
// every token forgeable or interchangeable.
func NewSigner(secret []byte, purpose string, now func() time.Time) *Signer {
	if len(secret) < minSecretLen {
		panic(fmt.Sprintf("oauth: signing secret is %d bytes, need at least %d (COOKIE_SECRET)", len(secret), minSecretLen))
	}
	if purpose == "" {
		panic("oauth: NewSigner needs a purpose")
	}
	if now == nil {
		now = time.Now
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("lookout/v1/" + purpose))
	return &Signer{key: m.Sum(nil), now: now}
}

// Sign returns v signed and valid for ttl from now.
func (s *Signer) Sign(v any, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("oauth: sign: ttl %v is not positive", ttl)
	}
	now := s.now()
	return s.sign(v, now, now.Add(ttl))
}

func (s *Signer) sign(v any, now, exp time.Time) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("oauth: sign: %w", err)
	}
	payload, err := json.Marshal(envelope{IssuedAt: now.Unix(), ExpiresAt: exp.Unix(), Data: data})
	if err != nil {
		return "", fmt.Errorf("oauth: sign: %w", err)
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	token := s.mac(body) + "." + body
	if len(token) > MaxTokenLen {
		return "", fmt.Errorf("oauth: sign: token of %d bytes exceeds %d", len(token), MaxTokenLen)
	}
	return token, nil
}

// Verify checks token's signature and validity window and decodes its
// value into v (which may be nil to check only). Errors wrap ErrTampered or
// ErrExpired.
func (s *Signer) Verify(token string, v any) error {
	if len(token) > MaxTokenLen {
		return fmt.Errorf("%w: too long", ErrTampered)
	}
	sig, body, ok := strings.Cut(token, ".")
	if !ok {
		return fmt.Errorf("%w: no signature separator", ErrTampered)
	}
	// Comparing the hex text, not decoded bytes, accepts only the exact
	// token we produced (no upper-case variants), in constant time.
	if !hmac.Equal([]byte(sig), []byte(s.mac(body))) {
		return fmt.Errorf("%w: bad signature", ErrTampered)
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return fmt.Errorf("%w: payload encoding", ErrTampered)
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil || env.ExpiresAt <= env.IssuedAt {
		return fmt.Errorf("%w: payload", ErrTampered)
	}
	now := s.now()
	if now.Unix() >= env.ExpiresAt {
		return fmt.Errorf("%w: expired at %s", ErrExpired, time.Unix(env.ExpiresAt, 0).UTC().Format(time.RFC3339))
	}
	if time.Unix(env.IssuedAt, 0).After(now.Add(ClockSkew)) {
		return fmt.Errorf("%w: issued in the future (clock skew?)", ErrExpired)
	}
	if v == nil {
		return nil
	}
	if len(env.Data) == 0 {
		env.Data = json.RawMessage("null")
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		// Signed by us but not the shape the caller expects: a token of
		// the same purpose used where another was meant.
		return fmt.Errorf("%w: value does not decode: %v", ErrTampered, err)
	}
	return nil
}

func (s *Signer) mac(body string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}
