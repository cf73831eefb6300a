package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sign returns the X-Slack-Signature of body sent at ts: "v0=" and the hex
// HMAC-SHA256 of "v0:<ts>:<body>" under the signing secret.
func Sign(secret string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + strconv.FormatInt(ts.Unix(), 10) + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// SignedRequest is an Events API delivery of body to url, signed now.
func SignedRequest(url, secret string, body []byte) *http.Request {
	return SignedRequestAt(url, secret, body, time.Now())
}

// SignedRequestAt is SignedRequest with the timestamp ts, e.g. ten minutes
// ago for a stale (replayed) delivery.
func SignedRequestAt(url, secret string, body []byte, ts time.Time) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err) // a test's URL is wrong
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	return req
}

// ForgedRequest is body signed now with the wrong secret.
func ForgedRequest(url string, body []byte) *http.Request {
	return SignedRequest(url, "not-the-signing-secret", body)
}

// StaleRequest is body correctly signed, but ten minutes ago.
func StaleRequest(url, secret string, body []byte) *http.Request {
	return SignedRequestAt(url, secret, body, time.Now().Add(-10*time.Minute))
}

// Retry marks req as Slack's n-th retry of a delivery.
func Retry(req *http.Request, n int) *http.Request {
	req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(n))
	req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	return req
}

// URLVerification is the body of Slack's url_verification request.
func URLVerification(challenge string) []byte {
	b, _ := json.Marshal(obj{"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"})
	return b
}

// Inner event types.
const (
	AppMention = "app_mention"
	MessageEvt = "message"
)

// EventCallback is the body of an event_callback delivery of m as an event
// of type eventType (AppMention or MessageEvt) in team, with eventID.
// Message events get channel_type from the channel id (D: im, G: group,
// else channel).
func (f *Fake) EventCallback(eventID, eventType string, m Message) []byte {
	ev := obj{"type": eventType, "channel": m.Channel, "ts": m.TS, "event_ts": m.TS, "text": m.Text}
	if m.User != "" {
		ev["user"] = m.User
	}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
	}
	if m.BotID != "" {
		ev["bot_id"] = m.BotID
	}
	if m.SubType != "" {
		ev["subtype"] = m.SubType
	}
	if eventType == MessageEvt {
		ev["channel_type"] = ChannelType(m.Channel)
	}
	b, _ := json.Marshal(obj{
		"token": "legacy-verification-token", "team_id": f.opts.TeamID, "api_app_id": "A0LOOKOUT",
		"event": ev, "type": "event_callback", "event_id": eventID, "event_time": time.Now().Unix(),
		"authorizations": []obj{{"team_id": f.opts.TeamID, "user_id": f.opts.BotUserID, "is_bot": true}},
	})
	return b
}

// ChannelType is the channel_type Slack reports for a conversation id.
func ChannelType(channel string) string {
	switch {
	case strings.HasPrefix(channel, "D"):
		return "im"
	case strings.HasPrefix(channel, "G"):
		return "group"
	}
	return "channel"
}

// Mention returns "<@user>", as Slack writes a mention in message text.
func Mention(user string) string { return "<@" + user + ">" }

// InnerEvent is the body of an event_callback delivery of any inner event
// (given whole, "type" included) with eventID.
func (f *Fake) InnerEvent(eventID string, event map[string]any) []byte {
	b, _ := json.Marshal(obj{
		"token": "legacy-verification-token", "team_id": f.opts.TeamID, "api_app_id": "A0LOOKOUT",
		"event": event, "type": "event_callback", "event_id": eventID, "event_time": time.Now().Unix(),
		"authorizations": []obj{{"team_id": f.opts.TeamID, "user_id": f.opts.BotUserID, "is_bot": true}},
	})
	return b
}

// AppHomeOpened is user opening the app's Home tab.
func (f *Fake) AppHomeOpened(eventID, user string) []byte {
	return f.InnerEvent(eventID, obj{"type": "app_home_opened", "user": user, "channel": "D" + user,
		"tab": "home", "event_ts": f.NextTS()})
}

// LinkShared is user posting links in message m (m.Channel, m.TS; add
// the message first): Slack's link_shared for the links of its domains.
func (f *Fake) LinkShared(eventID, user string, m Message, links ...string) []byte {
	ls := make([]obj, len(links))
	for i, l := range links {
		host := l
		if u, err := url.Parse(l); err == nil {
			host = u.Hostname()
		}
		ls[i] = obj{"domain": host, "url": l}
	}
	ev := obj{"type": "link_shared", "user": user, "channel": m.Channel, "message_ts": m.TS,
		"unfurl_id": m.Channel + "." + m.TS + ".unfurl", "source": "conversations_history", "links": ls,
		"event_ts": f.NextTS(), "is_bot_user_member": true}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
	}
	return f.InnerEvent(eventID, ev)
}

// AssistantThreadStarted is user opening the app's assistant thread
// thread in DM channel, while viewing contextChannel.
func (f *Fake) AssistantThreadStarted(eventID, user, channel, thread, contextChannel string) []byte {
	return f.InnerEvent(eventID, obj{"type": "assistant_thread_started", "event_ts": f.NextTS(),
		"assistant_thread": obj{"user_id": user, "channel_id": channel, "thread_ts": thread,
			"context": obj{"channel_id": contextChannel, "team_id": f.opts.TeamID}}})
}
