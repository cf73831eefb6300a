package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/lookout-hq/lookout/internal/store"
)

// job is one event_callback body waiting for a worker.
type job struct {
	raw      []byte
	source   string // "events_api" or "socket_mode"
	retry    string // Slack's retry number, "" for a first delivery
	received time.Time
}

// handleEvents is POST /api/webhooks/slack. It verifies the signature,
// answers url_verification, and queues event callbacks without waiting
// for them: Slack wants an answer within 3 seconds and retries otherwise.
func (b *Bot) handleEvents(w http.ResponseWriter, r *http.Request) {
	if b.cfg.SigningSecret == "" {
		http.Error(w, "the Slack Events API is not enabled on this lookout (no SLACK_SIGNING_SECRET)", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return
	}
	if err := b.verify(r.Header, body); err != nil {
		reason := "bad signature"
		switch {
		case errors.Is(err, slackapi.ErrExpiredTimestamp):
			reason = "stale timestamp"
		case errors.Is(err, slackapi.ErrMissingHeaders):
			reason = "missing signature headers"
		}
		b.log.Warn("slack: refused an Events API request", "reason", reason, "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature ("+reason+")", http.StatusUnauthorized)
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "body is not JSON", http.StatusBadRequest)
		return
	}
	switch outer.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": outer.Challenge})
		return
	case slackevents.CallbackEvent:
		b.accept(body, "events_api", r.Header.Get("X-Slack-Retry-Num"))
	case slackevents.AppRateLimited:
		b.log.Warn("slack: Slack is rate limiting the app's events")
	default:
		b.log.Debug("slack: ignoring an Events API request", "type", outer.Type)
	}
	w.WriteHeader(http.StatusOK)
}

// verify checks Slack's v0 signature (HMAC-SHA256 compared in constant
// time) and refuses timestamps more than five minutes away from now.
func (b *Bot) verify(h http.Header, body []byte) error {
	sv, err := slackapi.NewSecretsVerifier(h, b.cfg.SigningSecret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// accept queues an event callback for the workers without blocking: a
// full queue drops the event (it is acknowledged anyway, or Slack would
// retry into the same full queue) and says so in the log.
func (b *Bot) accept(raw []byte, source, retry string) {
	select {
	case b.queue <- job{raw: raw, source: source, retry: retry, received: time.Now()}:
	default:
		b.log.Error("slack: event queue full; dropped an event (add workers or look for slow turns)",
			"source", source, "queue_size", cap(b.queue))
	}
}

// worker processes queued events until ctx ends, then drains what is
// queued. Turns run on work, which outlives ctx.
func (b *Bot) worker(ctx, work context.Context) {
	for {
		select {
		case j := <-b.queue:
			b.process(work, j)
		case <-ctx.Done():
			for {
				select {
				case j := <-b.queue:
					b.process(work, j)
				default:
					return
				}
			}
		}
	}
}

// process handles one event callback: once per event id, then once per
// Slack message, whichever event (app_mention, message) brought it.
func (b *Bot) process(ctx context.Context, j job) {
	ev, err := slackevents.ParseEvent(j.raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		b.log.Debug("slack: ignoring an event lookout does not handle", "err", err)
		return
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return
	}
	if cb.EventID != "" {
		now := b.now()
		err := b.cfg.Store.RecordEvent(ctx, "slack-event:"+cb.EventID, now, now.Add(eventTTL))
		if errors.Is(err, store.ErrAlreadyUsed) {
			b.log.Info("slack: dropped a repeated delivery", "event_id", cb.EventID, "retry", j.retry, "source", j.source)
			return
		}
		if err != nil { // better to risk a duplicate answer than to lose the question
			b.log.Warn("slack: could not record the event id", "event_id", cb.EventID, "err", err)
		}
	}
	m, ok := b.messageOf(ctx, ev)
	if !ok {
		return
	}
	b.log.Info("slack: question", "event_id", cb.EventID, "source", j.source, "principal", m.principal(),
		"channel", m.Channel, "ts", m.TS, "dm", m.DM, "queued_ms", time.Since(j.received).Milliseconds())
	b.handle(ctx, m)
}
