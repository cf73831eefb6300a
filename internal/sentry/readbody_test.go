package sentry

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// readBody returns the answer whole whether or not its length is known,
// one byte past the limit when it is longer, and an error when the body
// ends before its Content-Length.
func TestReadBody(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 100)
	for _, c := range []struct {
		name          string
		length, limit int64
		want          int
	}{
		{"length known", 100, 1000, 100},
		{"length unknown", -1, 1000, 100},
		{"empty", 0, 1000, 0},
		{"longer than the limit, length unknown", -1, 10, 11},
		{"longer than the limit, length known", 100, 10, 11},
	} {
		got, err := readBody(strings.NewReader(body), c.length, c.limit)
		if err != nil || len(got) != c.want || !bytes.Equal(got, []byte(body[:c.want])) {
			t.Errorf("%s: %d bytes, %v; want %d", c.name, len(got), err, c.want)
		}
	}
	if _, err := readBody(strings.NewReader(body), 200, 1000); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a body shorter than its Content-Length: %v, want io.ErrUnexpectedEOF", err)
	}
}
