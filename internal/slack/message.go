package slack

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/slack-go/slack/slackevents"

	"github.com/lookout-hq/lookout/internal/config"
)

// message is one question from a user, wherever it came from. It is
// stored in inbox items as JSON.
type message struct {
	Team     string `json:"team"`                // workspace the event came from (outer team_id)
	UserTeam string `json:"user_team,omitempty"` // the user's own workspace, when Slack says (shared channels)
	User     string `json:"user"`
	Channel  string `json:"channel"`
	DM       bool   `json:"dm,omitempty"`        // a direct message with the bot
	TS       string `json:"ts"`                  // the message's ts
	ThreadTS string `json:"thread_ts,omitempty"` // the thread it was posted in; "" for a top-level message
	Text     string `json:"text"`                // plain text, bot mention removed
	Mention  bool   `json:"mention,omitempty"`   // it mentioned the bot (app_mention)
	// RawText is the text as Slack sent it, read again when the item is
	// worked on, in case the bot's user id was not known on receipt.
	RawText string `json:"raw_text,omitempty"`
	// Slash: a slash command (no message of its own; TS is ""): every
	// answer goes to its user alone.
	Slash bool `json:"slash,omitempty"`
}

// inboxID is the inbox item of the question: one per Slack message,
// whichever events (app_mention, message.*) and deliveries brought it.
func (m message) inboxID() string {
	return "slack-msg:" + m.Team + ":" + m.Channel + ":" + m.TS
}

// place is where the answer to m goes, for looking up what was posted.
func (m message) place() place {
	return place{channel: m.Channel, thread: m.replyThread(), after: m.TS}
}

// principal is slack:{team}:{user}, with the user's own workspace.
func (m message) principal() string {
	team := m.UserTeam
	if team == "" {
		team = m.Team
	}
	return Principal(team, m.User)
}

// replyThread is the thread the bot answers in: the message's thread, or
// a new thread under it in a channel; "" (top level) for a DM that was
// not in a thread.
func (m message) replyThread() string {
	if m.ThreadTS != "" {
		return m.ThreadTS
	}
	if m.DM {
		return ""
	}
	return m.TS
}

// threadKey names the thread the message is in for "does the bot take
// part in it" records.
func (m message) threadKey() string {
	return "slack-thread:" + m.Team + ":" + m.Channel + ":" + m.replyThread()
}

// askerKey names "m's user asked the bot in this thread" records
// (LOOKOUT_SLACK_THREADS=asker).
func (m message) askerKey() string {
	return m.threadKey() + ":" + m.User
}

// userSubtypes are message subtypes that are still a person writing.
var userSubtypes = map[string]bool{"": true, "thread_broadcast": true, "file_share": true}

