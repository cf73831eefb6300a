// Package slack is lookout's Slack bot: people mention it in a channel or
// write to it directly, and it answers in the thread with the asking
// user's own Sentry access.
//
// Events arrive over the Events API (POST /api/webhooks/slack, signed with
// the app's signing secret) or Socket Mode (SLACK_APP_TOKEN), both through
// one path: an event that is a question is recorded in the store's inbox
// BEFORE it is acknowledged (a database error means no acknowledgement, and
// Slack delivers it again), keyed by the Slack message, so a redelivery or
// a second event about the same message finds the first. Workers on any
// replica claim inbox items with a short lease that they extend while they
// work; an item whose worker died is claimed again within seconds. A
// question's answer is saved in the item before it is posted, every message
// the bot posts carries the item's id in Slack message metadata, and the
// item is marked answered only after Slack accepted the post: whoever takes
// an item over looks in the thread first and never answers twice. Posts are
// retried with backoff, honouring Slack's Retry-After. When the local queue
// is full, the question is still recorded and the user is told it is
// queued. docs/architecture.md (Identity, grants and turns: "Slack inbox")
// has the state machine; the kinds of inbox item are in inbox.go.
//
// A question is one agent turn for the principal slack:{team}:{user}. When
// the turn needs Sentry consent (no grant, a stale grant, a missing scope)
// the bot parks the turn in the store first, then sends that user alone a
// connect link (ephemeral in a channel, a direct message otherwise; never
// a link in a shared thread) and tells the thread it is waiting. The link
// and everything after it belong to the authorization server
// (internal/authserver): its pages, Sentry's consent bound to the browser
// that confirmed, the grant stored in the vault under the link's
// principal. The bot is its Connector: it names the user on the page, says
// which scopes to ask for, and hears OnConnected, which marks the
// principal's parked turns ready. The resumer turns ready parked questions
// into inbox items, which are answered like any other, after a check that
// the user has not asked something newer in that thread.
//
// Beyond questions, the same inbox carries what makes the bot feel native
// in Slack (interactive.go lists the kinds): issue cards with per-user
// buttons (cards.go, actions.go), each click acting as the person who
// clicks; the Home tab (home.go); the /sentry slash command, answered
// privately (slash.go); previews of Sentry links with the poster's access
// (unfurl.go); and Slack's assistant threads (assistant.go). Every Block
// Kit payload is checked against Slack's limits before it goes out
// (package blockkit).
//
// Nothing here sees a Sentry token or renders a page.
package slack

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// WebhookPath receives the Events API (the app's Request URL).
const WebhookPath = "/api/webhooks/slack"

// InteractivePath receives interactivity payloads (buttons, menus: the
// app's Interactivity Request URL) and CommandsPath slash commands; both
// are signed like events, and either path takes either kind.
const (
	InteractivePath = "/api/webhooks/slack/interactive"
	CommandsPath    = "/api/webhooks/slack/commands"
)

// Lifetimes.
const (
	// ParkTTL: a question waiting for consent is answered if the user
	// connects within an hour.
	ParkTTL = time.Hour
	// inboxTTL: how long an inbox item is kept, answered or not: Slack
	// retries within minutes, and an item not answered in a day (the bot
	// gives up long before) is no longer worth answering.
	inboxTTL = 24 * time.Hour
	// threadTTL: how long the bot keeps answering replies in a thread it
	// took part in.
	threadTTL = 7 * 24 * time.Hour
)

// maxBodyBytes bounds an Events API request body (Slack's are a few KB).
const maxBodyBytes = 1 << 20

// BaseScopes are the Sentry scopes the bot asks for (read only).
var BaseScopes = []string{"event:read", "org:read", "project:read", "team:read"}

// PrincipalPrefix starts every Slack principal.
const PrincipalPrefix = "slack:"

// Principal is the principal of Slack user user of workspace team: the team
// is part of the key so two workspaces never share a grant.
func Principal(team, user string) string { return PrincipalPrefix + team + ":" + user }

// Agent answers turns; *agent.Agent is one.
type Agent interface {
	Run(ctx context.Context, t agent.Turn) (agent.Reply, error)
}

