// Tests of lookout's patch to this package (see PATCHES.md at the module
// root): Unmarshal parses in place instead of through a Decoder.

package json

import (
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestUnmarshalAllocation fails without the patch: each Unmarshal then
// allocated a Decoder read buffer of at least 32 KiB.
func TestUnmarshalAllocation(t *testing.T) {
	type params struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	data := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search_issues","arguments":{"organizationSlug":"acme","limit":10}}}`)
	var msg struct {
		Method string `json:"method"`
		Params params `json:"params"`
	}
	if err := Unmarshal(data, &msg); err != nil { // first use builds the codec
		t.Fatal(err)
	}
	const n = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if err := Unmarshal(data, &msg); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 4<<10 {
		t.Errorf("Unmarshal of a %d-byte message allocates %d bytes", len(data), per)
	}
}

// TestUnmarshalAsDecoder: the patched Unmarshal answers as the Decoder it
// replaces did, on the cases where Parse and Decoder could differ.
func TestUnmarshalAsDecoder(t *testing.T) {
	for _, in := range []string{
		``, `   `, "\n\t", `{"a":1}`, ` {"a":1} `, `{"a":1} {"a":2}`, `{"a":1} trailing`, `{"a":`, `{"a":1`,
		`{"a":"x\u0000y"}`, `{"A":1}`, `[1,2]`, `null`, `{"a":1,"b":{"c":[true,null,"s"]}}`, `{"a":"unterminated`,
	} {
		var got, want struct {
			A int `json:"a"`
			B any `json:"b"`
		}
		gotErr := Unmarshal([]byte(in), &got)
		wantErr := NewDecoder(strings.NewReader(in)).Decode(&want)
		if (gotErr == nil) != (wantErr == nil) || errors.Is(wantErr, io.EOF) != errors.Is(gotErr, io.EOF) {
			t.Errorf("%q: Unmarshal error %v, Decoder error %v", in, gotErr, wantErr)
			continue
		}
		if gotErr == nil && (got.A != want.A || !equalJSON(t, got.B, want.B)) {
			t.Errorf("%q: Unmarshal %+v, Decoder %+v", in, got, want)
		}
	}
}

// TestUnmarshalCopies: nothing decoded aliases the input, which callers
// may reuse (the Decoder decoded from its own copy).
func TestUnmarshalCopies(t *testing.T) {
	data := []byte(`{"s":"hello","raw":{"k":"v"}}`)
	var v struct {
		S   string          `json:"s"`
		Raw json.RawMessage `json:"raw"`
	}
	if err := Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	if v.S != "hello" || string(v.Raw) != `{"k":"v"}` {
		t.Errorf("decoded values changed with the input: %q %q", v.S, v.Raw)
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
