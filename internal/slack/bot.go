// Package slack is lookout's Slack bot: people mention it in a channel or
// write to it directly, and it answers in the thread with the asking
// user's own Sentry access.
//
// Events arrive over the Events API (POST /api/webhooks/slack, signed with
// the app's signing secret) or Socket Mode (SLACK_APP_TOKEN), both through
// one dispatch path: acknowledged at once, deduplicated by event id in the
// store (Slack retries), and processed by a bounded worker pool.
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
// principal's parked turns ready. The resumer claims ready turns with a
// lease (so one replica runs each, also after a restart), checks that the
// user has not asked something newer in that thread, runs the turn again
// and answers where it was asked.
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
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// WebhookPath receives the Events API (the app's Request URL).
const WebhookPath = "/api/webhooks/slack"

// Lifetimes.
const (
	// ParkTTL: a question waiting for consent is answered if the user
	// connects within an hour.
	ParkTTL = time.Hour
	// eventTTL: how long event and message ids are remembered for dedupe
	// (Slack retries within minutes).
	eventTTL = time.Hour
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

	Workers         int           // event workers (default 4)
	QueueSize       int           // events waiting for a worker (default 256)
	ResumeInterval  time.Duration // how often the resumer looks (default 5s)
	ResumeLease     time.Duration // a claimed parked turn's lease (default 3m)
	ShutdownTimeout time.Duration // how long Run waits for in-flight turns (default 2m)
}

// Defaults of Config.
const (
	DefaultWorkers         = 4
	DefaultQueueSize       = 256
	DefaultResumeInterval  = 5 * time.Second
	DefaultResumeLease     = 3 * time.Minute
	DefaultShutdownTimeout = 2 * time.Minute
	// resumeConcurrency bounds parked turns run at once per process.
	resumeConcurrency = 4
)

// Bot is the Slack bot. Register its handler, add it to the authorization
// server as the Connector of PrincipalPrefix, and Run it.
type Bot struct {
	cfg   Config
	api   *slackapi.Client
	log   *slog.Logger
	owner string // claim owner id of this process

	queue   chan job
	wake    chan struct{}
	running atomic.Bool

	idMu sync.Mutex
	id   *identity
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
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
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
	opts := []slackapi.Option{
		slackapi.OptionAPIURL(cfg.APIURL),
		slackapi.OptionHTTPClient(cfg.HTTPClient),
		// Retry only 429s: Slack did not act on those, so a retry never
		// posts twice.
		slackapi.OptionRetry(2),
		slackapi.OptionLog(slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)),
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	b := &Bot{
		cfg:   cfg,
		api:   slackapi.New(cfg.BotToken, opts...),
		log:   cfg.Logger,
		owner: "slack-" + rand.Text(),
		queue: make(chan job, cfg.QueueSize),
		wake:  make(chan struct{}, 1),
	}
	return b, nil
}

// Register mounts POST /api/webhooks/slack.
func (b *Bot) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+WebhookPath, b.handleEvents)
}

// Run runs the event workers, the parked-turn resumer and, with an app
// token, Socket Mode, until ctx ends. Then it stops taking work, finishes
// the turns in flight and the events already queued (for up to
// ShutdownTimeout, after which their contexts are cancelled) and returns.
func (b *Bot) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("slack: Run called twice")
	}
	// Turns run on their own context: ending ctx stops new work, not the
	// answers being written.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	b.identity(ctx) // learn the bot's user id early; retried lazily on failure
	var wg sync.WaitGroup
	for range b.cfg.Workers {
		wg.Go(func() { b.worker(ctx, work) })
	}
	wg.Go(func() { b.resumeLoop(ctx, work) })
	if b.cfg.AppToken != "" {
		wg.Go(func() { b.runSocketMode(ctx) })
	}
	b.log.Info("slack: bot running", "workers", b.cfg.Workers, "socket_mode", b.cfg.AppToken != "",
		"events_api", b.cfg.SigningSecret != "")

	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(b.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		b.log.Warn("slack: turns still running at shutdown timeout; cancelling them", "timeout", b.cfg.ShutdownTimeout)
		cancelWork()
		<-done
	}
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

func (b *Bot) now() time.Time { return b.cfg.Now() }

// nudge wakes the resumer.
func (b *Bot) nudge() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
