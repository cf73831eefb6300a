package sentry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/version"
)

func TestTokenIsRedactedEverywhere(t *testing.T) {
	tok := StaticToken(testToken)
	opts := Options{BaseURL: "https://sentry.io", Token: tok, Scopes: []string{"org:read"}}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Opts  Options
		Token TokenSource
	}
	var outs []string
	for _, v := range []any{tok, opts, &opts, c, holder{opts, tok}, []any{tok}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		b, _ := json.Marshal(v)
		outs = append(outs, string(b))
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("x", "v", v)
			outs = append(outs, buf.String())
		}
	}
	outs = append(outs, fmt.Sprint(tok), fmt.Sprintf("%#v", tok), opts.String(), c.String())
	for _, s := range outs {
		if strings.Contains(s, testToken) || strings.Contains(s, "TEST-SECRET") {
			t.Errorf("token leaked: %s", s)
		}
	}
	if got := fmt.Sprint(opts); !strings.Contains(got, `BaseURL:"https://sentry.io"`) || !strings.Contains(got, "Token:[REDACTED]") {
		t.Errorf("Options print = %s", got)
	}
	if got, _ := tok.Token(context.Background()); got != testToken {
		t.Errorf("Token() = %q", got)
	}
}

func TestRequestHeaders(t *testing.T) {
	f := newFake(t)
	f.serve(t, "GET /api/0/auth/{$}", "user.json", "")
	c, _ := newClient(t, f.URL)
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Auth != "Bearer "+testToken {
		t.Errorf("Authorization = %q", r.Auth)
	}
	if r.UserAgent != version.UserAgent() || !strings.HasPrefix(r.UserAgent, "lookout/") {
		t.Errorf("User-Agent = %q", r.UserAgent)
	}
	if strings.Contains(r.Path+r.RawQuery, testToken) {
		t.Errorf("token in URL: %s?%s", r.Path, r.RawQuery)
	}
}

func TestResponseBodyLimit(t *testing.T) {
	big := `[{"id": "1", "title": "` + strings.Repeat("x", 4096) + `"}]`
	f := newFake(t)
	f.handle("GET /api/0/organizations/acme/issues/{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length: the limit must hold while reading
		}
		_, _ = w.Write([]byte(big))
	})
	c, s := newClient(t, f.URL, func(o *Options) { o.MaxBodyBytes = 1024 })
	_ = c.UseRegion("acme", f.URL)
	for _, q := range []string{"", "1"} {
		_, err := c.get(context.Background(), call{org: "acme", path: []string{"organizations", "acme", "issues"}, query: map[string][]string{"chunked": {q}}}, new([]Issue))
		var apiErr *APIError
		if !errors.Is(err, ErrResponseTooLarge) || !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "exceeds 1024 bytes") {
			t.Errorf("chunked=%q: err = %v", q, err)
		}
		noToken(t, err)
	}
	if len(s.all()) != 0 || f.count() != 2 {
		t.Errorf("too-large answers were retried: %d requests", f.count())
	}
	c2, _ := newClient(t, f.URL, func(o *Options) { o.MaxBodyBytes = 8192 })
	_ = c2.UseRegion("acme", f.URL)
	if is, _, err := c2.ListIssues(context.Background(), "acme", IssueQuery{}); err != nil || len(is) != 1 {
		t.Errorf("under the limit: %v, %v", is, err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newFake(t)
	elsewhere.serve(t, "/", "user.json", "")
	f := newFake(t)
	f.handle("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})
	hc := &http.Client{}
	c, _ := newClient(t, f.URL, func(o *Options) { o.HTTPClient = hc })
	_, err := c.WhoAmI(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 302 || !strings.Contains(err.Error(), "does not follow") {
		t.Fatalf("err = %v", err)
	}
	if elsewhere.count() != 0 {
		t.Errorf("redirect followed: %v", elsewhere.requests())
	}
	if hc.CheckRedirect != nil {
		t.Error("the caller's http.Client was modified")
	}
	noToken(t, err)
}

func TestPagination(t *testing.T) {
	f := newFake(t)
	f.handle("GET /api/0/organizations/acme/issues/{$}", func(w http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host + r.URL.Path + "?cursor="
		switch r.URL.Query().Get("cursor") {
		case "":
			w.Header().Set("Link", `<`+base+`0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <`+base+`0:2:0>; rel="next"; results="true"; cursor="0:2:0"`)
			_, _ = w.Write([]byte(`[{"id": "1"}, {"id": "2"}]`))
		case "0:2:0":
			w.Header().Set("Link", `<`+base+`0:0:1>; rel="previous"; results="true"; cursor="0:0:1", <`+base+`0:4:0>; rel="next"; results="false"; cursor="0:4:0"`)
			_, _ = w.Write([]byte(`[{"id": "3"}]`))
		}
	})
	c, _ := newClient(t, f.URL)
	_ = c.UseRegion("acme", f.URL)
	ctx := context.Background()
	var ids []string
	var cursor string
	for i := 0; i < 5; i++ {
		issues, page, err := c.ListIssues(ctx, "acme", IssueQuery{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range issues {
			ids = append(ids, string(is.ID))
		}
		if !page.HasNext() {
			if page.PrevCursor != "0:0:1" {
				t.Errorf("last page PrevCursor = %q", page.PrevCursor)
			}
			break
		}
		cursor = page.NextCursor
	}
	if strings.Join(ids, ",") != "1,2,3" {
		t.Errorf("ids = %v", ids)
	}
	if q := f.requests()[1].RawQuery; q != "cursor=0%3A2%3A0&limit=2" {
		t.Errorf("second page query = %q", q)
	}
}

func TestParseLink(t *testing.T) {
	for header, want := range map[string]Page{
		``: {},
		`<https://sentry.io/api/0/organizations/acme/issues/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/organizations/acme/issues/?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`: {NextCursor: "0:100:0"},
		`<https://x/?a=1,2>; rel="next"; results="true"; cursor="1744480800000:0:0"`:                                  {NextCursor: "1744480800000:0:0"},
		`<https://x/?field=count(),title>;rel=next;results=true;cursor=abc, <https://x/>; rel="previous"; cursor="p"`: {NextCursor: "abc", PrevCursor: "p"},
		`<https://x/>; rel="next"; results="false"; cursor="0:100:0"`:                                                 {},
		`<https://x/>; REL="Next"; Results="TRUE"; Cursor="c"`:                                                        {NextCursor: "c"},
		`<https://x/>; rel="next"; results="true"`:                                                                    {},
		`garbage, <https://x/>; rel="next"; cursor="c2"`:                                                              {NextCursor: "c2"},
		`<https://x/>; rel="next"; cursor="unterminated`:                                                              {NextCursor: "unterminated"},
		`<unterminated`: {},
	} {
		if got := parseLink(header); got != want {
			t.Errorf("parseLink(%q) = %+v, want %+v", header, got, want)
		}
	}
}
