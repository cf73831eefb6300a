package slack

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/authserver"
	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/oauth"
	lookoutsecret "github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Slack ids of the tests. Alice and Bob are Sentry users 1 and 2 of the
// fake Sentry; which Sentry account a Slack user connects is chosen per
// flow with fake.SetConsentUser.
const (
	team      = slacktest.DefaultTeamID
	botUser   = slacktest.DefaultBotUserID
	alice     = "UALICE"
	bob       = "UBOB"
	channel   = "C0GENERAL"
	aliceDM   = "DALICE" // what the fake's conversations.open answers for alice
	secret    = slacktest.DefaultSigningSecret
	waitLimit = 10 * time.Second
)

var (
	alicePrincipal = Principal(team, alice)
	bobPrincipal   = Principal(team, bob)
)

// backend opens store handles on one database, as separate processes do.
type backend struct {
	name string
	dsn  func(t *testing.T) string
	open func(ctx context.Context, dsn string) (store.Store, error)
}

var (
	sqliteBackend = backend{"sqlite", func(t *testing.T) string { return storetest.SQLiteDSN(t) }, func(ctx context.Context, dsn string) (store.Store, error) {
		return sqlstore.OpenSQLite(ctx, dsn)
	}}
	postgresBackend = backend{"postgres", func(t *testing.T) string { return storetest.PostgresDSN(t) }, func(ctx context.Context, dsn string) (store.Store, error) {
		return sqlstore.OpenPostgres(ctx, dsn) // PostgresDSN skips without LOOKOUT_TEST_POSTGRES_URL
	}}
	backends = []backend{sqliteBackend, postgresBackend}
)

// recorder keeps every response the test browser sees, for leak scans.
type recorder struct {
	mu   sync.Mutex
	seen []string
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
	var hdr bytes.Buffer
	_ = resp.Header.Write(&hdr)
	rec.mu.Lock()
	rec.seen = append(rec.seen, fmt.Sprintf("%s %s -> %d\n%s\n%s", req.Method, req.URL, resp.StatusCode, hdr.String(), body))
	rec.mu.Unlock()
	return resp, nil
}

func (rec *recorder) all() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.seen...)
}

// harness is lookout (authorization server + Slack bot, on one httptest
// server) between a fake Slack and a fake Sentry that consents at once.
// Nodes are lookout processes sharing one database: a restart is a new
// node.
type harness struct {
	t        *testing.T
	sentry   *sentrytest.Fake
	slack    *slacktest.Fake
	backend  backend
	dsn      string
	base     string
	logs     *logtest.Buffer
	logger   *slog.Logger
	rec      *recorder
	cookie   []byte
	keyring  *vault.Keyring
	upstream *oauth.Sentry

	serving atomic.Pointer[node] // the node answering HTTP
	events  atomic.Int64
}