// Config configures a Bot. Zero tuning fields take the defaults below.
type Config struct {
	// BotToken (SLACK_BOT_TOKEN, xoxb-...) authenticates every Web API call.
	BotToken string
	// SigningSecret (SLACK_SIGNING_SECRET) verifies Events API requests;
	// without it POST /api/webhooks/slack answers 404.
	SigningSecret string
	// AppToken (SLACK_APP_TOKEN, xapp-...) turns on Socket Mode.
	AppToken string
	// APIURL is the Web API base (SLACK_API_URL), ending with "/";
	// default https://slack.com/api/.
	APIURL string

	Store store.Store
	Vault *vault.Vault
	Agent Agent
	// Links makes connect links: the authorization server, which must
	// have the Bot added as the Connector of PrincipalPrefix.
	Links Linker

	// HTTPClient calls the Slack Web API (default: 15 s timeout).
	HTTPClient *http.Client
	// Logger gets operational lines; the bot never logs a token or what a
	// user wrote.
	Logger *slog.Logger
	Now    func() time.Time
	// Observer, when set, hears what happens to inbox items (internal/metrics).
	Observer Observer

	// Threads is LOOKOUT_SLACK_THREADS: which unmentioned replies in a
	// channel thread the bot answers (config.SlackThreadsMention, Asker or
	// All; "" is Asker).
	Threads string

	// SentryURL is the Sentry base URL (SENTRY_URL): cards link to it, and
	// only its links are unfurled (default https://sentry.io).
	SentryURL string
	// Triage is LOOKOUT_SLACK_PERMISSIONS with triage: issue cards offer
	// Resolve, Archive and Assign to me, which run with the clicking
	// user's own grant (and ask them to consent to event:write). Without
	// it cards only look.
	Triage bool
	// SentryTimeout bounds the Sentry calls of one card, action or unfurl
	// (default 30s).
	SentryTimeout time.Duration
	// UnfurlCacheTTL is how long a link's preview is kept for the user who
	// posted it (default 5m): one user pasting one link again and again
	// costs Sentry one lookup. Previews are never shared between users.
	UnfurlCacheTTL time.Duration

	Workers   int // inbox workers (default 4)
	QueueSize int // recorded items waiting for a local worker (default 256); beyond it, the user is told "queued"
	// Lease is an inbox item's claim: extended every Lease/3 while a worker
	// works on it, so a worker that died loses it within Lease (default 15s).
	Lease time.Duration
	// PollInterval is how often idle workers look for items they did not
	// receive themselves: recorded by another replica, queued while all
	// were busy, released for a retry, or left by a dead worker (default 1s).
	PollInterval time.Duration
	// StatusAfter: a turn still running after it gets a short "Looking at
	// Sentry…" message in its thread, which the answer replaces (default 5s).
	StatusAfter time.Duration
	// MaxAttempts: an item claimed this many times without an answer is
	// given up, and its user told so (default 8).
	MaxAttempts int
	// RetryBase is the first wait before retrying a failed Slack call or
	// inbox item; it doubles each time, up to RetryMax (defaults 1s, 5m).
	RetryBase time.Duration
	RetryMax  time.Duration
	// StaleNoticeDelay: when a Slack user's grant dies, the private notice
	// waits this long, so that a question that hit the dead grant (and got
	// its own reconnect link) is not followed by a second link (default 30s).
	StaleNoticeDelay time.Duration

	ResumeInterval  time.Duration // how often the resumer looks for questions to resume (default 5s)
	ResumeLease     time.Duration // a parked question's claim while it is handed to the inbox (default 30s)
	ShutdownTimeout time.Duration // how long Run waits for in-flight turns (default 2m)
}

// Defaults of Config.
const (
	DefaultWorkers          = 4
	DefaultQueueSize        = 256
	DefaultLease            = 15 * time.Second
	DefaultPollInterval     = time.Second
	DefaultStatusAfter      = 5 * time.Second
	DefaultMaxAttempts      = 8
	DefaultRetryBase        = time.Second
	DefaultRetryMax         = 5 * time.Minute
	DefaultStaleNoticeDelay = 30 * time.Second
	DefaultResumeInterval   = 5 * time.Second
	DefaultResumeLease      = 30 * time.Second
	DefaultShutdownTimeout  = 2 * time.Minute
	DefaultSentryTimeout    = 30 * time.Second
	DefaultUnfurlCacheTTL   = 5 * time.Minute
	// resumeBatch bounds the parked questions handed to the inbox per round.
	resumeBatch = 16
	// busyNotes bounds the "your question is queued" messages being sent at
	// once: past it, a question still waits its turn, just without the note.
	busyNotes = 8
)

