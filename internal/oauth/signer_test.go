package oauth

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var testSecret = []byte("COOKIE-SECRET-0123456789abcdef-0123456789")

// clock is a settable test clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type testValue struct {
	Who   string `json:"who"`
	Count int    `json:"n"`
}

// assertNoSignerSecrets: an error never shows the secret or a derived key.
func assertNoSignerSecrets(t *testing.T, s *Signer, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, leak := range []string{string(testSecret), hex.EncodeToString(testSecret), hex.EncodeToString(s.key)} {
		if strings.Contains(msg, leak) {
			t.Errorf("error %q contains secret material", msg)
		}
	}
}

func TestSignerRoundTrip(t *testing.T) {
	c := newClock()
	s := NewSigner(testSecret, "state", c.Now)
	tok, err := s.Sign(testValue{Who: "slack:T1:U1", Count: 3}, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sig, body, ok := strings.Cut(tok, ".")
	if !ok || len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Fatalf("token %q is not <hex(hmac)>.<payload>", tok)
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Fatalf("payload is not base64url: %v", err)
	}
	wantPayload := `{"iat":` + itoa(c.Now().Unix()) + `,"exp":` + itoa(c.Now().Add(10*time.Minute).Unix()) + `,"d":{"who":"slack:T1:U1","n":3}}`
	if string(payload) != wantPayload {
		t.Errorf("payload %s, want %s", payload, wantPayload)
	}
	var got testValue
	if err := s.Verify(tok, &got); err != nil {
		t.Fatal(err)
	}
	if got != (testValue{Who: "slack:T1:U1", Count: 3}) {
		t.Errorf("got %+v", got)
	}
	if err := s.Verify(tok, nil); err != nil {
		t.Errorf("Verify(nil): %v", err)
	}
	// Another Signer with the same secret and purpose (another replica).
	if err := NewSigner(testSecret, "state", c.Now).Verify(tok, nil); err != nil {
		t.Errorf("other replica: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSignerRejectsForeignTokens(t *testing.T) {
	c := newClock()
	s := NewSigner(testSecret, "state", c.Now)
	tok, err := s.Sign(testValue{Who: "a"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	others := map[string]*Signer{
		"other purpose": NewSigner(testSecret, "approval", c.Now),
		"other secret":  NewSigner([]byte(strings.Repeat("x", 32)), "state", c.Now),
		// "state"+"x" and "statex" must not collide with a prefix trick
		"purpose prefix": NewSigner(testSecret, "stat", c.Now),
	}
	for name, o := range others {
		err := o.Verify(tok, nil)
		if !errors.Is(err, ErrTampered) {
			t.Errorf("%s: err = %v, want ErrTampered", name, err)
		}
		assertNoSignerSecrets(t, o, err)
		// and the other way round
		otok, _ := o.Sign(testValue{Who: "a"}, time.Minute)
		if err := s.Verify(otok, nil); !errors.Is(err, ErrTampered) {
			t.Errorf("%s reversed: err = %v, want ErrTampered", name, err)
		}
	}
}

func TestSignerTampering(t *testing.T) {
	c := newClock()
	s := NewSigner(testSecret, "state", c.Now)
	tok, err := s.Sign(testValue{Who: "alice", Count: 1}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sig, body, _ := strings.Cut(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(body)
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "alice", "mallory", 1)))
	longer := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"exp":`, `"exp":9`, 1)))
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	// signed builds a token our key really signed over an arbitrary body:
	// what is left to catch then is the payload checks.
	signed := func(body string) string { return s.mac(body) + "." + body }
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	iat, exp := c.Now().Unix(), c.Now().Add(time.Minute).Unix()

	malformed := map[string]string{
		"empty":                    "",
		"dot":                      ".",
		"no separator":             sig + body,
		"signature only":           sig,
		"signature and dot":        sig + ".",
		"payload only":             body,
		"dot and payload":          "." + body,
		"forged payload":           sig + "." + forged,
		"extended exp":             sig + "." + longer,
		"flipped signature first":  flip(sig, 0) + "." + body,
		"flipped signature last":   flip(sig, len(sig)-1) + "." + body,
		"upper-case signature":     strings.ToUpper(sig) + "." + body,
		"truncated signature":      sig[:62] + "." + body,
		"signature plus byte":      sig + "0." + body,
		"truncated payload":        tok[:len(tok)-1],
		"payload plus byte":        tok + "A",
		"trailing dot":             tok + ".",
		"extra segment":            tok + "." + body,
		"leading space":            " " + tok,
		"trailing newline":         tok + "\n",
		"padded payload":           sig + "." + base64.URLEncoding.EncodeToString(payload),
		"std base64 payload":       sig + "." + base64.StdEncoding.EncodeToString(payload),
		"non-hex signature":        strings.Repeat("z", 64) + "." + body,
		"zero signature":           strings.Repeat("0", 64) + "." + body,
		"too long":                 sig + "." + body + strings.Repeat("A", MaxTokenLen),
		"unicode":                  "✓." + body,
		"signed non-base64":        signed("!!!"),
		"signed non-json":          signed(b64("not json")),
		"signed json array":        signed(b64("[1,2]")),
		"signed no exp":            signed(b64(`{"iat":` + itoa(iat) + `,"d":{}}`)),
		"signed exp before iat":    signed(b64(`{"iat":` + itoa(iat) + `,"exp":` + itoa(iat-1) + `}`)),
		"signed string exp":        signed(b64(`{"iat":` + itoa(iat) + `,"exp":"` + itoa(exp) + `"}`)),
		"signed wrong value shape": signed(b64(`{"iat":` + itoa(iat) + `,"exp":` + itoa(exp) + `,"d":{"who":7}}`)),
		"signed empty":             signed(""),
		"signed but oversized":     signed(b64(`{"iat":` + itoa(iat) + `,"exp":` + itoa(exp) + `,"d":{"who":"` + strings.Repeat("a", MaxTokenLen) + `"}}`)),
	}
	for name, bad := range malformed {
		t.Run(name, func(t *testing.T) {
			var v testValue
			err := s.Verify(bad, &v)
			if !errors.Is(err, ErrTampered) {
				t.Errorf("err = %v, want ErrTampered", err)
			}
			if v != (testValue{}) {
				t.Errorf("value decoded from a rejected token: %+v", v)
			}
			assertNoSignerSecrets(t, s, err)
		})
	}
	if err := s.Verify(tok, nil); err != nil {
		t.Errorf("original no longer verifies: %v", err)
	}
}

func TestSignerExpiry(t *testing.T) {
	c := newClock()
	s := NewSigner(testSecret, "state", c.Now)
	tok, err := s.Sign("v", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(10*time.Minute - time.Second)
	if err := s.Verify(tok, nil); err != nil {
		t.Errorf("a second before exp: %v", err)
	}
	c.Advance(time.Second)
	if err := s.Verify(tok, nil); !errors.Is(err, ErrExpired) {
		t.Errorf("at exp: err = %v, want ErrExpired", err)
	}
	c.Advance(time.Hour)
	var v string
	if err := s.Verify(tok, &v); !errors.Is(err, ErrExpired) || errors.Is(err, ErrTampered) {
		t.Errorf("long after exp: err = %v, want only ErrExpired", err)
	}
	if v != "" {
		t.Errorf("value decoded from an expired token")
	}
}

func TestSignerNotYetValid(t *testing.T) {
	c := newClock()
	ahead := &clock{t: c.Now().Add(ClockSkew + 2*time.Second)} // a replica running fast
	tok, err := NewSigner(testSecret, "state", ahead.Now).Sign("v", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSigner(testSecret, "state", c.Now)
	if err := s.Verify(tok, nil); !errors.Is(err, ErrExpired) {
		t.Errorf("iat beyond skew: err = %v, want ErrExpired", err)
	}
	c.Advance(2 * time.Second)
	if err := s.Verify(tok, nil); err != nil {
		t.Errorf("iat within skew: %v", err)
	}
}

func TestSignerSignErrors(t *testing.T) {
	s := NewSigner(testSecret, "state", nil)
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := s.Sign("v", ttl); err == nil {
			t.Errorf("Sign with ttl %v succeeded", ttl)
		}
	}
	if _, err := s.Sign(func() {}, time.Minute); err == nil {
		t.Error("Sign of an unmarshallable value succeeded")
	}
	if _, err := s.Sign(strings.Repeat("x", MaxTokenLen), time.Minute); err == nil {
		t.Error("Sign of an oversized value succeeded")
	}
	tok, err := s.Sign(nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var p *testValue
	if err := s.Verify(tok, &p); err != nil || p != nil {
		t.Errorf("nil value: %v %v", p, err)
	}
}

func TestNewSignerPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"short secret":  func() { NewSigner([]byte(strings.Repeat("k", 31)), "state", nil) },
		"nil secret":    func() { NewSigner(nil, "state", nil) },
		"empty purpose": func() { NewSigner(testSecret, "", nil) },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s: no panic", name)
				} else if strings.Contains(fmt.Sprint(r), string(testSecret)) {
					t.Errorf("%s: panic shows the secret", name)
				}
			}()
			f()
		}()
	}
}

// FuzzVerify: Verify never panics, and accepts nothing but tokens this
// Signer produced. The clock is fixed so the seeds stay valid.
func FuzzVerify(f *testing.F) {
	c := newClock()
	s := NewSigner(testSecret, "state", c.Now)
	signed := map[string]bool{}
	for _, v := range []any{testValue{Who: "a", Count: 1}, "x", nil, 42, statePayload{ID: "id", Kind: "k"}} {
		tok, err := s.Sign(v, time.Hour)
		if err != nil {
			f.Fatal(err)
		}
		signed[tok] = true
		f.Add(tok)
		sig, body, _ := strings.Cut(tok, ".")
		f.Add(body + "." + sig)
		f.Add(sig[:10] + "." + body)
	}
	f.Add("")
	f.Add(".")
	f.Add("..")
	f.Add(strings.Repeat("0", 64) + ".e30")
	f.Fuzz(func(t *testing.T, tok string) {
		var v any
		err := s.Verify(tok, &v)
		if err == nil && !signed[tok] {
			t.Fatalf("accepted a token we did not sign: %q", tok)
		}
		if err != nil && !errors.Is(err, ErrTampered) && !errors.Is(err, ErrExpired) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
