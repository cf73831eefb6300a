package slack

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// slackMessage is a message as the Web API returns it.
type slackMessage = slackapi.Message

// callTimeout bounds one Web API call.
const callTimeout = 15 * time.Second

// textOptions are the options of every message: text as written (already
// mrkdwn, already escaped), and no unfurling, so Slack never fetches a
// connect link (which would spend it) or shows previews nobody asked for.
func textOptions(text, thread string) []slackapi.MsgOption {
	opts := []slackapi.MsgOption{
		slackapi.MsgOptionText(text, false),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
	}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	return opts
}

// post sends a message to channel, in thread when set (chat.postMessage).
func (b *Bot) post(ctx context.Context, channel, thread, text string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, ts, err := b.api.PostMessageContext(ctx, channel, textOptions(text, thread)...)
	return ts, err
}

// sendPrivately sends text to m's user alone: in a DM, as a message there
// (in the message's thread, if any); in a channel, as an ephemeral message
// in the thread, and if Slack refuses that (the bot is not in the channel,
// the user left...), as a direct message. Never in a shared thread.
func (b *Bot) sendPrivately(ctx context.Context, m message, text string) error {
	if m.DM {
		_, err := b.post(ctx, m.Channel, m.replyThread(), text)
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err := b.api.PostEphemeralContext(cctx, m.Channel, m.User, textOptions(text, m.replyThread())...)
	cancel()
	if err == nil {
		return nil
	}
	b.log.Warn("slack: ephemeral message refused; sending a direct message instead", "channel", m.Channel, "err", err)
	cctx, cancel = context.WithTimeout(ctx, callTimeout)
	ch, _, _, err2 := b.api.OpenConversationContext(cctx, &slackapi.OpenConversationParameters{Users: []string{m.User}})
	cancel()
	if err2 != nil || ch == nil || ch.ID == "" {
		return errors.Join(err, err2, errors.New("no direct message channel"))
	}
	if _, err2 := b.post(ctx, ch.ID, "", text); err2 != nil {
		return errors.Join(err, err2)
	}
	return nil
}

// replies returns a thread's messages, root first (conversations.replies).
func (b *Bot) replies(ctx context.Context, channel, thread string) ([]slackMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	msgs, _, _, err := b.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: thread, Limit: 200,
	})
	return msgs, err
}

// historySince returns a conversation's top-level messages after ts
// (conversations.history).
func (b *Bot) historySince(ctx context.Context, channel, ts string) ([]slackMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := b.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: channel, Oldest: ts, Limit: 200,
	})
	if err != nil {
		return nil, err
	}
	return resp.Messages, nil
}

// compareTS compares Slack timestamps ("seconds.micros") numerically.
func compareTS(a, b string) int {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	switch {
	case ai < bi:
		return -1
	case ai > bi:
		return 1
	}
	for len(af) < len(bf) {
		af += "0"
	}
	for len(bf) < len(af) {
		bf += "0"
	}
	return strings.Compare(af, bf)
}
