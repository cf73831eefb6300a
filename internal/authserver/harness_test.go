package authserver

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/requestid"
	lookoutsecret "github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// clock is a test clock shared by lookout, the vault and the fake Sentry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// exchange is one HTTP request and response seen by a test client.
type exchange struct {
	method, url string
	status      int
	header      http.Header
	body        string
}

// recorder is a RoundTripper that keeps every response test clients see,
// so tests can scan them for secrets.
type recorder struct {
	mu   sync.Mutex
	seen []exchange
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rec.mu.Lock()
	rec.seen = append(rec.seen, exchange{req.Method, req.URL.String(), resp.StatusCode, resp.Header.Clone(), string(body)})
	rec.mu.Unlock()
	return resp, nil
}

func (rec *recorder) all() []exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]exchange(nil), rec.seen...)
}

type envOptions struct {
	store      func(t *testing.T) store.Store
	prodMode   bool         // DevMode false
	sentryHTTP *http.Client // lookout's client for Sentry's token endpoint
	cimdHTTP   *http.Client
	// limits: nil turns rate limiting off (tests make many requests from
	// one address); &RateLimits{} is production's defaults.
	limits         *RateLimits
	trustedProxies []netip.Prefix
}

// env is lookout's authorization server on an httptest server, in front
// of a fake Sentry that consents at once.
type env struct {
	t            *testing.T
	clock        *clock
	store        store.Store
	vault        *vault.Vault
	fake         *sentrytest.Fake
	as           *Server
	base         string
	logs         *logtest.Buffer
	rec          *recorder
	cookieSecret []byte
}

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	clk := newClock()
	fake := sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true, Clock: clk.Now})
	mux := http.NewServeMux()
	srv := httptest.NewServer(requestid.Middleware(mux)) // as serve runs it
	t.Cleanup(srv.Close)
	base := srv.URL
	fake.SetRedirectURIs(base + config.SentryCallbackPath)

	if opts.store == nil {
		opts.store = storetest.SQLite
	}
	st := opts.store(t)
	key := make([]byte, 32)
	rand.Read(key)
	kr, err := vault.NewKeyring(vault.Key{ID: "k1", Secret: lookoutsecret.FromBytes(key)})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	logger := slog.New(withRequestID{slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})})
	v := vault.New(st, kr, vault.Options{Now: clk.Now, Logger: logger, Sentry: sentry.Options{BaseURL: fake.URL}})
	upstream := oauth.NewSentry(oauth.SentryConfig{
		URL: fake.URL, ClientID: sentrytest.DefaultClientID, ClientSecret: lookoutsecret.New(sentrytest.DefaultClientSecret),
		RedirectURL: base + config.SentryCallbackPath, HTTPClient: opts.sentryHTTP,
	})
	secret := make([]byte, 32)
	rand.Read(secret)
	off := RateLimit{Burst: -1}
	limits := RateLimits{Register: off, Token: off, Authorize: off, Connect: off, MetadataFetch: off}
	if opts.limits != nil {
		limits = *opts.limits
	}
	as, err := New(Config{
		BaseURL: base, Store: st, Vault: v, Sentry: upstream, SentryURL: fake.URL,
		CookieSecret: secret, DevMode: !opts.prodMode, HTTPClient: opts.cimdHTTP,
		Now: clk.Now, Logger: logger,
		RateLimits: limits, TrustedProxies: opts.trustedProxies,
	})
	if err != nil {
		t.Fatal(err)
	}
	as.Register(mux)
	return &env{t: t, clock: clk, store: st, vault: v, fake: fake, as: as, base: base,
		logs: logs, rec: &recorder{}, cookieSecret: secret}
}

// response is a read response.
type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.status, err, r.body)
	}
	return m
}

// locationURL parses the Location header.
func (r response) locationURL(t *testing.T) *url.URL {
	t.Helper()
	if r.location == "" {
		t.Fatalf("no Location (status %d): %s", r.status, r.body)
	}
	u, err := url.Parse(r.location)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// browser is a user agent with a cookie jar that does not follow
// redirects, so that every hop is visible.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{
		Jar: jar, Transport: e.rec,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func do(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body), resp.Header.Get("Location")}
}

func (b *browser) get(t *testing.T, u string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(t, b.c, req)
}

func (b *browser) post(t *testing.T, u string, form url.Values) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, b.c, req)
}

// cookie returns the value of the browser's cookie name for the base URL.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.e.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// approvalForm reads the hidden fields of an approval page.
func approvalForm(t *testing.T, page response) url.Values {
	t.Helper()
	if page.status != http.StatusOK || !strings.Contains(page.body, `action="/oauth/authorize"`) {
		t.Fatalf("not an approval page (status %d, Location %q):\n%s", page.status, page.location, page.body)
	}
	form := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page.body, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if form.Get("csrf_token") == "" {
		t.Fatalf("approval page without a CSRF token:\n%s", page.body)
	}
	return form
}

// mcpClient is a registered client and its PKCE verifier.
type mcpClient struct {
	e           *env
	id, secret  string
	redirectURI string
	http        *http.Client
}

// register posts metadata to /oauth/register.
func (e *env) register(t *testing.T, metadata any) response {
	t.Helper()
	body, _ := json.Marshal(metadata)
	req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/register", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(t, &http.Client{Transport: e.rec}, req)
}

// client registers a public client redirecting to redirectURI.
func (e *env) client(t *testing.T, redirectURI string) *mcpClient {
	t.Helper()
	return e.registerClient(t, map[string]any{
		"client_name": "Test Client", "redirect_uris": []string{redirectURI},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
	})
}

