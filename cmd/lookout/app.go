//go:build !stdio

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/authserver"
	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/mcpserver"
	"github.com/lookout-hq/lookout/internal/metrics"
	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/slack"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
	"github.com/lookout-hq/lookout/internal/version"
)

// app is lookout's HTTP service assembled from a Config: what `serve` and
// `demo` both run.
type app struct {
	handler http.Handler
	store   store.Store
	vault   *vault.Vault
	renewer *vault.Renewer // the background refresher
	bot     *slack.Bot     // nil without SLACK_BOT_TOKEN
	logger  *slog.Logger
	metrics *metrics.Metrics
	// metricsLn, when set (LOOKOUT_METRICS_ADDR), serves /metrics on its
	// own; otherwise the main listener does.
	metricsLn net.Listener
	// auditRetention is LOOKOUT_AUDIT_RETENTION; sweep enforces it.
	auditRetention time.Duration
}

// appOptions are what differ between serve and demo.
type appOptions struct {
	// DevMode: loopback base URL, cookies without Secure, client metadata
	// documents may be fetched from loopback hosts.
	DevMode bool
	// SentryHTTPClient talks to Sentry (nil: the default).
	SentryHTTPClient *http.Client
	// Tracer, when set, traces tool calls and Sentry requests
	// (internal/telemetry; nil when OTEL_EXPORTER_OTLP_ENDPOINT is unset).
	Tracer trace.TracerProvider
	// MetricsOwnListener: /metrics is served on its own listener
	// (LOOKOUT_METRICS_ADDR), not on the main one.
	MetricsOwnListener bool
}

