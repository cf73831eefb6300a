package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/store/storetest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// TestChaosTwoReplicas runs two `lookout serve` processes on one PostgreSQL
// database behind a load balancer, with the fake Slack and the fake Sentry
// (both slowed down a little, and Sentry's access tokens short-lived, so
// that grants are refreshed throughout), and SIGKILLs one of them at random
// moments, restarting it a moment later, while 200 Slack questions (10% of
// them delivered twice, as Slack's retries are) and 1,000 MCP tool calls
// go through. Then it checks that every question was answered exactly once
// and that no grant was lost, and prints the numbers.
//
// It takes a few minutes, so it runs only when asked:
//
//	LOOKOUT_CHAOS=1 LOOKOUT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./e2e -run TestChaosTwoReplicas -v -timeout 30m
//
// LOOKOUT_CHAOS_QUESTIONS and LOOKOUT_CHAOS_TOOL_CALLS change the load;
// LOOKOUT_CHAOS_KILLS=0 runs the same load without killing anything (the
// control: no grant may be lost then).
func TestChaosTwoReplicas(t *testing.T) {
	if os.Getenv("LOOKOUT_CHAOS") != "1" {
		t.Skip("chaos run skipped: set LOOKOUT_CHAOS=1 (and LOOKOUT_TEST_POSTGRES_URL) to run it; it takes a few minutes")
	}
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Fatalf("LOOKOUT_CHAOS=1 needs %s: the replicas share a PostgreSQL database", storetest.PostgresEnv)
	}
	questions := envInt(t, "LOOKOUT_CHAOS_QUESTIONS", 200)
	toolCalls := envInt(t, "LOOKOUT_CHAOS_TOOL_CALLS", 1000)
	c := newChaos(t)
	c.seed(10, 4)
	for range 2 {
		c.addReplica()
	}
	for _, r := range c.replicas {
		r.start()
	}

	start := time.Now()
	stopKilling := make(chan struct{})
	var wg sync.WaitGroup
	if envInt(t, "LOOKOUT_CHAOS_KILLS", 1) != 0 {
		wg.Go(func() { c.killLoop(stopKilling) })
	}
	var load sync.WaitGroup
	load.Go(func() { c.askQuestions(questions) })
	load.Go(func() { c.callTools(toolCalls, 4) })
	load.Wait()
	close(stopKilling)
	wg.Wait()
	for _, r := range c.replicas {
		r.ensureRunning()
	}
	loadTime := time.Since(start)
	c.waitAnswered(3 * time.Minute)
	c.report(loadTime)
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a whole number", name, v)
	}
	return n
}

const (
	chaosTeam    = slacktest.DefaultTeamID
	chaosChannel = "C0CHAOS"
	chaosClient  = "lookout-chaos"
	chaosSecret  = "chaos-sentry-client-secret-0123456789"
)

// chaosQuestions are what users ask, and a part of each right answer.
var chaosQuestions = []struct{ text, want string }{
	{"issues acme/checkout", "CHECKOUT-"},
	{"issues acme/web", "WEB-"},
	{"projects acme", "checkout"},
}

type chaos struct {
	t       *testing.T
	dsn     string
	store   store.Store
	vault   *vault.Vault
	sentry  *sentrytest.Fake
	slack   *slacktest.Fake
	base    string // the load balancer: LOOKOUT_BASE_URL of both replicas
	env     []string
	keyring *vault.Keyring

	users      []string          // Slack user ids with a grant
	mcp        map[string]string // MCP principal -> lookout access token
	principals []string

	replicas []*replica
	lb       *balancer
	proxy    *sentryProxy

	mu     sync.Mutex
	asked  []asked
	kills  []time.Time
	deliv  atomic.Int64 // event deliveries sent
	failed atomic.Int64 // deliveries not acknowledged (retried)
	dupes  atomic.Int64 // deliberate second deliveries

	toolOK, toolErr, toolFailed atomic.Int64
	toolErrors                  sync.Map // first words of tool errors -> count
}

// asked is one question and when its event was acknowledged.
type asked struct {
	msg   slacktest.Message
	want  string
	acked time.Time
}