// Bot is the Slack bot. Register its handler, add it to the authorization
// server as the Connector of PrincipalPrefix, and Run it.
type Bot struct {
	cfg   Config
	api   *slackapi.Client
	log   *slog.Logger
	owner string // claim owner id of this process

	handlers map[string]handler   // by inbox item kind
	queue    chan string          // ids recorded here, for a local worker to claim
	claimed  chan store.InboxItem // items the poller claimed for idle workers
	idle     atomic.Int64         // workers waiting for work
	busy     atomic.Int64         // items being worked on
	poll     chan struct{}        // wakes the poller
	wake     chan struct{}        // wakes the resumer
	running  atomic.Bool

	// bg runs the busy notes; bgCtx is nil unless Run runs.
	bgMu      sync.Mutex
	bgCtx     context.Context
	bg        sync.WaitGroup
	busySlots chan struct{}

	idMu sync.Mutex
	id   *identity

	// unfurled keeps link previews briefly, per user who posted the link.
	unfurled *unfurlCache
}

// identity is who the bot is in Slack (auth.test).
type identity struct {
	UserID string
	BotID  string
	TeamID string
}

// New checks cfg and returns a Bot. It makes no network call.
func New(cfg Config) (*Bot, error) {
	var problems []string
	if cfg.BotToken == "" {
		problems = append(problems, "SLACK_BOT_TOKEN is not set")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		problems = append(problems, "neither SLACK_SIGNING_SECRET (Events API) nor SLACK_APP_TOKEN (Socket Mode) is set")
	}
	switch {
	case cfg.Store == nil:
		problems = append(problems, "no store")
	case cfg.Vault == nil:
		problems = append(problems, "no vault")
	case cfg.Agent == nil:
		problems = append(problems, "no agent")
	case cfg.Links == nil:
		problems = append(problems, "no Links (pass the authorization server)")
	}
	switch cfg.Threads {
	case "":
		cfg.Threads = config.DefaultSlackThreads
	case config.SlackThreadsMention, config.SlackThreadsAsker, config.SlackThreadsAll:
	default:
		problems = append(problems, "Threads must be mention, asker or all, got "+cfg.Threads)
	}
	if len(problems) > 0 {
		return nil, errors.New("slack: " + strings.Join(problems, "; "))
	}
	if cfg.APIURL == "" {
		cfg.APIURL = slackapi.APIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.StatusAfter <= 0 {
		cfg.StatusAfter = DefaultStatusAfter
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.StaleNoticeDelay <= 0 {
		cfg.StaleNoticeDelay = DefaultStaleNoticeDelay
	}
	if cfg.ResumeInterval <= 0 {
		cfg.ResumeInterval = DefaultResumeInterval
	}
	if cfg.ResumeLease <= 0 {
		cfg.ResumeLease = DefaultResumeLease
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.SentryURL == "" {
		cfg.SentryURL = config.DefaultSentryURL
	}
	if cfg.SentryTimeout <= 0 {
		cfg.SentryTimeout = DefaultSentryTimeout
	}
	if cfg.UnfurlCacheTTL <= 0 {
		cfg.UnfurlCacheTTL = DefaultUnfurlCacheTTL
	}
	opts := []slackapi.Option{
		slackapi.OptionAPIURL(cfg.APIURL),
		slackapi.OptionHTTPClient(cfg.HTTPClient),
		// No retries inside the client: the bot retries itself (call.go),
		// honouring Retry-After while it keeps its inbox lease, and looks
		// for a post that may have gone through before posting again.
		slackapi.OptionLog(slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)),
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	b := &Bot{
		cfg:       cfg,
		api:       slackapi.New(cfg.BotToken, opts...),
		log:       cfg.Logger,
		owner:     "slack-" + rand.Text(),
		queue:     make(chan string, cfg.QueueSize),
		claimed:   make(chan store.InboxItem, cfg.Workers),
		poll:      make(chan struct{}, 1),
		wake:      make(chan struct{}, 1),
		busySlots: make(chan struct{}, busyNotes),
		unfurled:  newUnfurlCache(unfurlCacheSize),
	}
	b.handlers = b.kinds()
	return b, nil
}

// Register mounts the Events API (POST /api/webhooks/slack) and the
// interactivity and slash command endpoints.
func (b *Bot) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+WebhookPath, b.handleEvents)
	mux.HandleFunc("POST "+InteractivePath, b.handleInteractive)
	mux.HandleFunc("POST "+CommandsPath, b.handleInteractive)
}

// Run runs the inbox workers and poller, the parked-question resumer and,
// with an app token, Socket Mode, until ctx ends. Then it stops taking
// work and finishes the items in flight (for up to ShutdownTimeout, after
// which their contexts are cancelled and they are handed back to the inbox
// for another replica, or the next start, to finish). Items recorded but
// not started stay in the inbox; nothing is lost by stopping.
func (b *Bot) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("slack: Run called twice")
	}
	// Items run on their own context: ending ctx stops new work, not the
	// answers being written.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	b.bgMu.Lock()
	b.bgCtx = work
	b.bgMu.Unlock()

	b.identity(ctx) // learn the bot's user id early; retried lazily on failure
	var wg sync.WaitGroup
	for range b.cfg.Workers {
		wg.Go(func() { b.worker(ctx, work) })
	}
	wg.Go(func() { b.pollLoop(ctx) })
	wg.Go(func() { b.resumeLoop(ctx) })
	if b.cfg.AppToken != "" {
		wg.Go(func() { b.runSocketMode(ctx) })
	}
	b.log.Info("slack: bot running", "workers", b.cfg.Workers, "socket_mode", b.cfg.AppToken != "",
		"events_api", b.cfg.SigningSecret != "", "threads", b.cfg.Threads, "triage", b.cfg.Triage)

	<-ctx.Done()
	b.bgMu.Lock()
	b.bgCtx = nil // no new busy notes
	b.bgMu.Unlock()
	done := make(chan struct{})
	go func() { wg.Wait(); b.bg.Wait(); close(done) }()
	t := time.NewTimer(b.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		b.log.Warn("slack: turns still running at shutdown timeout; handing them back to the inbox", "timeout", b.cfg.ShutdownTimeout)
		cancelWork()
		<-done
	}
	b.releaseClaimed()
	b.log.Info("slack: bot stopped")
	return nil
}

