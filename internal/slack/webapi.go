package slack

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// slackMessage is a message as the Web API returns it.
type slackMessage = slackapi.Message

// callTimeout bounds one Web API call.
const callTimeout = 15 * time.Second

// Retries of one Web API call within one attempt at an item; after them
// the item is handed back and retried later (backoff), here or elsewhere.
const (
	callAttempts = 4
	// maxInlineWait: a Retry-After longer than this is not waited out
	// holding the item; it is handed back to be retried after it.
	maxInlineWait = 30 * time.Second
)

// Every message the bot posts carries its inbox item's id in Slack message
// metadata, so that whoever works on the item after a crash or a failed
// call finds what was already posted and does not post it again.
const replyEventType = "lookout_reply"

// Parts of an item's replies, in their metadata.
const (
	// partStatus: "Looking at Sentry…" or "queued"; the answer replaces it.
	partStatus = "status"
	// partAnswer: the item's last visible message; once it is there, the
	// item is answered.
	partAnswer = "answer"
	// partPrivate: a direct message sent when an ephemeral one was refused.
	partPrivate = "private"
)

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

func metadataOption(inboxID, part string) slackapi.MsgOption {
	return slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
		EventType:    replyEventType,
		EventPayload: map[string]any{"inbox": inboxID, "part": part},
	})
}

// replyPart returns the part of item inboxID that msg is, or "".
func replyPart(msg slackMessage, inboxID string) string {
	if msg.BotID == "" || msg.Metadata.EventType != replyEventType {
		return ""
	}
	if id, _ := msg.Metadata.EventPayload["inbox"].(string); id != inboxID {
		return ""
	}
	part, _ := msg.Metadata.EventPayload["part"].(string)
	return part
}

// isStatus reports whether msg is one of the bot's status messages (not
// context for the agent, not an answer).
func isStatus(msg slackMessage) bool {
	if msg.Metadata.EventType != replyEventType {
		return false
	}
	part, _ := msg.Metadata.EventPayload["part"].(string)
	return part == partStatus
}

// callError is how a failed Web API call may be retried.
type callError struct {
	retry bool          // worth trying again
	wait  time.Duration // Slack's Retry-After, when it said
	// maybeDone: Slack may have acted before failing (a 5xx, a timeout, a
	// lost connection): look before posting again.
	maybeDone bool
}

// classify reads a Web API error.
func classify(err error) callError {
	var rl *slackapi.RateLimitedError
	var sc slackapi.StatusCodeError
	var se slackapi.SlackErrorResponse
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		return callError{retry: true, wait: rl.RetryAfter}
	case errors.As(err, &sc):
		switch {
		case sc.Code == 429:
			return callError{retry: true}
		case sc.Code >= 500:
			return callError{retry: true, maybeDone: true}
		}
		return callError{}
	case errors.As(err, &se):
		switch se.Err {
		case "ratelimited", "rate_limited":
			return callError{retry: true}
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return callError{retry: true, maybeDone: true}
		}
		return callError{}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne):
		return callError{retry: true, maybeDone: true}
	}
	// Anything else from the HTTP client (connection reset, EOF) may have
	// reached Slack.
	return callError{retry: true, maybeDone: true}
}

// slackCode is Slack's error code of err ("channel_not_found"), or "".
func slackCode(err error) string {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// call runs fn with retries: Retry-After honoured, backoff otherwise.
// Before a retry after a failure Slack may have acted on, done (when set)
// says whether it did, and ends the retries if so. A Retry-After too long
// to wait out gives a retryLater; an error Slack will repeat, a permanent
// error. j, when set, is fenced before each try (see job.fence).
func (b *Bot) call(ctx context.Context, j *job, what string, fn func(ctx context.Context) error, done func(ctx context.Context) bool) error {
	var err error
	for attempt := 1; ; attempt++ {
		var cctx context.Context
		var cancel context.CancelFunc
		if j != nil {
			var ferr error
			if cctx, cancel, ferr = j.fence(ctx); ferr != nil {
				return ferr
			}
		} else {
			cctx, cancel = context.WithTimeout(ctx, callTimeout)
		}
		err = fn(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if perm := (*permanentError)(nil); errors.As(err, &perm) {
			return err
		}
		ce := classify(err)
		if !ce.retry {
			return permanent(err)
		}
		wait := ce.wait
		if wait == 0 {
			wait = b.backoff(attempt)
		}
		if attempt >= callAttempts || wait > maxInlineWait {
			return &retryLater{after: max(wait, b.backoff(attempt)), err: err}
		}
		b.log.Info("slack: a Web API call failed; retrying", "call", what, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(wait):
		}
		if ce.maybeDone && done != nil && done(ctx) {
			return nil
		}
	}
}

// place is where an item's replies are: a thread, or a conversation's top
// level after a message.
type place struct {
	channel string
	thread  string // "" for the top level
	after   string // with no thread: replies come after this ts
}

// findReplies returns the messages of item inboxID at place: the ts of
// each part found.
func (b *Bot) findReplies(ctx context.Context, at place, inboxID string) (map[string]string, error) {
	var msgs []slackMessage
	err := b.call(ctx, nil, "look for earlier replies", func(ctx context.Context) error {
		var err error
		if at.thread != "" {
			msgs, err = b.replies(ctx, at.channel, at.thread)
		} else {
			msgs, err = b.historySince(ctx, at.channel, at.after)
		}
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	parts := map[string]string{}
	for _, msg := range msgs {
		if part := replyPart(msg, inboxID); part != "" {
			parts[part] = msg.Timestamp
		}
	}
	return parts, nil
}

// postReply posts text at place as part of j's item and returns its ts;
// extra options add to the message (its blocks). After a failure Slack may
// have acted on, it looks for the post before posting again.
func (b *Bot) postReply(ctx context.Context, j *job, at place, text, part string, extra ...slackapi.MsgOption) (string, error) {
	var ts string
	opts := append(textOptions(text, at.thread), metadataOption(j.item.ID, part))
	opts = append(opts, extra...)
	err := b.call(ctx, j, "chat.postMessage", func(ctx context.Context) error {
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, at.channel, opts...)
		return err
	}, func(ctx context.Context) bool {
		parts, err := b.findReplies(ctx, at, j.item.ID)
		if err != nil || parts[part] == "" {
			return false
		}
		ts = parts[part]
		return true
	})
	return ts, err
}

// updateReply replaces the text (and, with extra options, the blocks) of
// the bot's message ts, as part of j's item (chat.update: doing it twice
// does no harm).
func (b *Bot) updateReply(ctx context.Context, j *job, channel, ts, text, part string, extra ...slackapi.MsgOption) error {
	opts := append([]slackapi.MsgOption{slackapi.MsgOptionText(text, false), metadataOption(j.item.ID, part)}, extra...)
	return b.call(ctx, j, "chat.update", func(ctx context.Context) error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	}, nil)
}

// updateMessage replaces the text and blocks of the bot's message ts
// (a card changed by a click), keeping its metadata.
func (b *Bot) updateMessage(ctx context.Context, j *job, channel, ts, text string, blocks []slackapi.Block) error {
	return b.call(ctx, j, "chat.update", func(ctx context.Context) error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, slackapi.MsgOptionText(text, false), slackapi.MsgOptionBlocks(blocks...))
		return err
	}, nil)
}

