package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The go-sdk's JSON decoding (internal/json.Unmarshal) went through a
// segmentio Decoder, which allocates a 32 KiB read buffer per call: about
// ten calls and over 300 KB per `ping` on lookout's /mcp, three quarters of
// everything a request allocated, and a GC every few requests.
// third_party/go-sdk patches it (see its PATCHES.md); these tests hold the
// handler lookout uses (stateless, JSON responses) to a small allocation.

// statelessPing returns a function that serves one `ping` through the
// SDK's Streamable HTTP handler as lookout configures it.
func statelessPing(tb testing.TB) func() {
	tb.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "alloc-test", Version: "1"}, nil)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	id, _ := jsonrpc.MakeID(float64(1))
	body, err := jsonrpc.EncodeMessage(&jsonrpc.Request{ID: id, Method: "ping", Params: json.RawMessage(`{}`)})
	if err != nil {
		tb.Fatal(err)
	}
	return func() {
		req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", protocolVersion)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"result":{}`)) {
			tb.Fatalf("ping: %d %s", rec.Code, rec.Body)
		}
	}
}

// TestPingAllocatesLittle fails with go-sdk v1.8.0 as released (about
// 300 KB per ping) and passes with the patch (about 13 KB). It measures
// the process's allocated bytes, so it does not run in parallel with the
// package's other tests.
func TestPingAllocatesLittle(t *testing.T) {
	ping := statelessPing(t)
	ping() // first-use caches (JSON codecs, schemas)
	const n = 200
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		ping()
	}
	runtime.ReadMemStats(&after)
	perPing := (after.TotalAlloc - before.TotalAlloc) / n
	const limit = 40 << 10 // one 32 KiB decoder buffer more than the patched SDK needs fails it
	if perPing > limit {
		t.Errorf("a stateless ping allocates %d bytes (limit %d): is the go-sdk JSON decoder patch (third_party/go-sdk) in effect? `go list -m github.com/modelcontextprotocol/go-sdk` should show the replace", perPing, limit)
	}
	t.Logf("%d bytes and %.0f allocations per ping", perPing, float64(after.Mallocs-before.Mallocs)/n)
}

// BenchmarkStatelessPing: go test -run XXX -bench StatelessPing -benchmem ./bench/remote
func BenchmarkStatelessPing(b *testing.B) {
	ping := statelessPing(b)
	b.ReportAllocs()
	for b.Loop() {
		ping()
	}
}
