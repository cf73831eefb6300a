package secret_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/secret"
)

// Every way a Value can be printed, marshalled or logged, alone or inside
// other values, shows "[redacted]" and never the secret.
func TestValueNeverPrints(t *testing.T) {
	t.Parallel()
	const text = "hunter2-hunter2-the-real-secret"
	s := secret.New(text)
	type holder struct {
		Name   string
		Secret secret.Value
	}
	h := holder{"x", s}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v", "%10s", "%-20q"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, &s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h),
			fmt.Sprintf(verb, []secret.Value{s}), fmt.Sprintf(verb, map[string]secret.Value{"k": s}))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s, h), s.String(), s.GoString(),
		fmt.Errorf("wrapped: %v", s).Error(), errors.New(fmt.Sprint(h)).Error())
	for _, v := range []any{s, &s, h, map[string]any{"s": s}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	txt, _ := s.MarshalText()
	outs = append(outs, string(txt))
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("m", "s", s, "h", h, "p", &s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("m", "s", s, "h", h, "p", &s)
	outs = append(outs, logs.String())
	for _, out := range outs {
		if strings.Contains(out, text) || strings.Contains(out, fmt.Sprintf("%x", text)) {
			t.Fatalf("secret leaked in %q", out)
		}
	}
	if !strings.Contains(fmt.Sprint(h), secret.Redacted) || !strings.Contains(logs.String(), secret.Redacted) {
		t.Fatalf("no redaction marker: %v / %s", h, logs.String())
	}
	if s.Reveal() != text || string(s.RevealBytes()) != text || s.Len() != len(text) {
		t.Fatal("Reveal does not return the secret")
	}
}

func TestZeroValuePrintsEmpty(t *testing.T) {
	t.Parallel()
	var z secret.Value
	if !z.IsZero() || fmt.Sprint(z) != "" || fmt.Sprintf("%q", z) != `""` {
		t.Fatalf("zero value: %q", fmt.Sprint(z))
	}
	if secret.New("x").IsZero() {
		t.Fatal("a set value is zero")
	}
}

// FromBytes copies: changing the caller's slice later does not change the
// secret.
func TestFromBytesCopies(t *testing.T) {
	t.Parallel()
	b := []byte("0123456789abcdef")
	s := secret.FromBytes(b)
	b[0] = 'X'
	if s.Reveal() != "0123456789abcdef" {
		t.Fatal("FromBytes aliases its argument")
	}
	r := s.RevealBytes()
	r[1] = 'Y'
	if s.Reveal() != "0123456789abcdef" {
		t.Fatal("RevealBytes aliases the secret")
	}
}