// messageOf turns an event into a question for the bot, or says it is
// none: the bot's own and other bots' messages, edits, deletions, joins and
// the like, channel messages not addressed to the bot, and replies in
// channel threads that LOOKOUT_SLACK_THREADS does not follow. It runs on
// receipt, before the event is acknowledged: it uses the bot's user id only
// if already known (no Web API call), and a store failure is returned, so
// that Slack delivers the event again rather than it being dropped.
func (b *Bot) messageOf(ctx context.Context, ev slackevents.EventsAPIEvent) (message, bool, error) {
	botUser := b.knownBotUserID()
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.User == "" || e.BotID != "" || e.Edited != nil || e.User == botUser {
			return message{}, false, nil
		}
		return message{
			Team: ev.TeamID, UserTeam: e.UserTeam, User: e.User, Channel: e.Channel,
			DM: isDM(e.Channel, ""), TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp,
			Text: plainText(e.Text, botUser, true), Mention: true, RawText: e.Text,
		}, true, nil
	case *slackevents.MessageEvent:
		if e.User == "" || e.BotID != "" || !userSubtypes[e.SubType] || e.User == botUser {
			return message{}, false, nil
		}
		m := message{
			Team: ev.TeamID, UserTeam: e.UserTeam, User: e.User, Channel: e.Channel,
			DM: isDM(e.Channel, e.ChannelType), TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp, RawText: e.Text,
		}
		if m.ThreadTS == m.TS {
			m.ThreadTS = "" // a thread's root
		}
		if m.DM {
			m.Text = plainText(e.Text, botUser, false)
			return m, m.Text != "", nil // a file shared without a word is no question
		}
		if e.ChannelType != slackevents.ChannelTypeChannel && e.ChannelType != slackevents.ChannelTypeGroup {
			return message{}, false, nil // group DMs: not subscribed
		}
		// In channels, only replies in threads the bot follows; a mention
		// of the bot also arrives as app_mention, handled there.
		if m.ThreadTS == "" || (botUser != "" && strings.Contains(e.Text, "<@"+botUser)) {
			return message{}, false, nil
		}
		var key string
		switch b.cfg.Threads {
		case config.SlackThreadsMention:
			return message{}, false, nil
		case config.SlackThreadsAll:
			key = m.threadKey()
		default:
			key = m.askerKey()
		}
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		seen, err := b.cfg.Store.EventSeen(sctx, key, b.now())
		cancel()
		if err != nil {
			return message{}, false, fmt.Errorf("check the thread: %w", err)
		}
		if !seen {
			return message{}, false, nil
		}
		m.Text = plainText(e.Text, botUser, false)
		return m, m.Text != "", nil // a file shared without a word is no question
	}
	return message{}, false, nil
}

// isDM tells a direct message with the bot from a channel message.
func isDM(channel, channelType string) bool {
	if channelType != "" {
		return channelType == slackevents.ChannelTypeIM
	}
	return strings.HasPrefix(channel, "D")
}

var slackEntity = regexp.MustCompile(`<([^<>]*)>`)

// plainText turns Slack message text into what the user typed: the bot's
// mention removed (with an unknown bot id, the leading mention of an
// app_mention), links unwrapped (<https://x|label> -> https://x), channel
// names shown, and &amp; &lt; &gt; unescaped. Other users' mentions stay.
func plainText(text, botUser string, mention bool) string {
	if botUser == "" && mention {
		trimmed := strings.TrimSpace(text)
		if loc := slackEntity.FindStringIndex(trimmed); loc != nil && loc[0] == 0 && strings.HasPrefix(trimmed, "<@") {
			text = trimmed[loc[1]:]
		}
	}
	text = slackEntity.ReplaceAllStringFunc(text, func(s string) string {
		inner := s[1 : len(s)-1]
		target, label, _ := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if botUser != "" && target[1:] == botUser {
				return ""
			}
			return s
		case strings.HasPrefix(target, "#"):
			if label != "" {
				return "#" + label
			}
			return s
		case strings.HasPrefix(target, "!"):
			if label != "" {
				return label
			}
			return "@" + strings.TrimPrefix(target, "!")
		case strings.HasPrefix(target, "mailto:"):
			if label != "" {
				return label
			}
			return strings.TrimPrefix(target, "mailto:")
		}
		return target
	})
	return strings.Join(strings.Fields(html.UnescapeString(text)), " ")
}

// Plain-text commands about the user's own connection.
const (
	cmdConnect    = "connect"
	cmdDisconnect = "disconnect"
	cmdStatus     = "status"
)

var commands = map[string]string{
	"connect sentry": cmdConnect, "reconnect sentry": cmdConnect, "sentry connect": cmdConnect,
	"connect": cmdConnect, "reconnect": cmdConnect,
	"disconnect sentry": cmdDisconnect, "sentry disconnect": cmdDisconnect, "disconnect": cmdDisconnect,
	"sentry status": cmdStatus, "status": cmdStatus, "connection status": cmdStatus,
}

// parseCommand returns the connection command text is, or "".
func parseCommand(text string) string {
	t := strings.ToLower(strings.Join(strings.Fields(text), " "))
	t = strings.Trim(t, " .!?")
	t = strings.TrimPrefix(t, "please ")
	t = strings.TrimSuffix(t, " please")
	return commands[t]
}
