package logging

import (
	"strings"
	"sync"
	"testing"
)

var (
	hex64     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	traceID   = "4bf92f3577b34da6a3ce929d0e0e4736" // 32 hex digits
	orgToken  = "sntrys_eyJpYXQiOjE3MDAwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ==_abcDEF+/-xyz"
	userToken = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	botToken  = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	appToken  = "xapp-1-A0123456789-1234567890123-abcdef0123456789"
)

func TestRedact(t *testing.T) {
	r := NewRedactor("my-cookie-secret-value", "short", "secret-value", "secret-value-longer", `quote"back\slash`)
	tests := []struct{ name, in, want string }{
		{"bearer header", "Authorization: Bearer abc.DEF-123_~+/=", "Authorization: Bearer [redacted]"},
		{"bearer lowercase", "bearer xyz", "bearer [redacted]"},
		{"bearer upper tab", "BEARER\tabc def", "BEARER\t[redacted] def"},
		{"bearer in json", `{"h":"Bearer abc"}`, `{"h":"Bearer [redacted]"}`},
		{"bearer single quote", "header='Bearer abc' next", "header='Bearer [redacted]' next"},
		{"bearer twice", "Bearer a, then Bearer b", "Bearer [redacted] then Bearer [redacted]"},
		{"bearer alone", "send a Bearer", "send a Bearer"},
		{"bearer trailing space", "Bearer ", "Bearer "},
		{"bearer inside word", "unbearer abc", "unbearer abc"},
		{"sentry org token", "token=" + orgToken + " ok", "token=[redacted] ok"},
		{"sentry user token", userToken, "[redacted]"},
		{"sentry prefix alone", "sntrys_ tokens are org tokens", "sntrys_ tokens are org tokens"},
		{"hex64", "token " + hex64 + ".", "token [redacted]."},
		{"hex64 upper", strings.ToUpper(hex64), "[redacted]"},
		{"hex64 in url", "https://sentry.io/api/0/?t=" + hex64, "https://sentry.io/api/0/?t=[redacted]"},
		{"hex63", hex64[1:], hex64[1:]},
		{"hex65", hex64 + "a", hex64 + "a"},
		{"hex64 glued to word", "x" + hex64, "x" + hex64},
		{"trace id", "trace " + traceID, "trace " + traceID},
		{"slack bot", "token=" + botToken + "&x=1", "token=[redacted]&x=1"},
		{"slack user", "xoxp-1-2-3-abc", "[redacted]"},
		{"slack refresh", "xoxe-1-abc", "[redacted]"},
		{"slack rotated", "xoxe.xoxb-1-abc", "xoxe.[redacted]"},
		{"slack app", appToken, "[redacted]"},
		{"slack prefix alone", "bot tokens start with xoxb-.", "bot tokens start with xoxb-."},
		{"lookout access", "token lka_Qm9vdHN0cmFwLXRva2VuLXZhbHVlLTEyMzQ1Njc4OTA now", "token [redacted] now"},
		{"lookout refresh", `{"refresh_token":"lkr_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"}`, `{"refresh_token":"[redacted]"}`},
		{"lookout code", "code=lkc_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde&state=x", "code=[redacted]&state=x"},
		{"lookout client secret", "lks_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde", "[redacted]"},
		{"lookout prefix alone", "access tokens start with lka_ and refresh tokens with lkr_.", "access tokens start with lka_ and refresh tokens with lkr_."},
		{"lookout prefix in word", "walka_abcdefghijklmnopqrstuvwxyz", "walka_abcdefghijklmnopqrstuvwxyz"},
		{"registered", "cookie=my-cookie-secret-value;", "cookie=[redacted];"},
		{"registered twice", "my-cookie-secret-valuemy-cookie-secret-value", "[redacted][redacted]"},
		{"longest registered wins", "a secret-value-longer b secret-value c", "a [redacted] b [redacted] c"},
		{"short ignored", "short", "short"},
		{"registered with quotes", `x quote"back\slash y`, "x [redacted] y"},
		{"sentence", "alice connected org acme: 3 issues in 2 projects", "alice connected org acme: 3 issues in 2 projects"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactorZeroAndNil(t *testing.T) {
	var zero Redactor
	var null *Redactor
	for name, r := range map[string]*Redactor{"zero": &zero, "nil": null} {
		if got := r.Redact("Bearer abc " + botToken); got != "Bearer [redacted] [redacted]" {
			t.Errorf("%s Redactor: got %q", name, got)
		}
	}
	zero.Add("now-a-secret")
	if got := zero.Redact("now-a-secret"); got != Redacted {
		t.Errorf("zero Redactor after Add: got %q", got)
	}
}

func TestRedactorAdd(t *testing.T) {
	r := NewRedactor()
	const s = "generated-by-demo-123"
	if got := r.Redact(s); got != s {
		t.Fatalf("masked before Add: %q", got)
	}
	r.Add(s)
	r.Add(s) // twice is harmless
	if got := r.Redact("x " + s); got != "x [redacted]" {
		t.Errorf("after Add: got %q", got)
	}
	if n := len(r.snapshot().secrets); n != 1 {
		t.Errorf("%d secrets registered, want 1", n)
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := NewRedactor()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add(strings.Repeat(string(rune('a'+i)), 10))
		}()
		go func() {
			defer wg.Done()
			for range 100 {
				if got := r.Redact("Bearer x"); got != "Bearer [redacted]" {
					t.Errorf("got %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := r.Redact(strings.Repeat("h", 10)); got != Redacted {
		t.Errorf("secret added concurrently not masked: %q", got)
	}
}

// TestMayHoldToken: the prefilter must never rule out what the pattern
// would mask.
func TestMayHoldToken(t *testing.T) {
	for _, s := range []string{"Bearer x", "bEaReR x", orgToken, userToken, hex64, botToken, appToken, "xoxe-1"} {
		if !mayHoldToken(s) {
			t.Errorf("mayHoldToken(%q) = false", s)
		}
	}
	for _, s := range []string{"", "a normal sentence", traceID, hex64[1:]} {
		if mayHoldToken(s) {
			t.Errorf("mayHoldToken(%q) = true", s)
		}
	}
}

func BenchmarkRedact(b *testing.B) {
	r := NewRedactor("my-cookie-secret-value", "another-secret-value")
	for _, bc := range []struct{ name, in string }{
		{"clean", "tool call finished: org=acme project=backend issues=12 trace=" + traceID},
		{"token", "upstream said 401 for Authorization: Bearer " + hex64},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Redact(bc.in)
			}
		})
	}
}