// deleteReply removes the bot's message ts; one already gone is fine.
func (b *Bot) deleteReply(ctx context.Context, j *job, channel, ts string) error {
	err := b.call(ctx, j, "chat.delete", func(ctx context.Context) error {
		_, _, err := b.api.DeleteMessageContext(ctx, channel, ts)
		return err
	}, nil)
	if slackCode(err) == "message_not_found" {
		return nil
	}
	return err
}

// sendPrivately sends text to m's user alone in a channel: an ephemeral
// message in the thread, and if Slack refuses that (the bot is not in the
// channel, the user left...), a direct message. Never in a shared thread.
// (In a DM, the reply itself is private.) An ephemeral message cannot be
// looked up afterwards: if the worker dies between sending one and saving
// that it did, its successor sends it again (it is private, and a connect
// link is the same pending link).
func (b *Bot) sendPrivately(ctx context.Context, j *job, m message, text string, extra ...slackapi.MsgOption) error {
	if m.Channel == "" {
		// No conversation (a click on the Home tab): a direct message.
		ch, err := b.openDM(ctx, j, m.User)
		if err != nil {
			return err
		}
		_, err = b.postReply(ctx, j, place{channel: ch, after: tsOf(j.item.CreatedAt)}, text, partPrivate, extra...)
		return err
	}
	opts := append(textOptions(text, m.replyThread()), extra...)
	err := b.call(ctx, j, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := b.api.PostEphemeralContext(ctx, m.Channel, m.User, opts...)
		return err
	}, nil)
	var perm *permanentError
	if err == nil || !errors.As(err, &perm) {
		return err
	}
	j.log.Warn("slack: ephemeral message refused; sending a direct message instead", "channel", m.Channel, "err", err)
	ch, err2 := b.openDM(ctx, j, m.User)
	if err2 != nil {
		return errors.Join(err, err2)
	}
	if _, err2 := b.postReply(ctx, j, place{channel: ch, after: tsOf(j.item.CreatedAt)}, text, partPrivate, extra...); err2 != nil {
		return errors.Join(err, err2)
	}
	return nil
}

// openDM returns the id of the bot's direct message with user
// (conversations.open).
func (b *Bot) openDM(ctx context.Context, j *job, user string) (string, error) {
	var id string
	err := b.call(ctx, j, "conversations.open", func(ctx context.Context) error {
		ch, _, _, err := b.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{user}})
		if err == nil && (ch == nil || ch.ID == "") {
			err = permanent(errors.New("conversations.open returned no channel"))
		}
		if err == nil {
			id = ch.ID
		}
		return err
	}, nil)
	return id, err
}

// replies returns a thread's messages, root first, with their metadata
// (conversations.replies).
func (b *Bot) replies(ctx context.Context, channel, thread string) ([]slackMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	msgs, _, _, err := b.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: thread, Limit: 200, IncludeAllMetadata: true,
	})
	return msgs, err
}

// historySince returns a conversation's top-level messages after ts, with
// their metadata (conversations.history).
func (b *Bot) historySince(ctx context.Context, channel, ts string) ([]slackMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := b.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: channel, Oldest: ts, Limit: 200, IncludeAllMetadata: true,
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

// tsOf is t as a Slack timestamp, for "messages after t".
func tsOf(t time.Time) string {
	us := t.UnixMicro()
	return strconv.FormatInt(us/1e6, 10) + "." + strconv.FormatInt(1e6+us%1e6, 10)[1:]
}
