package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/store"
)

// handleEvents is POST /api/webhooks/slack. It verifies the signature,
// answers url_verification, and records event callbacks in the inbox
// without waiting for their answers: Slack wants an answer within 3
// seconds and retries otherwise. An event that could not be recorded is
// not acknowledged (500): Slack delivers it again, and nothing was sent to
// the user that a redelivery could repeat.
func (b *Bot) handleEvents(w http.ResponseWriter, r *http.Request) {
	if b.cfg.SigningSecret == "" {
		http.Error(w, "the Slack Events API is not enabled on this lookout (no SLACK_SIGNING_SECRET)", http.StatusNotFound)
		return
	}
	body, ok := b.signedBody(w, r, "an Events API request")
	if !ok {
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
		ctx, _ := requestid.Ensure(r.Context())
		if err := b.receive(ctx, body, "events_api", r.Header.Get("X-Slack-Retry-Num")); err != nil {
			b.log.ErrorContext(ctx, "slack: could not record an event; Slack will deliver it again", "err", err)
			http.Error(w, "lookout could not record the event; deliver it again"+requestid.Suffix(ctx), http.StatusInternalServerError)
			return
		}
	case slackevents.AppRateLimited:
		b.log.WarnContext(r.Context(), "slack: Slack is rate limiting the app's events")
	default:
		b.log.DebugContext(r.Context(), "slack: ignoring an Events API request", "type", outer.Type)
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

// receive turns an event callback into an inbox item, when it is
// something for the bot (a question, a Home tab opened, Sentry links
// shared, an assistant thread opened), and records it (see record). The error is the
// store's: the event must then not be acknowledged.
func (b *Bot) receive(ctx context.Context, raw []byte, source, retry string) error {
	var outer struct {
		TeamID  string          `json:"team_id"`
		EventID string          `json:"event_id"`
		Event   json.RawMessage `json:"event"`
	}
	var inner struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &outer) == nil && json.Unmarshal(outer.Event, &inner) == nil {
		switch inner.Type {
		case "app_home_opened":
			return b.receiveHome(ctx, outer.TeamID, outer.EventID, outer.Event, source)
		case "link_shared":
			return b.receiveUnfurl(ctx, outer.TeamID, outer.Event, source)
		case "assistant_thread_started":
			return b.receiveAssistant(ctx, outer.TeamID, outer.Event, source)
		}
	}
	ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		b.log.DebugContext(ctx, "slack: ignoring an event lookout does not handle", "err", err)
		return nil
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return nil
	}
	m, ok, err := b.messageOf(ctx, ev)
	if err != nil || !ok {
		return err
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	log := b.log.With("event_id", cb.EventID, "source", source, "retry", retry, "principal", m.principal(),
		"channel", m.Channel, "ts", m.TS, "dm", m.DM)
	log.InfoContext(ctx, "slack: question")
	return b.record(ctx, store.InboxItem{ID: m.inboxID(), Kind: kindMessage, Payload: payload}, log)
}

// signedBody reads a request Slack signed (Events API, interactivity,
// slash commands), bounded, and checks its signature. When it returns
// false it has answered the request (413, 400 or 401); what is the log
// line names.
func (b *Bot) signedBody(w http.ResponseWriter, r *http.Request, what string) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return nil, false
	}
	if err := b.verify(r.Header, body); err != nil {
		reason := "bad signature"
		switch {
		case errors.Is(err, slackapi.ErrExpiredTimestamp):
			reason = "stale timestamp"
		case errors.Is(err, slackapi.ErrMissingHeaders):
			reason = "missing signature headers"
		}
		b.log.WarnContext(r.Context(), "slack: refused "+what, "reason", reason, "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature ("+reason+")", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}
