package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"

	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/requestid"
)

// lines decodes JSON log lines, failing the test on any invalid one.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("invalid JSON log line %q: %v", line, err)
		}
		recs = append(recs, m)
	}
	return recs
}

const registered = "registered-secret-value"

// leaks lists what must never reach the output.
var leaks = []string{registered, hex64, orgToken, userToken, botToken, appToken, "s3cr3t-bearer-token"}

func checkNoLeaks(t *testing.T, out string) {
	t.Helper()
	for _, s := range leaks {
		if strings.Contains(out, s) {
			t.Errorf("output contains %q:\n%s", s, out)
		}
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

type valuer struct{ v slog.Value }

func (v valuer) LogValue() slog.Value { return v.v }

// maskedJSON masks itself in JSON but not in String; the JSON form wins.
type maskedJSON string

func (m maskedJSON) String() string               { return string(m) }
func (m maskedJSON) MarshalJSON() ([]byte, error) { return []byte(`"***"`), nil }

type request struct {
	URL     string
	Headers map[string]string
	Count   int
}

type token string

func TestHandlerRedacts(t *testing.T) {
	bearer := "Bearer s3cr3t-bearer-token"
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string // a JSON fragment expected in the output
	}{
		{"message", func(l *slog.Logger) { l.Info("calling with " + bearer) }, `"msg":"calling with Bearer [redacted]"`},
		{"message registered", func(l *slog.Logger) { l.Info("secret is " + registered) }, `"msg":"secret is [redacted]"`},
		{"string attr", func(l *slog.Logger) { l.Info("m", "auth", bearer) }, `"auth":"Bearer [redacted]"`},
		{"hex attr", func(l *slog.Logger) { l.Info("m", "token", hex64) }, `"token":"[redacted]"`},
		{"sentry attrs", func(l *slog.Logger) { l.Info("m", "org", orgToken, "user", userToken) }, `"org":"[redacted]","user":"[redacted]"`},
		{"slack attrs", func(l *slog.Logger) { l.Info("m", "bot", botToken, "app", appToken) }, `"bot":"[redacted]","app":"[redacted]"`},
		{"nested groups", func(l *slog.Logger) {
			l.Info("m", slog.Group("a", slog.Group("b", slog.String("t", botToken), slog.Int("n", 1))))
		}, `"a":{"b":{"t":"[redacted]","n":1}}`},
		{"with attrs", func(l *slog.Logger) { l.With("auth", bearer).Info("m") }, `"auth":"Bearer [redacted]"`},
		{"with group attrs", func(l *slog.Logger) {
			l.WithGroup("req").With("auth", bearer).WithGroup("inner").Info("m", "k", hex64)
		}, `"req":{"auth":"Bearer [redacted]","inner":{"k":"[redacted]"}}`},
		{"with group attr", func(l *slog.Logger) { l.WithGroup("g").Info("m", "t", registered) }, `"g":{"t":"[redacted]"}`},
		{"error", func(l *slog.Logger) { l.Info("m", "err", errors.New("sentry said 401 to "+bearer)) }, `"err":"sentry said 401 to Bearer [redacted]"`},
		{"wrapped error", func(l *slog.Logger) {
			l.Error("m", "err", fmt.Errorf("refresh: %w", errors.New("bad token "+userToken)))
		}, `"err":"refresh: bad token [redacted]"`},
		{"nil error", func(l *slog.Logger) { l.Info("m", "err", error(nil)) }, `"err":null`},
		{"stringer", func(l *slog.Logger) { l.Info("m", "s", stringer{"key " + registered}) }, `"s":"key [redacted]"`},
		{"masked json wins", func(l *slog.Logger) { l.Info("m", "s", maskedJSON(registered)) }, `"s":"***"`},
		{"logvaluer string", func(l *slog.Logger) { l.Info("m", "v", valuer{slog.StringValue(bearer)}) }, `"v":"Bearer [redacted]"`},
		{"logvaluer group", func(l *slog.Logger) {
			l.Info("m", "v", valuer{slog.GroupValue(slog.String("tok", botToken), slog.Any("inner", valuer{slog.StringValue(hex64)}))})
		}, `"v":{"tok":"[redacted]","inner":"[redacted]"}`},
		{"with logvaluer", func(l *slog.Logger) { l.With("v", valuer{slog.StringValue(registered)}).Info("m") }, `"v":"[redacted]"`},
		{"string slice", func(l *slog.Logger) { l.Info("m", "list", []string{"ok", botToken}) }, `"list":["ok","[redacted]"]`},
		{"string map", func(l *slog.Logger) { l.Info("m", "map", map[string]string{"a": registered}) }, `"map":{"a":"[redacted]"}`},
		{"http header", func(l *slog.Logger) {
			l.Info("m", "h", http.Header{"Authorization": {bearer}})
		}, `"h":{"Authorization":["Bearer [redacted]"]}`},
		{"struct", func(l *slog.Logger) {
			l.Info("m", "req", request{URL: "https://x/?t=" + hex64, Headers: map[string]string{"X": botToken}, Count: 2})
		}, `"req":{"URL":"https://x/?t=[redacted]","Headers":{"X":"[redacted]"},"Count":2}`},
		{"named string", func(l *slog.Logger) { l.Info("m", "t", token(botToken)) }, `"t":"[redacted]"`},
		{"any string", func(l *slog.Logger) { l.Info("m", slog.Any("t", registered)) }, `"t":"[redacted]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(New(&buf, slog.LevelDebug, registered))
			out := buf.String()
			lines(t, out)
			checkNoLeaks(t, out)
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %s:\n%s", tt.want, out)
			}
		})
	}
}

// TestHandlerLeavesCleanValues: nothing that is not a credential changes.
func TestHandlerLeavesCleanValues(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelInfo, registered)
	l.With("service", "lookout").WithGroup("turn").Info("tool call finished for alice in org acme",
		"trace_id", traceID, "n", 42, "ok", true, "word", "Bearer",
		"list", []string{"a", "b"}, "req", request{URL: "https://sentry.io", Count: 1},
		"err", errors.New("org acme not found"), "short", "short")
	recs := lines(t, buf.String())
	if len(recs) != 1 {
		t.Fatalf("got %d lines", len(recs))
	}
	got := recs[0]
	if got["msg"] != "tool call finished for alice in org acme" {
		t.Errorf("msg = %q", got["msg"])
	}
	if got["service"] != "lookout" {
		t.Errorf("service = %v", got["service"])
	}
	turn, _ := got["turn"].(map[string]any)
	want := map[string]any{
		"trace_id": traceID, "n": 42.0, "ok": true, "word": "Bearer",
		"err": "org acme not found", "short": "short",
	}
	for k, v := range want {
		if turn[k] != v {
			t.Errorf("turn.%s = %#v, want %#v", k, turn[k], v)
		}
	}
	if fmt.Sprint(turn["list"]) != "[a b]" || fmt.Sprint(turn["req"]) != "map[Count:1 Headers:<nil> URL:https://sentry.io]" {
		t.Errorf("composite values changed: %v %v", turn["list"], turn["req"])
	}
}

// TestHandlerLateSecret: a secret registered after With was called is
// masked in the attributes With added.
func TestHandlerLateSecret(t *testing.T) {
	var buf bytes.Buffer
	r := NewRedactor()
	base := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), r))
	const late = "generated-later-secret"
	l := base.WithGroup("g").With("demo_secret", late)
	l.Info("before")
	if !strings.Contains(buf.String(), late) {
		t.Fatalf("masked before it was registered:\n%s", buf.String())
	}
	buf.Reset()
	r.Add(late)
	l.Info("after " + late)
	l.With("x", 1).Info("derived after")
	out := buf.String()
	if strings.Contains(out, late) {
		t.Errorf("late secret leaked:\n%s", out)
	}
	if n := strings.Count(out, `"g":{"demo_secret":"[redacted]"`); n != 2 {
		t.Errorf("want 2 masked lines, got %d:\n%s", n, out)
	}
}

func TestHandlerLevel(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelWarn)
	l.Info("dropped")
	l.With("a", 1).WithGroup("g").Debug("dropped")
	l.Warn("kept")
	if recs := lines(t, buf.String()); len(recs) != 1 || recs[0]["msg"] != "kept" {
		t.Errorf("got %v", recs)
	}
	if l.Enabled(context.Background(), slog.LevelInfo) || !l.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled does not follow the level")
	}
}

func TestHandlerAccessor(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelInfo)
	h, ok := l.Handler().(*Handler)
	if !ok {
		t.Fatalf("handler is %T", l.Handler())
	}
	h.Redactor().Add("added-through-accessor")
	l.Info("added-through-accessor")
	if strings.Contains(buf.String(), "added-through-accessor") {
		t.Error(buf.String())
	}
}

// TestHandlerSlogtest runs the standard library's conformance checks for
// handlers: groups, WithAttrs, WithGroup, empty groups, resolution...
func TestHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return NewHandler(slog.NewJSONHandler(&buf, nil), NewRedactor(registered))
	}, func(t *testing.T) map[string]any {
		recs := lines(t, buf.String())
		if len(recs) != 1 {
			t.Fatalf("got %d records", len(recs))
		}
		return recs[0]
	})
}

// TestHandlerTextInner: the Handler works around handlers other than JSON.
func TestHandlerTextInner(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), NewRedactor(registered)))
	l.With("a", botToken).Info("m "+registered, "req", request{Headers: map[string]string{"k": hex64}}, "err", errors.New(userToken))
	out := buf.String()
	checkNoLeaks(t, out)
	if !strings.Contains(out, `req="{\"URL\":\"\",\"Headers\":{\"k\":\"[redacted]\"},\"Count\":0}"`) && !strings.Contains(out, `req={"URL":"","Headers":{"k":"[redacted]"},"Count":0}`) {
		t.Errorf("struct not rendered as redacted JSON:\n%s", out)
	}
}

func TestHandlerConcurrent(t *testing.T) {
	var buf logtest.Buffer
	r := NewRedactor()
	base := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), r))
	shared := base.WithGroup("g").With("k", "v")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add(fmt.Sprintf("secret-number-%02d", i))
		}()
		go func() {
			defer wg.Done()
			l := shared.With("worker", i)
			for j := range 50 {
				l.Info("msg", "auth", "Bearer abc", "j", j, "err", errors.New(botToken))
			}
		}()
	}
	wg.Wait()
	shared.Info("end", "s", "secret-number-07")
	out := buf.String()
	checkNoLeaks(t, out)
	if strings.Contains(out, "secret-number-07") {
		t.Error("secret registered concurrently leaked")
	}
	if n := len(lines(t, out)); n != 8*50+1 {
		t.Errorf("got %d lines", n)
	}
}

func BenchmarkHandle(b *testing.B) {
	secrets := []string{"my-cookie-secret-value", "sentry-client-secret-value", "xoxb-configured-bot-token"}
	for _, bc := range []struct {
		name string
		args []any
	}{
		{"clean", []any{"org", "acme", "project", "backend", "trace_id", traceID, "n", 12}},
		{"tokens", []any{"auth", "Bearer " + hex64, "err", errors.New("401 for " + userToken), "cookie", "my-cookie-secret-value"}},
		{"struct", []any{"req", request{URL: "https://sentry.io/api/0/", Headers: map[string]string{"Accept": "application/json"}, Count: 3}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := New(io.Discard, slog.LevelInfo, secrets...).With("service", "lookout")
			b.ReportAllocs()
			for b.Loop() {
				l.Info("tool call finished", bc.args...)
			}
		})
	}
}

// Every line logged with a request's context carries its request id.
func TestHandlerAddsRequestID(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo)
	log.InfoContext(requestid.With(context.Background(), "0123456789abcdef"), "served", "path", "/mcp")
	log.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"request_id":"0123456789abcdef"`) || strings.Contains(lines[1], "request_id") {
		t.Fatalf("log lines:\n%s", buf.String())
	}
}