func newChaos(t *testing.T) *chaos {
	c := &chaos{t: t, mcp: map[string]string{}}
	c.dsn = storetest.PostgresDSN(t)
	st, err := sqlstore.OpenPostgres(t.Context(), c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.store = st

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.base = "http://" + ln.Addr().String()
	c.lb = &balancer{client: &http.Client{Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	lbSrv := &http.Server{Handler: c.lb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = lbSrv.Serve(ln) }()
	t.Cleanup(func() { lbSrv.Close() })

	fake, err := sentrytest.Start(sentrytest.Options{
		ClientID: chaosClient, ClientSecret: chaosSecret, AutoConsent: true, Now: time.Now(),
		RedirectURIs: []string{c.base + "/api/oauth/callback/sentry"},
		// Refreshed when within a minute of expiry: every 10 s or so per
		// grant, under load and kills alike.
		AccessTokenTTL: 70 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/", Latency: 80 * time.Millisecond})
	fake.Inject(sentrytest.Fault{PathPrefix: "/oauth/token", Latency: 80 * time.Millisecond})
	c.sentry = fake
	// The replicas reach Sentry through a proxy that notes which refreshes
	// Sentry answered while their replica was being killed.
	c.proxy = &sentryProxy{client: &http.Client{Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, region := range []string{sentrytest.RegionUS, sentrytest.RegionDE} {
		target := fake.RegionURL(region)
		srv := httptest.NewServer(c.proxy.to(target))
		t.Cleanup(srv.Close)
		fake.SetRegionURL(region, srv.URL)
	}

	c.slack = slacktest.New(slacktest.Options{})
	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(20+mrand.IntN(60)) * time.Millisecond) // Slack is not instant either
		c.slack.ServeHTTP(w, r)
	}))
	t.Cleanup(slackSrv.Close)
	c.slack.URL = slackSrv.URL + "/api/"

	key := make([]byte, 32)
	cookie := make([]byte, 32)
	_, _ = rand.Read(key)
	_, _ = rand.Read(cookie)
	c.keyring, err = vault.NewKeyring(vault.Key{ID: "k1", Secret: secret.FromBytes(key)})
	if err != nil {
		t.Fatal(err)
	}
	c.vault = vault.New(st, c.keyring, vault.Options{})
	t.Cleanup(func() { c.vault.Close(context.Background()) })
	c.env = []string{
		"LOOKOUT_BASE_URL=" + c.base,
		"SENTRY_URL=" + fake.URL,
		"SENTRY_CLIENT_ID=" + chaosClient,
		"SENTRY_CLIENT_SECRET=" + chaosSecret,
		"COOKIE_SECRET=" + base64.StdEncoding.EncodeToString(cookie),
		"LOOKOUT_ENCRYPTION_KEYS=k1:" + base64.StdEncoding.EncodeToString(key),
		"DATABASE_URL=" + c.dsn,
		"SLACK_BOT_TOKEN=" + slacktest.DefaultBotToken,
		"SLACK_SIGNING_SECRET=" + slacktest.DefaultSigningSecret,
		"SLACK_API_URL=" + c.slack.URL,
		"LOOKOUT_LOG_LEVEL=info",
	}
	return c
}

// seed connects slackUsers Slack users and mcpUsers MCP clients to the
// fake Sentry (the real OAuth dance, so each grant has a refresh token)
// and mints each MCP client a lookout access token.
func (c *chaos) seed(slackUsers, mcpUsers int) {
	t := c.t
	up := oauth.NewSentry(oauth.SentryConfig{URL: c.sentry.URL, ClientID: chaosClient,
		ClientSecret: secret.New(chaosSecret), RedirectURL: c.base + "/api/oauth/callback/sentry"})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	connect := func(principal string) {
		verifier := oauth.NewVerifier()
		resp, err := noRedirect.Get(up.AuthCodeURL("state", verifier, sentrytest.ReadScopes))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		consent, err := up.Exchange(t.Context(), loc.Query().Get("code"), verifier)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.vault.Put(t.Context(), vault.Grant{Principal: principal, Token: consent.Token, Scopes: consent.Scopes, User: consent.User}); err != nil {
			t.Fatal(err)
		}
		c.principals = append(c.principals, principal)
	}
	for i := range slackUsers {
		user := fmt.Sprintf("U%03d", i)
		connect("slack:" + chaosTeam + ":" + user)
		c.users = append(c.users, user)
	}
	now := time.Now()
	for i := range mcpUsers {
		principal := fmt.Sprintf("mcp:chaos-%d", i)
		connect(principal)
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		tok := "lka_" + base64.RawURLEncoding.EncodeToString(b)
		sum := sha256.Sum256([]byte(tok))
		if err := c.store.CreateToken(t.Context(), store.Token{Hash: hex.EncodeToString(sum[:]), Kind: store.AccessToken,
			ClientID: chaosClient, Principal: principal, FamilyID: "chaos-" + strconv.Itoa(i), Resource: c.base + "/mcp",
			Scope: "read", CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		c.mcp[principal] = tok
	}
}

// replica is one `lookout serve` process, killed and restarted at will.
type replica struct {
	c    *chaos
	name string
	addr string
	logs *lockedBuffer // every run's stderr

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

func (c *chaos) addReplica() {
	r := &replica{c: c, name: fmt.Sprintf("replica-%d", len(c.replicas)), addr: freeLoopbackAddr(c.t), logs: &lockedBuffer{}}
	c.replicas = append(c.replicas, r)
	c.lb.add("http://" + r.addr)
	c.t.Cleanup(func() {
		r.stop()
		if strings.Contains(r.logs.String(), "WARNING: DATA RACE") {
			c.t.Errorf("the race detector found a data race in %s", r.name)
		}
		if c.t.Failed() {
			c.t.Logf("%s log (last lines):\n%s", r.name, tail(r.logs.String(), 80))
		}
	})
}

// start runs the replica and waits until it answers /healthz.
func (r *replica) start() {
	t := r.c.t
	r.mu.Lock()
	r.starts++
	cmd := exec.Command(lookoutBinary(t), "serve")
	cmd.Env = append(append(cleanEnv(), r.c.env...), "LOOKOUT_ADDR="+r.addr)
	cmd.Stdout, cmd.Stderr = r.logs, r.logs
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		r.mu.Unlock()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("%s exited before it was healthy:\n%s", r.name, tail(r.logs.String(), 40))
		default:
		}
		if resp, err := http.Get("http://" + r.addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after 60 s", r.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill SIGKILLs the replica and waits for it to be gone.
func (r *replica) kill() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

func (r *replica) running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exited == nil {
		return false
	}
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

func (r *replica) ensureRunning() {
	if !r.running() {
		r.start()
	}
}

// stop ends the replica with SIGTERM, as a deployment would.
func (r *replica) stop() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// killLoop kills one replica, at a random moment every 2 to 6 seconds, and
// starts it again half a second to two seconds later; the other keeps
// serving meanwhile.
func (c *chaos) killLoop(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(2000+mrand.IntN(4000)) * time.Millisecond):
		}
		r := c.replicas[mrand.IntN(len(c.replicas))]
		r.kill()
		c.mu.Lock()
		c.kills = append(c.kills, time.Now())
		c.mu.Unlock()
		time.Sleep(time.Duration(500+mrand.IntN(1500)) * time.Millisecond)
		r.start()
	}
}

// askQuestions posts n questions, one every 150-450 ms, each a mention by
// one of the users in the channel, and delivers each event through the load
// balancer as Slack does: again (same event id) until it is acknowledged;
// one in ten a second time later, as Slack's retries are.
func (c *chaos) askQuestions(n int) {
	var wg sync.WaitGroup
	for i := range n {
		q := chaosQuestions[i%len(chaosQuestions)]
		user := c.users[i%len(c.users)]
		m := c.slack.AddMessage(slacktest.Message{Channel: chaosChannel, User: user, Text: slacktest.Mention(slacktest.DefaultBotUserID) + " " + q.text})
		body := c.slack.EventCallback(fmt.Sprintf("EvCHAOS%05d", i), slacktest.AppMention, m)
		wg.Go(func() {
			c.deliver(body)
			c.mu.Lock()
			c.asked = append(c.asked, asked{msg: m, want: q.want, acked: time.Now()})
			c.mu.Unlock()
			if mrand.IntN(10) == 0 {
				c.dupes.Add(1)
				time.Sleep(time.Duration(mrand.IntN(5000)) * time.Millisecond)
				c.deliver(body)
			}
		})
		time.Sleep(time.Duration(150+mrand.IntN(300)) * time.Millisecond)
	}
	wg.Wait()
}

// deliver sends an event until a replica acknowledges it (200 within
// Slack's 3 seconds), marking redeliveries as Slack does.
func (c *chaos) deliver(body []byte) {
	client := &http.Client{Timeout: 3 * time.Second}
	for attempt := 0; ; attempt++ {
		req := slacktest.SignedRequest(c.base+"/api/webhooks/slack", slacktest.DefaultSigningSecret, body)
		if attempt > 0 {
			slacktest.Retry(req, attempt)
		}
		c.deliv.Add(1)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		c.failed.Add(1)
		if attempt > 100 {
			c.t.Errorf("an event was not acknowledged after 100 deliveries (last: %v)", err)
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// callTools makes n MCP tool calls from `workers` clients at once, spread
// over the MCP principals, through the load balancer. A call that fails
// (its replica died under it) is made again, up to three times, as a
// client would.
func (c *chaos) callTools(n, workers int) {
	var next atomic.Int64
	principals := make([]string, 0, len(c.mcp))
	for p := range c.mcp {
		principals = append(principals, p)
	}
	slices.Sort(principals)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			tok := c.mcp[principals[w%len(principals)]]
			for next.Add(1) <= int64(n) {
				ok := false
				for range 3 {
					if err := c.oneCall(tok); err == nil {
						ok = true
						break
					} else {
						key := err.Error()
						if len(key) > 80 {
							key = key[:80]
						}
						v, _ := c.toolErrors.LoadOrStore(key, new(atomic.Int64))
						v.(*atomic.Int64).Add(1)
					}
					time.Sleep(200 * time.Millisecond)
				}
				if ok {
					c.toolOK.Add(1)
				} else {
					c.toolFailed.Add(1)
				}
			}
		})
	}
	wg.Wait()
}

type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// oneCall connects (the server is stateless: any replica serves any
// request) and calls search_issues.
func (c *chaos) oneCall(tok string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	hc := &http.Client{Transport: bearer{token: tok, base: http.DefaultTransport}}
	session, err := mcp.NewClient(&mcp.Implementation{Name: "chaos", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: c.base + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer session.Close()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "search_issues",
		Arguments: map[string]any{"organizationSlug": "acme", "projectSlugOrId": "checkout", "limit": 3}})
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	text := contentText(res)
	if res.IsError || !strings.Contains(text, "CHECKOUT-") {
		return fmt.Errorf("tool error: %s", text)
	}
	return nil
}

// waitAnswered waits until every question's thread holds an answer and
// the inbox has nothing open.
func (c *chaos) waitAnswered(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		open, missing := c.openWork()
		if open == 0 && missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Errorf("after %s: %d inbox items open, %d questions without an answer", limit, open, missing)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (c *chaos) openWork() (open, missing int) {
	items, err := c.store.ListInbox(context.Background(), "", time.Now(), 0)
	if err != nil {
		return 1, 0
	}
	for _, it := range items {
		if !it.State.Done() {
			open++
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.asked {
		if len(c.answers(a.msg)) == 0 {
			missing++
		}
	}
	return open, missing
}

// answers returns the bot's messages in a question's thread other than a
// status message ("Looking at Sentry…", "queued").
func (c *chaos) answers(m slacktest.Message) []slacktest.Message {
	var out []slacktest.Message
	for _, b := range c.slack.BotMessages(m.Channel, m.TS) {
		if !strings.Contains(b.Metadata, `"part":"status"`) {
			out = append(out, b)
		}
	}
	return out
}

// report checks the outcome and prints the numbers.
func (c *chaos) report(loadTime time.Duration) {
	t := c.t
	c.mu.Lock()
	defer c.mu.Unlock()
	var once, twice, none, wrong, status, reconnect int
	var latencies []time.Duration
	for _, a := range c.asked {
		ans := c.answers(a.msg)
		all := c.slack.BotMessages(a.msg.Channel, a.msg.TS)
		switch {
		case len(ans) == 0:
			none++
			t.Errorf("question %s (%s) has no answer", a.msg.TS, a.msg.Text)
		case len(ans) > 1:
			twice++
			t.Errorf("question %s (%s) was answered %d times", a.msg.TS, a.msg.Text, len(ans))
		default:
			once++
			switch {
			case strings.Contains(ans[0].Text, a.want):
			case strings.Contains(ans[0].Text, "expired or was revoked"):
				reconnect++
			default:
				wrong++
				t.Logf("question %s (%s) got %q", a.msg.TS, a.msg.Text, ans[0].Text)
			}
			if ts, err := strconv.ParseFloat(ans[0].TS, 64); err == nil {
				latencies = append(latencies, time.Unix(0, int64(ts*1e9)).Sub(a.acked))
			}
		}
		if len(all) != len(ans) {
			status++
			t.Errorf("question %s has a status message left beside its answer", a.msg.TS)
		}
	}
	lost := 0
	orphaned, explained := c.proxy.inKillWindow(c.kills)
	for _, p := range c.principals {
		st, err := c.vault.Status(context.Background(), p)
		if err != nil || st.Stale {
			lost++
			t.Logf("grant of %s: stale=%t err=%v", p, st.Stale, err)
		}
	}
	// Sentry's refresh tokens work once: a replica killed after Sentry
	// rotated a grant's refresh token and before it stored the new pair
	// loses that grant (docs/operations.md, Failure modes). Only losses
	// that no such kill explains are failures.
	if lost > explained {
		t.Errorf("%d grants lost, but only %d refreshes were answered by Sentry while their replica was being killed", lost, explained)
	}
	items, _ := c.store.ListInbox(context.Background(), "", time.Now(), 0)
	attempts := map[int]int{}
	failedItems := 0
	for _, it := range items {
		attempts[it.Attempts]++
		if it.State == store.InboxFailed {
			failedItems++
		}
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Round(10 * time.Millisecond)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chaos run: 2 replicas of lookout serve on PostgreSQL, %d SIGKILLs in %s of load\n", len(c.kills), loadTime.Round(time.Second))
	fmt.Fprintf(&b, "  Slack questions:   %d asked, %d answered exactly once, %d twice or more, %d unanswered\n", len(c.asked), once, twice, none)
	fmt.Fprintf(&b, "                     %d with the right answer, %d with a reconnect note, %d with an error text, %d status messages left\n", once-wrong-reconnect, reconnect, wrong, status)
	fmt.Fprintf(&b, "  event deliveries:  %d sent, %d not acknowledged (redelivered), %d deliberate duplicates\n", c.deliv.Load(), c.failed.Load(), c.dupes.Load())
	fmt.Fprintf(&b, "  answer latency:    p50 %s, p90 %s, p99 %s, max %s (from acknowledgement)\n", pct(0.5), pct(0.9), pct(0.99), pct(1))
	fmt.Fprintf(&b, "  inbox items:       %d, attempts per item %v, %d failed\n", len(items), attempts, failedItems)
	fmt.Fprintf(&b, "  MCP tool calls:    %d succeeded, %d failed after 3 tries\n", c.toolOK.Load(), c.toolFailed.Load())
	c.toolErrors.Range(func(k, v any) bool {
		fmt.Fprintf(&b, "                     %d× retried after: %s\n", v.(*atomic.Int64).Load(), k)
		return true
	})
	fmt.Fprintf(&b, "  grants:            %d, %d lost (stale); %d refreshes reached Sentry: %d answered after their replica had died, %d within a second of a kill\n",
		len(c.principals), lost, c.sentry.TokenCalls()["refresh_token"], orphaned, explained)
	t.Log("\n" + b.String())
	fmt.Fprint(os.Stderr, b.String())
}

// balancer is the load balancer in front of the replicas: round robin,
// and a request a replica could not take (it is dead) goes to the other,
// as a load balancer's health checks would arrange.
type balancer struct {
	client *http.Client

	mu       sync.Mutex
	backends []string
	next     atomic.Uint64
}

func (lb *balancer) add(backend string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.backends = append(lb.backends, backend)
}

func (lb *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	lb.mu.Lock()
	backends := slices.Clone(lb.backends)
	lb.mu.Unlock()
	first := int(lb.next.Add(1))
	var lastErr error
	for i := range backends {
		be := backends[(first+i)%len(backends)]
		req, err := http.NewRequestWithContext(r.Context(), r.Method, be+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		req.Host = r.Host
		resp, err := lb.client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, fmt.Sprintf("no replica answered: %v", lastErr), http.StatusBadGateway)
}

// sentryProxy forwards the replicas' requests to the fake Sentry and notes
// when Sentry answered each refresh, and which answers found their replica
// gone: the window in which a SIGKILL loses a grant.
type sentryProxy struct {
	client *http.Client

	mu       sync.Mutex
	answered []time.Time // successful refreshes, when Sentry answered
	orphaned int         // successful refreshes whose replica had gone
}

func (p *sentryProxy) to(target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		refresh := strings.HasPrefix(r.URL.Path, "/oauth/token") && bytes.Contains(body, []byte("grant_type=refresh_token"))
		ctx := r.Context()
		if refresh {
			// Sentry finishes a refresh it started, whoever still waits.
			ctx = context.WithoutCancel(ctx)
		}
		req, err := http.NewRequestWithContext(ctx, r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := p.client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if refresh && resp.StatusCode == http.StatusOK {
			p.mu.Lock()
			p.answered = append(p.answered, time.Now())
			if r.Context().Err() != nil {
				p.orphaned++
			}
			p.mu.Unlock()
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(data)
	})
}

// inKillWindow counts the refreshes whose answer died with its replica
// (orphaned: answered after the replica had gone) and those whose answer
// may have (n: orphaned, or answered within a second before a kill, when
// the replica may not have stored the pair yet).
func (p *sentryProxy) inKillWindow(kills []time.Time) (orphaned, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	orphaned, n = p.orphaned, p.orphaned
	for _, at := range p.answered {
		for _, k := range kills {
			if d := k.Sub(at); d >= 0 && d <= time.Second {
				n++
				break
			}
		}
	}
	return orphaned, n
}
