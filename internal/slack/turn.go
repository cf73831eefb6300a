package slack

import (
	"context"
	"errors"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/store"
)

// maxHistory bounds the earlier thread messages given to the agent.
const maxHistory = 20

// handle answers one question: a connection command, or an agent turn as
// the asking user, which either answers in the thread or asks the user
// (privately) to connect Sentry and parks the question until they do.
func (b *Bot) handle(ctx context.Context, m message) {
	now := b.now()
	// One answer per Slack message, whichever event brought it.
	err := b.cfg.Store.RecordEvent(ctx, "slack-msg:"+m.Team+":"+m.Channel+":"+m.TS, now, now.Add(eventTTL))
	if errors.Is(err, store.ErrAlreadyUsed) {
		return
	}
	if err != nil {
		b.log.Warn("slack: could not record the message", "channel", m.Channel, "ts", m.TS, "err", err)
	}
	if m.Mention && !m.DM {
		b.joinThread(ctx, m)
	}
	if cmd := parseCommand(m.Text); cmd != "" {
		b.command(ctx, m, cmd)
		return
	}
	reply, err := b.cfg.Agent.Run(ctx, agent.Turn{Principal: m.principal(), Text: m.Text, History: b.history(ctx, m)})
	switch {
	case err != nil:
		if ctx.Err() != nil { // stopped at shutdown: still say so
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
			defer cancel()
		}
		b.reply(ctx, m, mrkdwn(agent.Explain(err)))
	case reply.Auth != nil:
		b.needConsent(ctx, m, *reply.Auth)
	default:
		b.reply(ctx, m, mrkdwn(reply.Text))
	}
}

// reply posts text in the message's reply thread and remembers that the
// bot takes part in it.
func (b *Bot) reply(ctx context.Context, m message, text string) {
	if _, err := b.post(ctx, m.Channel, m.replyThread(), text); err != nil {
		b.log.Error("slack: could not post the answer", "channel", m.Channel, "thread", m.replyThread(), "err", err)
		return
	}
	if !m.DM {
		b.joinThread(ctx, m)
	}
}

// joinThread records that the bot takes part in m's thread, so that
// replies there reach it without a mention.
func (b *Bot) joinThread(ctx context.Context, m message) {
	now := b.now()
	err := b.cfg.Store.RecordEvent(ctx, m.threadKey(), now, now.Add(threadTTL))
	if err != nil && !errors.Is(err, store.ErrAlreadyUsed) {
		b.log.Warn("slack: could not record the thread", "channel", m.Channel, "err", err)
	}
}

// history returns the earlier messages of m's thread for the agent (model
// mode reads them), oldest first; nil for a message not in a thread.
func (b *Bot) history(ctx context.Context, m message) []agent.Message {
	if m.ThreadTS == "" {
		return nil
	}
	msgs, err := b.replies(ctx, m.Channel, m.ThreadTS)
	if err != nil {
		b.log.Warn("slack: could not read the thread for context", "channel", m.Channel, "err", err)
		return nil
	}
	botUser := b.botUserID(ctx)
	var out []agent.Message
	for _, msg := range msgs {
		if compareTS(msg.Timestamp, m.TS) >= 0 {
			continue
		}
		role := agent.RoleUser
		if msg.BotID != "" {
			if msg.User != botUser {
				continue // other bots
			}
			role = agent.RoleAssistant
		}
		text := plainText(msg.Text, botUser, false)
		if text == "" {
			continue
		}
		out = append(out, agent.Message{Role: role, Text: text})
	}
	if len(out) > maxHistory {
		out = out[len(out)-maxHistory:]
	}
	return out
}

// needConsent handles a turn stopped for Sentry consent: park it FIRST (so
// the callback can resume it whatever happens next), then send the user
// alone a connect link and tell the thread, without the link, that the
// answer waits for them.
func (b *Bot) needConsent(ctx context.Context, m message, auth agent.AuthNeeded) {
	if err := b.park(ctx, m, auth); err != nil {
		b.log.Error("slack: could not park the question", "principal", m.principal(), "err", err)
		b.reply(ctx, m, b.address(m)+"I need your own Sentry access for this, but I couldn't save your question to answer it later. Try again in a minute.")
		return
	}
	link, err := b.connectLink(ctx, m.principal())
	if err != nil {
		b.log.Error("slack: could not create a connect link", "principal", m.principal(), "err", err)
		b.reply(ctx, m, b.address(m)+"I need your own Sentry access for this, but I couldn't create a connect link right now. Try again in a minute.")
		return
	}
	if err := b.sendPrivately(ctx, m, linkText(auth, link, m.DM)); err != nil {
		b.log.Error("slack: could not send the connect link privately", "principal", m.principal(), "err", err)
		b.reply(ctx, m, b.address(m)+consentReason(auth)+" I couldn't send you a private link, though. Open a direct message with me and say `connect sentry`; I'll answer here once you've connected.")
		return
	}
	if !m.DM {
		b.reply(ctx, m, b.address(m)+threadNote(auth))
	}
	b.log.Info("slack: waiting for Sentry consent", "principal", m.principal(), "reason", auth.Reason, "scope", auth.Scope)
}

// address starts a message to the user in a channel with their mention.
func (b *Bot) address(m message) string {
	if m.DM {
		return ""
	}
	return "<@" + m.User + "> "
}

func addScope(scopes []string, s string) []string {
	for _, x := range scopes {
		if x == s {
			return scopes
		}
	}
	return append(scopes, s)
}
