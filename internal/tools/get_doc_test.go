package tools

import (
	"strings"
	"testing"
)

func TestGetDoc(t *testing.T) {
	runDocsCase(t, docsCase{
		tool: "get_doc",
		args: `{"path":"/platforms/go.md"}`,
		want: []string{"# Sentry docs: /platforms/go.md", "sentry.Init(sentry.ClientOptions{", "_Source: http://"},
		badInput: []string{
			`{}`,
			`{"path":""}`,
			`{"path":"/platforms/go"}`,
			`{"path":"https://evil.example/platforms/go.md"}`,
			`{"path":"//evil.example/platforms/go.md"}`,
			`{"path":"http://docs.sentry.io/platforms/go.md"}`,
			`{"path":"` + strings.Repeat("a", 501) + `.md"}`,
		},
	})
}

// A missing page and an HTML answer are explained, not errors.
func TestGetDocMissingOrHTML(t *testing.T) {
	t.Parallel()
	f := newDocsFixture(t)
	out, err := f.call(f.env(), "get_doc", `{"path":"/platforms/cobol.md"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "No documentation page at ", "search_docs")
	f.docs.SetPage("/odd.md", "<!DOCTYPE html><html><body>hi</body></html>")
	if out, err = f.call(f.env(), "get_doc", `{"path":"odd.md"}`); err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "answered with an HTML page, not markdown")
	f.noTokenSent()
}

// A page larger than one answer is cut with a note, not dropped.
func TestGetDocLongPage(t *testing.T) {
	t.Parallel()
	f := newDocsFixture(t)
	f.docs.SetPage("/long.md", "# Long\n\n"+strings.Repeat("A line of the long page.\n", 3000))
	out, err := f.call(f.env(), "get_doc", `{"path":"/long.md"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > maxOutput+200 || !strings.Contains(out, "output truncated") || !strings.HasPrefix(out, "# Sentry docs: /long.md") {
		t.Errorf("len %d; head %q; tail %q", len(out), out[:40], out[len(out)-120:])
	}
}
