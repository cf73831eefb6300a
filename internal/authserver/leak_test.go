package authserver

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// sentrySpy records lookout's requests to Sentry's token endpoint and
// Sentry's answers: the secrets that must stay between the two.
type sentrySpy struct {
	mu      sync.Mutex
	secrets []string
}

func (s *sentrySpy) RoundTrip(req *http.Request) (*http.Response, error) {
	var form url.Values
	if req.Body != nil {
		body, _ := io.ReadAll(req.Body)
		form, _ = url.ParseQuery(string(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal(body, &tok)
	s.mu.Lock()
	s.secrets = append(s.secrets, form.Get("code_verifier"), form.Get("client_secret"), tok.AccessToken, tok.RefreshToken)
	s.mu.Unlock()
	return resp, nil
}

// TestNoSecretInResponsesOrLogs runs a full sign-in with refresh, replay
// and failures, then scans every response the browser and the client saw,
// every log line and the audit log for upstream secrets, and the logs and
// audit log also for lookout's own.
func TestNoSecretInResponsesOrLogs(t *testing.T) {
	spy := &sentrySpy{}
	e := newEnv(t, envOptions{sentryHTTP: &http.Client{Transport: spy}})
	c := e.registerClient(t, map[string]any{
		"client_name": "Leaky?", "redirect_uris": []string{"https://client.example.com/cb"},
		"grant_types": []string{"authorization_code", "refresh_token"},
	})
	b := e.browser()
	verifier, challenge := pkce()
	back := c.signIn(t, b, challenge, nil)
	code := back.Query().Get("code")
	first := c.redeem(t, code, verifier)
	tm := first.json(t)
	r2 := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}}).json(t)
	c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tm["refresh_token"].(string)}}) // reuse
	c.redeem(t, code, verifier)                                                                              // replay
	tm2 := c.tokens(t, b, nil)
	c.postForm(t, "/oauth/revoke", url.Values{"token": {tm2["refresh_token"].(string)}})
	bad := *c
	bad.secret = c.secret + "x"
	bad.redeem(t, code, verifier)
	cb := sentryBack(t, c, b)
	b.get(t, withState(t, cb, func(s string) string { return s + "x" }))
	b.get(t, cb)
	b.get(t, cb) // replayed state
	// A connect link, confirmed and completed, then the callback replayed
	// in another browser.
	if err := e.as.AddConnector("slack:", &fakeConnector{}); err != nil {
		t.Fatal(err)
	}
	link, err := e.as.ConnectURL(t.Context(), slackAlice)
	if err != nil {
		t.Fatal(err)
	}
	back2 := b.get(t, b.confirm(t, link).location)
	if done := b.get(t, back2.location); !strings.Contains(done.body, "Connected") {
		t.Fatalf("connect flow: %d %s", done.status, done.body)
	}
	e.browser().get(t, back2.location)

	upstream := []string{sentrytest.DefaultClientSecret,
		string(e.cookieSecret), hex.EncodeToString(e.cookieSecret),
		base64.StdEncoding.EncodeToString(e.cookieSecret), base64.RawURLEncoding.EncodeToString(e.cookieSecret)}
	spy.mu.Lock()
	upstream = append(upstream, spy.secrets...)
	spy.mu.Unlock()
	own := []string{c.secret, code, verifier, tm["access_token"].(string), tm["refresh_token"].(string),
		r2["access_token"].(string), r2["refresh_token"].(string), tm2["access_token"].(string), tm2["refresh_token"].(string)}

	check := func(where, text string, secrets []string) {
		t.Helper()
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(text, s) {
				t.Errorf("%s contains a secret (%.6s...)", where, s)
			}
		}
	}
	if len(upstream) < 10 {
		t.Fatalf("spy saw too little: %d values", len(upstream))
	}
	exchanges := e.rec.all()
	if len(exchanges) < 20 {
		t.Fatalf("only %d responses recorded", len(exchanges))
	}
	for _, x := range exchanges {
		where := x.method + " " + x.url
		check(where+" (request URL)", x.url, upstream)
		var hdr strings.Builder
		x.header.Write(&hdr)
		check(where+" (headers)", hdr.String(), upstream)
		check(where+" (body)", x.body, upstream)
		if !strings.Contains(x.url, "/oauth/register") && !strings.Contains(x.url, "/oauth/token") {
			check(where+" (body)", x.body, []string{c.secret})
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "replay detected") {
		t.Fatalf("the test did not exercise the logging it means to scan:\n%s", logs)
	}
	check("the log", logs, append(upstream, own...))
	events, err := e.store.ListAudit(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		check("audit event "+ev.Action, ev.Detail+" "+ev.Principal, append(upstream, own...))
	}
}
