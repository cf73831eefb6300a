package sentry

import (
	"encoding/json"
	"testing"
	"time"
)

func TestFlexibleDecoding(t *testing.T) {
	var v struct {
		S []FlexString `json:"s"`
		N []FlexInt    `json:"n"`
		T []Time       `json:"t"`
	}
	in := `{
		"s": ["abc", 4509000000000200, 1.5, true, null, {"x": 1}, []],
		"n": ["25", 25, 112.0, null, "", "x", "1e3", 9.9e30, " 7 "],
		"t": ["2025-04-03T22:51:19.403000Z", "2025-04-07T12:23:39+00:00", "2025-04-07T12:23:39", 1713805458.5, null, "", "yesterday", 0]
	}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	wantS := []FlexString{"abc", "4509000000000200", "1.5", "true", "", "", ""}
	for i, w := range wantS {
		if v.S[i] != w {
			t.Errorf("S[%d] = %q, want %q", i, v.S[i], w)
		}
	}
	wantN := []FlexInt{25, 25, 112, 0, 0, 0, 1000, 1<<63 - 1, 7}
	for i, w := range wantN {
		if v.N[i] != w {
			t.Errorf("N[%d] = %d, want %d", i, v.N[i], w)
		}
	}
	wantT := []time.Time{
		time.Date(2025, 4, 3, 22, 51, 19, 403000000, time.UTC),
		time.Date(2025, 4, 7, 12, 23, 39, 0, time.UTC),
		time.Date(2025, 4, 7, 12, 23, 39, 0, time.UTC),
		time.Unix(1713805458, 500000000).UTC(),
		{}, {}, {}, {},
	}
	for i, w := range wantT {
		if !v.T[i].Equal(w) {
			t.Errorf("T[%d] = %v, want %v", i, v.T[i], w)
		}
	}
}

func TestContextLineAndTagMapShapes(t *testing.T) {
	var lines []ContextLine
	if err := json.Unmarshal([]byte(`[[12, "code"], ["13", null], "odd", [1]]`), &lines); err != nil {
		t.Fatal(err)
	}
	if lines[0] != (ContextLine{12, "code"}) || lines[1] != (ContextLine{13, ""}) || lines[2] != (ContextLine{}) || lines[3] != (ContextLine{}) {
		t.Errorf("lines = %+v", lines)
	}
	for in, want := range map[string]string{
		`{"a": "1"}`:                   "1",
		`{"a": 1}`:                     "1",
		`[{"key": "a", "value": "1"}]`: "1",
		`[["a", "1"]]`:                 "1",
		`null`:                         "",
		`"weird"`:                      "",
	} {
		var m TagMap
		if err := json.Unmarshal([]byte(in), &m); err != nil || m["a"] != want {
			t.Errorf("TagMap(%s) = %v, %v", in, m, err)
		}
	}
}