// identity returns the bot's Slack identity, asking auth.test the first
// time (and again after a failure). nil when Slack cannot say.
func (b *Bot) identity(ctx context.Context) *identity {
	b.idMu.Lock()
	defer b.idMu.Unlock()
	if b.id != nil {
		return b.id
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := b.api.AuthTestContext(ctx)
	if err != nil {
		b.log.Error("slack: auth.test failed; check SLACK_BOT_TOKEN", "err", err)
		return nil
	}
	b.id = &identity{UserID: resp.UserID, BotID: resp.BotID, TeamID: resp.TeamID}
	b.log.Info("slack: connected to Slack", "team", resp.TeamID, "bot_user", resp.UserID)
	return b.id
}

// botUserID is the bot's user id, "" when unknown.
func (b *Bot) botUserID(ctx context.Context) string {
	if id := b.identity(ctx); id != nil {
		return id.UserID
	}
	return ""
}

// knownBotUserID is the bot's user id if auth.test has answered, without
// asking: the Events API handler must answer Slack within 3 seconds.
func (b *Bot) knownBotUserID() string {
	b.idMu.Lock()
	defer b.idMu.Unlock()
	if b.id != nil {
		return b.id.UserID
	}
	return ""
}

func (b *Bot) now() time.Time { return b.cfg.Now() }

// nudge wakes the resumer.
func (b *Bot) nudge() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// pollNow wakes the poller.
func (b *Bot) pollNow() {
	select {
	case b.poll <- struct{}{}:
	default:
	}
}
