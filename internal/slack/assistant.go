package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/store"
)

// Assistant threads: Slack's surface for AI apps (the app's assistant
// view, with the assistant:write scope). When a user opens one, Slack
// sends assistant_thread_started; lookout records the thread as an
// assistant thread and suggests prompts. Questions there arrive as direct
// messages in that thread and are answered like any other, except that
// while a turn runs the thread shows the assistant's status ("is looking
// at Sentry…", which Slack clears when the answer is posted) instead of a
// status message. Apps without the feature never get the event, and a
// status Slack refuses falls back to the status message: plain messages.

// assistantWorking is the assistant status while a turn runs.
const assistantWorking = "is looking at Sentry…"

// assistantStart is what a kindAssistant item carries.
type assistantStart struct {
	Team    string `json:"team"`
	User    string `json:"user"`
	Channel string `json:"channel"`
	Thread  string `json:"thread"`
}

// assistantKey records that a DM thread is an assistant thread.
func assistantKey(team, channel, thread string) string {
	return "slack-assistant:" + team + ":" + channel + ":" + thread
}

// receiveAssistant records an opened assistant thread (before the event
// is acknowledged, so that the first question in it already finds it)
// and the item that suggests prompts there.
func (b *Bot) receiveAssistant(ctx context.Context, team string, raw json.RawMessage, source string) error {
	var ev struct {
		AssistantThread struct {
			UserID    string `json:"user_id"`
			ChannelID string `json:"channel_id"`
			ThreadTS  string `json:"thread_ts"`
		} `json:"assistant_thread"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil
	}
	t := ev.AssistantThread
	if t.UserID == "" || t.ChannelID == "" || t.ThreadTS == "" {
		return nil
	}
	now := b.now()
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	err := b.cfg.Store.RecordEvent(sctx, assistantKey(team, t.ChannelID, t.ThreadTS), now, now.Add(threadTTL))
	cancel()
	if err != nil && !errors.Is(err, store.ErrAlreadyUsed) {
		return fmt.Errorf("record the assistant thread: %w", err)
	}
	payload, err := json.Marshal(assistantStart{Team: team, User: t.UserID, Channel: t.ChannelID, Thread: t.ThreadTS})
	if err != nil {
		return err
	}
	log := b.log.With("source", source, "principal", Principal(team, t.UserID), "channel", t.ChannelID)
	log.Info("slack: assistant thread opened")
	return b.record(ctx, store.InboxItem{ID: "slack-assistant:" + team + ":" + t.ChannelID + ":" + t.ThreadTS,
		Kind: kindAssistant, Payload: payload}, log)
}

// assistantThread reports whether m is in an assistant thread.
func (b *Bot) assistantThread(ctx context.Context, m message) bool {
	if !m.DM || m.ThreadTS == "" {
		return false
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	seen, err := b.cfg.Store.EventSeen(sctx, assistantKey(m.Team, m.Channel, m.ThreadTS), b.now())
	return err == nil && seen
}

// setAssistantStatus shows status in m's assistant thread; false when
// Slack refused (the app lacks the feature), so the caller falls back.
func (b *Bot) setAssistantStatus(ctx context.Context, j *job, m message, status string) bool {
	err := b.call(ctx, j, "assistant.threads.setStatus", func(ctx context.Context) error {
		return b.api.SetAssistantThreadsStatusContext(ctx, slackapi.AssistantThreadsSetStatusParameters{
			ChannelID: m.Channel, ThreadTS: m.ThreadTS, Status: status})
	}, nil)
	if err != nil {
		j.log.Info("slack: no assistant status; using a status message", "err", err)
		return false
	}
	return true
}

// runAssistant suggests prompts in an opened assistant thread
// (kindAssistant): what to ask, for a connected user, or how to connect.
// Setting them twice does no harm.
func (b *Bot) runAssistant(ctx context.Context, j *job) error {
	var a assistantStart
	if err := json.Unmarshal(j.item.Payload, &a); err != nil {
		return permanent(fmt.Errorf("undecodable assistant thread: %w", err))
	}
	params := slackapi.AssistantThreadsSetSuggestedPromptsParameters{ChannelID: a.Channel, ThreadTS: a.Thread, Title: "Look at Sentry with your own access"}
	st, err := b.cfg.Vault.Status(ctx, Principal(a.Team, a.User))
	switch {
	case err != nil || st.Stale:
		params.AddPrompt("Connect Sentry", "connect sentry")
		params.AddPrompt("What can you do?", "help")
	default:
		// A pinned organization answers these without naming it.
		if org, _ := b.defaults(ctx, Principal(a.Team, a.User)); org == "" {
			params.AddPrompt("My organizations", "orgs")
		}
		params.AddPrompt("Unresolved issues", "issues is:unresolved")
		params.AddPrompt("Errors of the last day", "issues level:error firstSeen:-24h")
		params.AddPrompt("My Sentry connection", "sentry status")
	}
	err = b.call(ctx, j, "assistant.threads.setSuggestedPrompts", func(ctx context.Context) error {
		return b.api.SetAssistantThreadsSuggestedPromptsContext(ctx, params)
	}, nil)
	var perm *permanentError
	if errors.As(err, &perm) {
		j.log.Info("slack: Slack refused the suggested prompts (the app may lack the assistant feature)", "err", err)
		return nil
	}
	return err
}
