package sentry

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// decodeWithEncodingJSON is what decodeAnswer replaced.
func decodeWithEncodingJSON(body []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(out)
}

// decodeAnswer reads every recorded Sentry answer (testdata, real API
// shapes) into the client's types, and into any, exactly as encoding/json's
// Decoder with UseNumber did; and it treats the edges of the JSON the same.
func TestDecodeAnswerAsEncodingJSON(t *testing.T) {
	t.Parallel()
	typed := map[string]func() any{
		"event-":        func() any { return new(Event) },
		"events-":       func() any { return new(map[string]any) },
		"issue.json":    func() any { return new(Issue) },
		"issue-minimal": func() any { return new(Issue) },
		"issues.json":   func() any { return new([]Issue) },
		"organization":  func() any { return new(Organization) },
		"project.json":  func() any { return new(Project) },
		"projects.json": func() any { return new([]Project) },
		"release.json":  func() any { return new(Release) },
		"releases.json": func() any { return new([]Release) },
		"monitors.json": func() any { return new([]Monitor) },
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) < 30 {
		t.Fatalf("testdata: %d files, %v", len(files), err)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		targets := []func() any{func() any { return new(any) }}
		for prefix, newT := range typed {
			if strings.HasPrefix(name, prefix) {
				targets = append(targets, newT)
			}
		}
		for _, newT := range targets {
			want, got := newT(), newT()
			errWant, errGot := decodeWithEncodingJSON(body, want), decodeAnswer(body, got)
			if (errWant == nil) != (errGot == nil) {
				t.Errorf("%s into %T: error %v, encoding/json %v", name, got, errGot, errWant)
				continue
			}
			if errGot == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("%s into %T: differs from encoding/json's", name, got)
			}
		}
	}

	type fields struct {
		ShortID string `json:"shortId"`
		Count   any    `json:"count"`
		Extra   map[string]any
	}
	for _, body := range []string{
		`{"shortid":"CASE-1","COUNT":12345678901234567890,"extra":{"n":1.5}}`, // case-insensitive names, big numbers
		`{"shortId":"A-1"} {"shortId":"B-2"}`,                                 // only the first value
		`  {"shortId":"A-1","unknown":[1,2,{"x":null}]}  `,                    // unknown fields, spaces
		`{"shortId":1}`,    // a type mismatch
		`{"shortId":"A-1"`, // truncated
		`null`,
	} {
		var want, got fields
		errWant, errGot := decodeWithEncodingJSON([]byte(body), &want), decodeAnswer([]byte(body), &got)
		// On an error only the error counts: the caller gets no answer.
		if (errWant == nil) != (errGot == nil) || errGot == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v (%v), encoding/json %+v (%v)", body, got, errGot, want, errWant)
		}
	}
}