type harnessOptions struct {
	backend backend
	slack   slacktest.Options
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()
	if opts.backend.name == "" {
		opts.backend = sqliteBackend
	}
	h := &harness{
		t:       t,
		sentry:  sentrytest.NewServer(t, sentrytest.Options{AutoConsent: true}),
		slack:   slacktest.NewServer(t, opts.slack),
		backend: opts.backend,
		dsn:     opts.backend.dsn(t),
		logs:    &logtest.Buffer{},
		rec:     &recorder{},
		cookie:  randomBytes(32),
	}
	h.logger = slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := h.serving.Load()
		if n == nil {
			http.Error(w, "no lookout node", http.StatusServiceUnavailable)
			return
		}
		n.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.base = srv.URL
	h.sentry.SetRedirectURIs(h.base + config.SentryCallbackPath)
	kr, err := vault.NewKeyring(vault.Key{ID: "k1", Secret: lookoutsecret.FromBytes(randomBytes(32))})
	if err != nil {
		t.Fatal(err)
	}
	h.keyring = kr
	h.upstream = oauth.NewSentry(oauth.SentryConfig{
		URL: h.sentry.URL, ClientID: sentrytest.DefaultClientID, ClientSecret: lookoutsecret.New(sentrytest.DefaultClientSecret),
		RedirectURL: h.base + config.SentryCallbackPath,
	})
	return h
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// node is one lookout process: its own store handle, vault, agent,
// authorization server and bot.
type node struct {
	store  store.Store
	faulty *storetest.Faulty // with nodeOptions.faulty
	vault  *vault.Vault
	bot    *Bot
	mux    *http.ServeMux
	cancel context.CancelFunc
	done   chan struct{}
}

type nodeOptions struct {
	socketMode bool // app token, no signing secret
	agent      Agent
	configure  func(*Config)
	now        func() time.Time // the node's clock (bot and authorization server)
	// faulty puts a fault-injecting store between the node and the
	// database (node.faulty).
	faulty bool
}

// node starts a new lookout process on the shared database (not yet
// running: see start) and makes it the one serving HTTP.
func (h *harness) node(opts nodeOptions) *node {
	t := h.t
	t.Helper()
	st, err := h.backend.open(context.Background(), h.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var faulty *storetest.Faulty
	if opts.faulty {
		faulty = storetest.NewFaulty(st)
		st = faulty
	}
	// The vault tells the bot when a grant dies, as serve wires them.
	var botRef atomic.Pointer[Bot]
	onStale := func(ctx context.Context, principal string) {
		if b := botRef.Load(); b != nil {
			b.NotifyStale(ctx, principal)
		}
	}
	v := vault.New(st, h.keyring, vault.Options{Logger: h.logger, Refresher: h.upstream.Refresh, OnStale: onStale,
		Sentry: sentry.Options{BaseURL: h.sentry.URL, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}})
	t.Cleanup(func() { v.Close(context.Background()) })
	var ag Agent = agent.New(agent.Options{Vault: v, SentryURL: h.sentry.URL, Logger: h.logger})
	if opts.agent != nil {
		ag = opts.agent
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	as, err := authserver.New(authserver.Config{
		BaseURL: h.base, Store: st, Vault: v, Sentry: h.upstream, SentryURL: h.sentry.URL,
		CookieSecret: h.cookie, DevMode: true, Logger: h.logger, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	so := h.slack.Options()
	cfg := Config{
		BotToken: so.BotToken, SigningSecret: secret, APIURL: h.slack.URL, SentryURL: h.sentry.URL,
		Store: st, Vault: v, Agent: ag, Links: as, Now: now,
		Logger: h.logger, Workers: 2, ResumeInterval: 100 * time.Millisecond, ShutdownTimeout: 20 * time.Second,
		Lease: 3 * time.Second, PollInterval: 50 * time.Millisecond, RetryBase: 50 * time.Millisecond,
		StaleNoticeDelay: 100 * time.Millisecond,
	}
	if opts.socketMode {
		cfg.SigningSecret, cfg.AppToken = "", so.AppToken
	}
	if opts.configure != nil {
		opts.configure(&cfg)
	}
	bot, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	botRef.Store(bot)
	if err := as.AddConnector(PrincipalPrefix, bot); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	as.Register(mux)
	bot.Register(mux)
	n := &node{store: st, faulty: faulty, vault: v, bot: bot, mux: mux}
	h.serving.Store(n)
	return n
}

// start runs the node's bot until stop (or the end of the test).
func (n *node) start(t *testing.T) *node {
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan struct{})
	go func() {
		defer close(n.done)
		if err := n.bot.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(n.stop)
	return n
}

// stop ends the bot's Run and waits for it (in-flight turns finish).
func (n *node) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	<-n.done
}

// running is a started node, the usual setup.
func (h *harness) running() *node { return h.node(nodeOptions{}).start(h.t) }

// post delivers an Events API body signed with the signing secret.
func (h *harness) post(req *http.Request) (*http.Response, string) {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (h *harness) webhook() string { return h.base + WebhookPath }

func (h *harness) eventID() string { return fmt.Sprintf("Ev%08d", h.events.Add(1)) }

// deliver sends m as an event of type typ, signed, and wants a 200.
func (h *harness) deliver(typ string, m slacktest.Message) {
	h.t.Helper()
	resp, body := h.post(slacktest.SignedRequest(h.webhook(), secret, h.slack.EventCallback(h.eventID(), typ, m)))
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("event delivery: %d %s", resp.StatusCode, body)
	}
}

// mention posts "@lookout text" as user in ch (in thread when set) and
// delivers the app_mention.
func (h *harness) mention(user, ch, thread, text string) slacktest.Message {
	h.t.Helper()
	m := h.slack.AddMessage(slacktest.Message{Channel: ch, ThreadTS: thread, User: user, Text: slacktest.Mention(botUser) + " " + text})
	h.deliver(slacktest.AppMention, m)
	return m
}

// say posts text as user in ch (in thread when set) and delivers the
// message event: a DM, or a reply in a thread.
func (h *harness) say(user, ch, thread, text string) slacktest.Message {
	h.t.Helper()
	m := h.slack.AddMessage(slacktest.Message{Channel: ch, ThreadTS: thread, User: user, Text: text})
	h.deliver(slacktest.MessageEvt, m)
	return m
}

// waitFor polls cond until it holds or the wait limit passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCalls waits for n calls of method and returns them all.
func (h *harness) waitCalls(method string, n int) []slacktest.Call {
	h.t.Helper()
	waitFor(h.t, fmt.Sprintf("%d %s call(s)", n, method), func() bool { return len(h.slack.Calls(method)) >= n })
	return h.slack.Calls(method)
}

// waitBot waits for n bot messages in a thread and returns them.
func (h *harness) waitBot(ch, thread string, n int) []slacktest.Message {
	h.t.Helper()
	waitFor(h.t, fmt.Sprintf("%d bot message(s) in %s/%s", n, ch, thread), func() bool {
		return len(h.slack.BotMessages(ch, thread)) >= n
	})
	return h.slack.BotMessages(ch, thread)
}

// quiet waits until the bots have nothing left to do: every inbox item
// answered or failed, no parked question of alice's or bob's ready to be
// resumed, no busy note in flight. Everything the bots do goes through the
// inbox, so what the fake Slack holds then is final: a test can count
// messages without waiting "long enough".
func (h *harness) quiet() {
	h.t.Helper()
	ctx := context.Background()
	var last string
	deadline := time.Now().Add(waitLimit)
	for {
		n := h.serving.Load()
		last = n.pending(ctx)
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for the bots to finish: %s", last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pending says what work is left in the shared store, "" when none.
func (n *node) pending(ctx context.Context) string {
	items, err := n.store.ListInbox(ctx, "", time.Now(), 0)
	if err != nil {
		return err.Error()
	}
	for _, it := range items {
		if !it.State.Done() {
			return fmt.Sprintf("inbox item %s is %s (attempts %d)", it.ID, it.State, it.Attempts)
		}
	}
	for _, p := range []string{alicePrincipal, bobPrincipal} {
		ps, err := n.store.ListParkedRequests(ctx, p, time.Now())
		if err != nil {
			return err.Error()
		}
		for _, pr := range ps {
			if pr.Ready {
				return "a parked question of " + p + " is ready to resume"
			}
		}
	}
	if len(n.bot.busySlots) > 0 {
		return "a busy note is being sent"
	}
	return ""
}

// item returns an inbox item of the shared store.
func (n *node) item(t *testing.T, id string) store.InboxItem {
	t.Helper()
	it, err := n.store.GetInbox(context.Background(), id, time.Now())
	if err != nil {
		t.Fatalf("inbox item %s: %v", id, err)
	}
	return it
}

// questionID is the inbox id of the question m (a user's message).
func questionID(m slacktest.Message) string {
	return "slack-msg:" + team + ":" + m.Channel + ":" + m.TS
}

var slackLinkRe = regexp.MustCompile(`<(https?://[^|>]+)\|`)

// linkIn returns the connect link in a message text, or fails.
func (h *harness) linkIn(text string) string {
	h.t.Helper()
	m := slackLinkRe.FindStringSubmatch(text)
	if m == nil || !strings.HasPrefix(m[1], h.base+authserver.ConnectPath+"?s=") {
		h.t.Fatalf("no connect link in %q", text)
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// browser is a user's browser: a cookie jar, redirects followed, every
// response recorded.
func (h *harness) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: h.rec, Timeout: 30 * time.Second}
}

// follow opens link in a fresh browser, confirms on the confirmation page
// as a user would, and returns the final page. A link that fails before
// the confirmation returns that page.
func (h *harness) follow(link string) (int, string) {
	h.t.Helper()
	b := h.browser()
	status, body := h.get(b, link)
	if status != http.StatusOK || !strings.Contains(body, "Continue to Sentry") {
		return status, body
	}
	form := url.Values{"s": {hiddenField(h.t, body, "s")}, "csrf_token": {hiddenField(h.t, body, "csrf_token")}}
	resp, err := b.PostForm(h.base+authserver.ConnectPath, form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

func (h *harness) get(b *http.Client, link string) (int, string) {
	h.t.Helper()
	resp, err := b.Get(link)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// hiddenField reads a hidden input's value from a page.
func hiddenField(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no hidden field %s in:\n%s", name, page)
	}
	return html.UnescapeString(m[1])
}

// consent follows link with the fake Sentry consenting as sentryUser and
// wants the "Connected" page.
func (h *harness) consent(link, sentryUser string) string {
	h.t.Helper()
	h.sentry.SetConsentUser(sentryUser)
	status, body := h.follow(link)
	if status != http.StatusOK || !strings.Contains(body, "Connected") {
		h.t.Fatalf("consent: %d\n%s", status, body)
	}
	return body
}

// sentryUsers returns the Sentry user ids of the fake Sentry's API
// requests whose path contains part.
func (h *harness) sentryUsers(part string) []string {
	var out []string
	for _, r := range h.sentry.Requests() {
		if strings.Contains(r.Path, part) {
			out = append(out, r.UserID)
		}
	}
	return out
}

// assertNoLeaks scans everything the fake Slack received, every response
// the browsers saw, and the log, for any token the fake Sentry issued.
func (h *harness) assertNoLeaks() {
	h.t.Helper()
	tokens := h.sentry.IssuedTokens()
	if len(tokens) == 0 {
		h.t.Fatal("assertNoLeaks: the fake Sentry issued no token")
	}
	var corpus []string
	for _, c := range h.slack.Calls() {
		corpus = append(corpus, c.Method+" "+c.Params.Encode())
	}
	corpus = append(corpus, h.rec.all()...)
	corpus = append(corpus, h.logs.String())
	all := strings.Join(corpus, "\n")
	for _, tok := range tokens {
		if strings.Contains(all, tok) {
			h.t.Errorf("a Sentry token (%s...) leaked into Slack messages, pages or logs", tok[:6])
		}
	}
}

// grant gives principal a grant for Sentry user userID with scopes, as a
// past consent would have.
func (n *node) grant(t *testing.T, h *harness, principal, userID string, scopes ...string) {
	t.Helper()
	if len(scopes) == 0 {
		scopes = BaseScopes
	}
	tok := h.sentry.IssueToken(userID, scopes, 0)
	_, err := n.vault.Put(context.Background(), vault.Grant{Principal: principal,
		Token: vault.NewToken(tok, "", time.Time{}), Scopes: scopes, User: vault.SentryUser{ID: userID}})
	if err != nil {
		t.Fatal(err)
	}
}
