package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/slack-go/slack/socketmode"
)

// Socket Mode reconnect backoff after the client gives up.
const (
	socketBackoffMin = time.Second
	socketBackoffMax = 2 * time.Minute
)

// runSocketMode receives events, clicks and slash commands over Socket
// Mode until ctx ends, reconnecting with backoff when the connection fails
// for good. Each envelope goes through the same path as its HTTP request
// (receive, receiveInteraction, receiveCommand) and is acknowledged once
// recorded; one that could not be recorded is not acknowledged, and Slack
// sends it again (or, for a click, shows its user that it failed). A slash
// command is always acknowledged: with its first answer, which says when
// it could not be taken.
func (b *Bot) runSocketMode(ctx context.Context) {
	backoff := socketBackoffMin
	for ctx.Err() == nil {
		client := socketmode.New(b.api, socketmode.OptionLog(slog.NewLogLogger(b.log.Handler(), slog.LevelDebug)))
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			b.socketEvents(sctx, client)
		}()
		start := time.Now()
		err := client.RunContext(sctx)
		cancel()
		<-done
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > socketBackoffMax {
			backoff = socketBackoffMin // it had been working
		}
		b.log.Error("slack: Socket Mode connection failed; retrying (check SLACK_APP_TOKEN)", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, socketBackoffMax)
	}
}

// socketEvents reads the client's events until ctx ends.
func (b *Bot) socketEvents(ctx context.Context, client *socketmode.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-client.Events:
			if !ok {
				return
			}
			b.socketEvent(ctx, client, evt)
		}
	}
}

func (b *Bot) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		b.log.Info("slack: Socket Mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage:
		b.log.Warn("slack: Socket Mode", "event", string(evt.Type))
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("slack: Socket Mode refused the app token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		retry := ""
		if evt.Request.RetryAttempt > 0 {
			retry = strconv.Itoa(evt.Request.RetryAttempt)
		}
		if err := b.receive(ctx, evt.Request.Payload, "socket_mode", retry); err != nil {
			b.log.Error("slack: could not record a Socket Mode event; not acknowledging it, so Slack sends it again", "err", err)
			return
		}
		if err := client.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			b.log.Warn("slack: acknowledging a Socket Mode envelope", "err", err)
		}
	case socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		if err := b.receiveInteraction(ctx, evt.Request.Payload, "socket_mode"); err != nil {
			b.log.Error("slack: could not record a Socket Mode click; not acknowledging it, so Slack shows the user it failed", "err", err)
			return
		}
		if err := client.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			b.log.Warn("slack: acknowledging a Socket Mode envelope", "err", err)
		}
	case socketmode.EventTypeSlashCommand:
		if evt.Request == nil {
			return
		}
		var s slashReq
		var cmd struct {
			TeamID      string `json:"team_id"`
			UserID      string `json:"user_id"`
			ChannelID   string `json:"channel_id"`
			Command     string `json:"command"`
			Text        string `json:"text"`
			ResponseURL string `json:"response_url"`
			TriggerID   string `json:"trigger_id"`
		}
		if err := json.Unmarshal(evt.Request.Payload, &cmd); err == nil {
			s = slashReq{Team: cmd.TeamID, User: cmd.UserID, Channel: cmd.ChannelID, Command: cmd.Command, Text: cmd.Text,
				ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID}
		}
		// The acknowledgement carries the command's first answer.
		if err := client.AckCtx(ctx, evt.Request.EnvelopeID, b.receiveCommand(ctx, s, "socket_mode")); err != nil {
			b.log.Warn("slack: acknowledging a Socket Mode envelope", "err", err)
		}
	}
}