func (e *env) registerClient(t *testing.T, metadata map[string]any) *mcpClient {
	t.Helper()
	resp := e.register(t, metadata)
	if resp.status != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.status, resp.body)
	}
	m := resp.json(t)
	secret, _ := m["client_secret"].(string)
	return &mcpClient{e: e, id: m["client_id"].(string), secret: secret,
		redirectURI: metadata["redirect_uris"].([]string)[0], http: &http.Client{Transport: e.rec}}
}

// pkce returns a fresh verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = oauth.NewVerifier()
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

// authorizeURL builds an authorization request; params override defaults.
func (c *mcpClient) authorizeURL(challenge string, params map[string]string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.id}, "redirect_uri": {c.redirectURI},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"state": {"client-state-123"}, "scope": {"read"}, "resource": {c.e.base + "/mcp"},
	}
	for k, v := range params {
		if v == "-" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return c.e.base + "/oauth/authorize?" + q.Encode()
}

// signIn runs a whole sign-in in b (approving if asked) and returns the
// client's redirect with lookout's code.
func (c *mcpClient) signIn(t *testing.T, b *browser, challenge string, params map[string]string) *url.URL {
	t.Helper()
	sentryURL := c.toSentry(t, b, challenge, params)
	back := b.get(t, sentryURL)
	if back.status != http.StatusFound {
		t.Fatalf("fake Sentry: %d %s", back.status, back.body)
	}
	final := b.get(t, back.location)
	if final.status != http.StatusFound {
		t.Fatalf("callback: %d %s", final.status, final.body)
	}
	return final.locationURL(t)
}

// toSentry runs the lookout part of a sign-in up to the redirect to Sentry.
func (c *mcpClient) toSentry(t *testing.T, b *browser, challenge string, params map[string]string) string {
	t.Helper()
	resp := b.get(t, c.authorizeURL(challenge, params))
	if resp.status == http.StatusOK {
		form := approvalForm(t, resp)
		form.Set("decision", "approve")
		resp = b.post(t, c.e.base+"/oauth/authorize", form)
		if resp.status != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", resp.status, resp.body)
		}
	} else if resp.status != http.StatusFound {
		t.Fatalf("authorize: %d %s", resp.status, resp.body)
	}
	if !strings.HasPrefix(resp.location, c.e.fake.URL+"/oauth/authorize/") {
		t.Fatalf("not sent to Sentry: %q", resp.location)
	}
	return resp.location
}

// token posts form to the token endpoint as this client.
func (c *mcpClient) token(t *testing.T, form url.Values) response {
	t.Helper()
	return c.postForm(t, "/oauth/token", form)
}

func (c *mcpClient) postForm(t *testing.T, path string, form url.Values) response {
	t.Helper()
	if !form.Has("client_id") && c.secret == "" {
		form.Set("client_id", c.id)
	}
	req, _ := http.NewRequest(http.MethodPost, c.e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.secret != "" && !form.Has("client_secret") {
		req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	}
	return do(t, c.http, req)
}

// redeem exchanges code with the usual parameters.
func (c *mcpClient) redeem(t *testing.T, code, verifier string) response {
	t.Helper()
	return c.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {c.redirectURI}, "resource": {c.e.base + "/mcp"}})
}

// tokens runs a sign-in and redemption and returns the token response.
func (c *mcpClient) tokens(t *testing.T, b *browser, params map[string]string) map[string]any {
	t.Helper()
	verifier, challenge := pkce()
	back := c.signIn(t, b, challenge, params)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"code_verifier": {verifier}, "redirect_uri": {c.redirectURI}}
	if res, ok := params["resource"]; ok && res != "-" {
		form.Set("resource", res)
	}
	resp := c.token(t, form)
	if resp.status != http.StatusOK {
		t.Fatalf("token: %d %s", resp.status, resp.body)
	}
	return resp.json(t)
}

// wantErrorPage checks a refusal rendered as a page, never a redirect.
func wantErrorPage(t *testing.T, resp response, status int, text string) {
	t.Helper()
	if resp.status != status || resp.location != "" {
		t.Fatalf("got %d (Location %q), want a %d page", resp.status, resp.location, status)
	}
	if !strings.Contains(resp.header.Get("Content-Type"), "text/html") {
		t.Fatalf("Content-Type %q, want html", resp.header.Get("Content-Type"))
	}
	if !strings.Contains(html.UnescapeString(resp.body), text) {
		t.Fatalf("page does not say %q:\n%s", text, resp.body)
	}
}

// wantRedirectError checks an error sent back to the client.
func wantRedirectError(t *testing.T, resp response, redirectURI, code, state, iss string) {
	t.Helper()
	if resp.status != http.StatusFound && resp.status != http.StatusSeeOther {
		t.Fatalf("got %d %s, want a redirect with error=%s", resp.status, resp.body, code)
	}
	u := resp.locationURL(t)
	q := u.Query()
	u.RawQuery = ""
	if u.String() != redirectURI {
		t.Fatalf("redirected to %s, want %s", u, redirectURI)
	}
	if q.Get("error") != code || q.Get("state") != state || q.Get("iss") != iss {
		t.Fatalf("redirect query %v, want error=%s state=%s iss=%s", q, code, state, iss)
	}
}

// wantOAuthError checks a JSON error of the token or revocation endpoint.
func wantOAuthError(t *testing.T, resp response, status int, code string) {
	t.Helper()
	if resp.status != status {
		t.Fatalf("got %d %s, want %d %s", resp.status, resp.body, status, code)
	}
	if got := resp.json(t)["error"]; got != code {
		t.Fatalf("error %v, want %s (%s)", got, code, resp.body)
	}
	if resp.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", resp.header.Get("Cache-Control"))
	}
}

// verifyOK asserts that an access token works and returns its info.
func (e *env) verify(t *testing.T, token string) error {
	t.Helper()
	_, err := e.as.VerifyAccessToken(t.Context(), token, nil)
	return err
}
