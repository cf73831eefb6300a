package slack

import (
	"context"
	"html"
	"regexp"
	"strings"

	"github.com/slack-go/slack/slackevents"
)

// message is one question from a user, wherever it came from.
type message struct {
	Team     string // workspace the event came from (outer team_id)
	UserTeam string // the user's own workspace, when Slack says (shared channels)
	User     string
	Channel  string
	DM       bool   // a direct message with the bot
	TS       string // the message's ts
	ThreadTS string // the thread it was posted in; "" for a top-level message
	Text     string // plain text, bot mention removed
	Mention  bool   // it mentioned the bot (app_mention)
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

// userSubtypes are message subtypes that are still a person writing.
var userSubtypes = map[string]bool{"": true, "thread_broadcast": true, "file_share": true}

// messageOf turns an event into a question for the bot, or says it is
// none: the bot's own and other bots' messages, edits, deletions, joins and
// the like, channel messages not addressed to the bot, and replies in
// threads the bot has no part in.
func (b *Bot) messageOf(ctx context.Context, ev slackevents.EventsAPIEvent) (message, bool) {
	botUser := b.botUserID(ctx)
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.User == "" || e.BotID != "" || e.Edited != nil || e.User == botUser {
			return message{}, false
		}
		return message{
			Team: ev.TeamID, UserTeam: e.UserTeam, User: e.User, Channel: e.Channel,
			DM: isDM(e.Channel, ""), TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp,
			Text: plainText(e.Text, botUser, true), Mention: true,
		}, true
	case *slackevents.MessageEvent:
		if e.User == "" || e.BotID != "" || !userSubtypes[e.SubType] || e.User == botUser {
			return message{}, false
		}
		m := message{
			Team: ev.TeamID, UserTeam: e.UserTeam, User: e.User, Channel: e.Channel,
			DM: isDM(e.Channel, e.ChannelType), TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp,
		}
		if m.ThreadTS == m.TS {
			m.ThreadTS = "" // a thread's root
		}
		if m.DM {
			m.Text = plainText(e.Text, botUser, false)
			return m, m.Text != "" // a file shared without a word is no question
		}
		if e.ChannelType != slackevents.ChannelTypeChannel && e.ChannelType != slackevents.ChannelTypeGroup {
			return message{}, false // group DMs: not subscribed
		}
		// In channels, only replies in threads the bot takes part in; a
		// mention of the bot also arrives as app_mention, handled there.
		if m.ThreadTS == "" || (botUser != "" && strings.Contains(e.Text, "<@"+botUser)) {
			return message{}, false
		}
		seen, err := b.cfg.Store.EventSeen(ctx, m.threadKey(), b.now())
		if err != nil {
			b.log.Warn("slack: could not check the thread", "channel", m.Channel, "err", err)
			return message{}, false
		}
		if !seen {
			return message{}, false
		}
		m.Text = plainText(e.Text, botUser, false)
		return m, m.Text != "" // a file shared without a word is no question
	}
	return message{}, false
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
