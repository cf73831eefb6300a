package authserver

import (
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// withRequestID adds the request id of a record's context, as serve's
// handler (internal/logging) does, without its redaction: the leak tests
// here must see what lookout would have written.
type withRequestID struct{ slog.Handler }

func (h withRequestID) Handle(ctx context.Context, r slog.Record) error {
	if id := requestid.From(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h withRequestID) WithAttrs(attrs []slog.Attr) slog.Handler {
	return withRequestID{h.Handler.WithAttrs(attrs)}
}

func (h withRequestID) WithGroup(name string) slog.Handler {
	return withRequestID{h.Handler.WithGroup(name)}
}

// logLinesWith returns the log lines whose message starts with msg, as
// their request_id fields.
func logLinesWith(t *testing.T, e *env, msg string) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && strings.HasPrefix(l.Msg, msg) {
			ids = append(ids, l.RequestID)
		}
	}
	return ids
}

// downStore fails client and code lookups on demand, as a database that
// went away.
type downStore struct {
	store.Store
	clients, codes atomic.Bool
}

func (s *downStore) GetClient(ctx context.Context, id string, now time.Time) (store.Client, error) {
	if s.clients.Load() {
		return store.Client{}, storetest.ErrInjected
	}
	return s.Store.GetClient(ctx, id, now)
}

func (s *downStore) GetAuthCode(ctx context.Context, hash string, now time.Time) (store.AuthCode, error) {
	if s.codes.Load() {
		return store.AuthCode{}, storetest.ErrInjected
	}
	return s.Store.GetAuthCode(ctx, hash, now)
}

// Issue #11 §2: when lookout's database fails, the page a user sees and
// the JSON error an MCP client gets carry the request's id (the
// X-Request-Id the middleware set), and the log line with the detail has
// the same id, so a user's report finds it.
func TestServerErrorsCarryTheRequestID(t *testing.T) {
	t.Parallel()
	var faulty *downStore
	e := newEnv(t, envOptions{store: func(t *testing.T) store.Store {
		faulty = &downStore{Store: storetest.SQLite(t)}
		return faulty
	}})
	c := e.client(t, "http://127.0.0.1:9/callback")

	// The sign-in page: the client cannot be looked up.
	faulty.clients.Store(true)
	_, challenge := pkce()
	resp := e.browser().get(t, c.authorizeURL(challenge, nil))
	id := resp.header.Get(requestid.Header)
	if id == "" {
		t.Fatal("no X-Request-Id on the answer")
	}
	wantErrorPage(t, resp, http.StatusBadRequest, "lookout could not look up this MCP client")
	if body := html.UnescapeString(resp.body); !strings.Contains(body, id) {
		t.Errorf("the error page does not show its request id %s:\n%s", id, resp.body)
	}
	if ids := logLinesWith(t, e, "authserver: client lookup failed"); len(ids) != 1 || ids[0] != id {
		t.Errorf("the log line of the failure has request ids %q, want [%s]", ids, id)
	}
	if strings.Contains(resp.body, "10.0.0.5") || strings.Contains(resp.body, "injected") {
		t.Error("the page shows the database error")
	}
	faulty.clients.Store(false)

	// The token endpoint: the code cannot be read.
	faulty.codes.Store(true)
	tok := c.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {"lkc_whatever-code-value-here"},
		"code_verifier": {"v"}, "redirect_uri": {c.redirectURI}, "client_id": {c.id}})
	wantOAuthError(t, tok, http.StatusInternalServerError, "server_error")
	id = tok.header.Get(requestid.Header)
	desc, _ := tok.json(t)["error_description"].(string)
	if id == "" || !strings.Contains(desc, "request id "+id) {
		t.Errorf("server_error %q does not carry the request id %q", desc, id)
	}
	if ids := logLinesWith(t, e, "authserver: load authorization code"); len(ids) != 1 || ids[0] != id {
		t.Errorf("the log line of the failure has request ids %q, want [%s]", ids, id)
	}
}