// buildApp opens and migrates the store and wires every component.
func buildApp(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts appOptions) (*app, error) {
	st, err := openStore(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return nil, err
	}
	m := metrics.New(metrics.Options{Version: version.String(), Tracer: opts.Tracer})
	if o, ok := st.(interface{ SetObserver(sqlstore.Observer) }); ok {
		o.SetObserver(m.Statement)
	}
	if c, ok := st.(interface{ SetTokenCacheTTL(time.Duration) }); ok {
		c.SetTokenCacheTTL(cfg.TokenCacheTTL)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate %s: %w", describeDSN(cfg.DatabaseURL.Reveal()), err)
	}
	keys := make([]vault.Key, len(cfg.EncryptionKeys))
	for i, k := range cfg.EncryptionKeys {
		keys[i] = vault.Key(k)
	}
	keyring, err := vault.NewKeyring(keys...)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Every request to Sentry, API or token endpoint, is counted (and
	// traced) by the transport of these two clients.
	apiClient, tokenClient := opts.SentryHTTPClient, opts.SentryHTTPClient
	if apiClient == nil {
		apiClient, tokenClient = sentry.DefaultHTTPClient(), &http.Client{Timeout: oauth.DefaultTimeout}
	}
	upstream := oauth.NewSentry(oauth.SentryConfig{
		URL: cfg.SentryURL, ClientID: cfg.SentryClientID, ClientSecret: cfg.SentryClientSecret,
		RedirectURL: cfg.SentryRedirectURL(), HTTPClient: counted(tokenClient, m),
	})
	sentryOpts := sentry.Options{
		BaseURL: cfg.SentryURL, AllowedRegionDomains: cfg.SentryAllowedRegionDomains,
		InsecureHTTP: cfg.SentryInsecureHTTP, HTTPClient: counted(apiClient, m),
	}
	// The refresher is bound into the vault once: nothing else can spend a
	// refresh token or read one. When a grant dies, the vault tells the
	// Slack bot (built below), which tells a Slack owner privately.
	var stale staleHook
	v := vault.New(st, keyring, vault.Options{Refresher: upstream.Refresh, Sentry: sentryOpts, Logger: logger,
		OnStale: func(ctx context.Context, principal string) {
			m.StaleNotice(ctx, principal)
			stale.notify(ctx, principal)
		},
		OnRefresh: m.Refreshed})
	warnUnknownKeys(ctx, v, logger)
	as, err := authserver.New(authserver.Config{
		BaseURL: cfg.BaseURL, Store: st, Vault: v, Sentry: upstream, SentryURL: cfg.SentryURL,
		CookieSecret:   []byte(cfg.CookieSecret.Reveal()),
		AccessTokenTTL: cfg.AccessTokenTTL, RefreshTokenTTL: cfg.RefreshTokenTTL,
		TrustedProxies: cfg.TrustedProxies,
		DevMode:        opts.DevMode, Logger: logger,
	})
	if err != nil {
		v.Close(ctx)
		st.Close()
		return nil, err
	}
	// The bot asks the authorization server for connect links; the server
	// asks the bot, its connector for Slack principals, whom a link is for
	// and tells it when a user has connected.
	slackMetrics := m.Slack()
	bot, err := newSlackBot(cfg, st, v, logger, as, m.Calls(metrics.ViaSlack), slackMetrics)
	if err == nil && bot != nil {
		err = as.AddConnector(slack.PrincipalPrefix, bot)
		stale.set(bot.NotifyStale)
		slackMetrics.SetQueue(bot.Queue)
	}
	if err != nil {
		v.Close(ctx)
		st.Close()
		return nil, err
	}
	remote, err := mcpserver.NewHTTP(mcpserver.HTTPOptions{
		BaseURL: cfg.BaseURL, Verify: as.VerifyAccessToken, MetadataURL: as.ResourceMetadataURL,
		Vault: v, Sentry: sentryOpts, ToolTimeout: cfg.ToolTimeout,
		AllowSentryTokens: cfg.AllowSentryTokens, AllowedOrigins: cfg.AllowedOrigins, Logger: logger,
		Calls: m.Calls(metrics.ViaMCP),
	})
	if err != nil {
		v.Close(ctx)
		st.Close()
		return nil, err
	}

	mux := http.NewServeMux()
	as.Register(mux)
	remote.Register(mux)
	if bot != nil {
		bot.Register(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		// Reachable is not enough: a full disk or a read-only file still
		// answers reads. Ready means a write went through.
		if err := st.PingWrite(ctx); err != nil {
			logger.ErrorContext(ctx, "readiness: the database cannot be written", "err", err)
			http.Error(w, "not ready: lookout's database cannot be written"+requestid.Suffix(ctx), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	m.Grants(st, metrics.GrantsOptions{KnownKey: keyring.Has, Logger: logger})
	if !opts.MetricsOwnListener {
		mux.Handle("GET /metrics", m.Handler())
	}
	return &app{
		// The metrics middleware sits right on the mux: its route label is
		// the pattern the mux matched, which the mux records on the request.
		handler: requestid.Middleware(m.Middleware(mux)), store: st, vault: v, bot: bot, logger: logger, auditRetention: cfg.AuditRetention,
		renewer: v.NewRenewer(st, vault.RenewerOptions{Ahead: cfg.RefreshAhead, OnRenew: m.Renewed, OnPass: m.RenewPass}),
		metrics: m,
	}, nil
}

// counted returns a copy of c whose requests are counted and traced.
func counted(c *http.Client, m *metrics.Metrics) *http.Client {
	cp := *c
	cp.Transport = m.Transport(c.Transport)
	return &cp
}

// newSlackBot builds the Slack bot when SLACK_BOT_TOKEN is set (nil
// otherwise): command mode, or model mode with LOOKOUT_MODEL. The agent
// stays read-only whatever LOOKOUT_SLACK_PERMISSIONS says: issues change
// only when a person clicks a card's button, as that person.
func newSlackBot(cfg *config.Config, st store.Store, v *vault.Vault, logger *slog.Logger, links slack.Linker,
	calls agent.CallObserver, observer slack.Observer) (*slack.Bot, error) {
	if cfg.SlackBotToken.IsZero() {
		return nil, nil
	}
	var model agent.Model // nil: command mode
	switch {
	case cfg.Model != "" && !cfg.AnthropicAPIKey.IsZero():
		model = agent.NewAnthropic(agent.AnthropicConfig{APIKey: cfg.AnthropicAPIKey.Reveal(), Model: cfg.Model})
	case cfg.Model != "" && !cfg.OpenAIAPIKey.IsZero():
		model = agent.NewOpenAI(agent.OpenAIConfig{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey.Reveal(), Model: cfg.Model})
	}
	return slack.New(slack.Config{
		BotToken: cfg.SlackBotToken.Reveal(), SigningSecret: cfg.SlackSigningSecret.Reveal(),
		AppToken: cfg.SlackAppToken.Reveal(), APIURL: cfg.SlackAPIURL, Threads: cfg.SlackThreads,
		SentryURL: cfg.SentryURL, Triage: cfg.SlackTriageEnabled(), SentryTimeout: cfg.ToolTimeout,
		Store: st, Vault: v, Links: links,
		Agent: agent.New(agent.Options{Vault: v, SentryURL: cfg.SentryURL, ToolTimeout: cfg.ToolTimeout,
			Permissions: []tools.Permission{tools.Read}, Model: model, Logger: logger, Calls: calls}),
		Logger: logger, Observer: observer,
	})
}

// staleHook is the vault's OnStale, which needs the bot the vault is
// built before. Without a bot it does nothing: an MCP principal learns of
// a dead grant on its next call, which asks it to sign in again.
type staleHook struct {
	fn atomic.Pointer[func(context.Context, string)]
}

func (h *staleHook) set(fn func(context.Context, string)) { h.fn.Store(&fn) }

func (h *staleHook) notify(ctx context.Context, principal string) {
	if fn := h.fn.Load(); fn != nil {
		(*fn)(ctx, principal)
	}
}

// run serves the app on ln until ctx ends, then shuts down gracefully:
// in-flight requests get up to 30 seconds to finish.
func (a *app) run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go a.sweep(ctx)
	// One replica at a time refreshes grants before they expire.
	renewDone := make(chan error, 1)
	go func() { renewDone <- a.renewer.Run(ctx) }()
	botDone := make(chan error, 1)
	if a.bot != nil {
		go func() { botDone <- a.bot.Run(ctx) }()
	} else {
		botDone <- nil
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopMetrics := a.serveMetrics()
	var err error
	select {
	case err = <-errc:
		stop()
	case <-ctx.Done():
		a.logger.Info("shutting down: finishing in-flight requests and turns")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdownCtx)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
	}
	// Scrapes go on until the end: the last ones see the shutdown.
	defer stopMetrics()
	// The bot's in-flight turns still need the store, and the vault may
	// hold a refreshed grant it could not store yet: one last try.
	botErr := <-botDone
	stop()
	renewErr := <-renewDone // it uses the vault: stopped before the vault closes
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(err, botErr, renewErr, a.vault.Close(closeCtx), a.store.Close())
}

// warnUnknownKeys says, at start-up, which key ids grants are sealed under
// that LOOKOUT_ENCRYPTION_KEYS lacks: those grants cannot be used (calls
// fail with "try again") until the key is added back.
func warnUnknownKeys(ctx context.Context, v *vault.Vault, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	unknown, err := v.UnknownKeys(ctx)
	if err != nil {
		logger.Warn("could not check which keys the stored grants need", "err", err)
		return
	}
	for id, n := range unknown {
		logger.Warn("grants are sealed under an encryption key lookout does not have; add it back to LOOKOUT_ENCRYPTION_KEYS (rotate before removing a key)",
			"key_id", id, "grants", n)
	}
}

// sweep deletes expired states, codes, tokens and the like, and audit
// events past the retention, at start and then every few minutes. Several
// replicas sweeping the same database is harmless.
func (a *app) sweep(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		a.sweepOnce(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepOnce is one sweep at now.
func (a *app) sweepOnce(ctx context.Context, now time.Time) {
	n, err := a.store.DeleteExpired(ctx, now)
	if err != nil {
		a.logger.Warn("sweeping expired records", "err", err)
	} else if n > 0 {
		a.logger.Debug("swept expired records", "count", n)
	}
	if a.auditRetention <= 0 {
		return
	}
	n, err = a.store.DeleteAuditBefore(ctx, now.Add(-a.auditRetention))
	if err != nil {
		a.logger.Warn("deleting audit events past the retention", "err", err)
	} else if n > 0 {
		a.logger.Info("deleted audit events past the retention", "count", n, "retention", a.auditRetention.String())
	}
}

// serveMetrics serves /metrics on metricsLn, when set, until the returned
// stop is called.
func (a *app) serveMetrics() (stop func()) {
	if a.metricsLn == nil {
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      time.Minute,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(a.metricsLn); !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("metrics listener stopped; /metrics is no longer served", "addr", a.metricsLn.Addr().String(), "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
}
