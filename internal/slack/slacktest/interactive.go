package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Interactivity (block_actions payloads) and slash commands, as Slack
// sends them: form-encoded, signed like events. A click is built from what
// the user actually sees (a message's, an ephemeral message's or the Home
// tab's blocks): a test cannot click a button the bot did not show.

// SignedForm is a POST of form to url, signed now with secret, as Slack
// delivers interactivity payloads and slash commands.
func SignedForm(url, secret string, form url.Values) *http.Request {
	body := []byte(form.Encode())
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err) // a test's URL is wrong
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, now, body))
	return req
}

// Payload returns the JSON of an interactivity form (its payload field):
// what Socket Mode delivers in an interactive envelope.
func Payload(form url.Values) []byte { return []byte(form.Get("payload")) }

func (f *Fake) triggerID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return fmt.Sprintf("%d.%d.%08x", 1000+f.seq, time.Now().Unix(), f.seq*2654435761)
}

// Click is user clicking the button action_id of message m (a message the
// bot posted, as Messages returns it).
func (f *Fake) Click(user string, m Message, actionID string) (url.Values, error) {
	return f.act(user, m, actionID, "")
}

// Choose is user picking the option value of the overflow menu or select
// action_id of message m.
func (f *Fake) Choose(user string, m Message, actionID, value string) (url.Values, error) {
	return f.act(user, m, actionID, value)
}

func (f *Fake) act(user string, m Message, actionID, value string) (url.Values, error) {
	action, err := findAction(m.Blocks, actionID, value)
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", m.TS, err)
	}
	msg := messageJSON(m, false)
	return f.payload(user, obj{
		"container":    obj{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false},
		"channel":      obj{"id": m.Channel, "name": "channel-" + m.Channel},
		"message":      msg,
		"response_url": f.ResponseURL(m.Channel, user),
	}, action), nil
}

// ClickEphemeral is user clicking action_id (picking value, for a menu) of
// an ephemeral message they see. Slack does not send the message itself
// for those: the response URL is the way to change it.
func (f *Fake) ClickEphemeral(user string, e Ephemeral, actionID, value string) (url.Values, error) {
	action, err := findAction(e.Blocks, actionID, value)
	if err != nil {
		return nil, fmt.Errorf("ephemeral message %s: %w", e.TS, err)
	}
	respURL := e.ResponseURL
	if respURL == "" {
		respURL = f.ResponseURL(e.Channel, user)
	}
	return f.payload(user, obj{
		"container":    obj{"type": "message", "message_ts": e.TS, "channel_id": e.Channel, "is_ephemeral": true},
		"channel":      obj{"id": e.Channel, "name": "channel-" + e.Channel},
		"response_url": respURL,
	}, action), nil
}

// ClickHome is user clicking action_id (picking value, for a menu) on
// their Home tab as last published.
func (f *Fake) ClickHome(user, actionID, value string) (url.Values, error) {
	blocks := f.HomeView(user)
	action, err := findAction(blocks, actionID, value)
	if err != nil {
		return nil, fmt.Errorf("home tab of %s: %w", user, err)
	}
	return f.payload(user, obj{
		"container": obj{"type": "view", "view_id": "V" + user},
		"view":      obj{"id": "V" + user, "type": "home", "blocks": json.RawMessage(orEmpty(blocks))},
	}, action), nil
}

func orEmpty(blocks string) string {
	if blocks == "" {
		return "[]"
	}
	return blocks
}

func (f *Fake) payload(user string, fields obj, action obj) url.Values {
	p := obj{
		"type": "block_actions", "token": "legacy-verification-token", "api_app_id": "A0LOOKOUT",
		"team":       obj{"id": f.opts.TeamID, "domain": "slacktest"},
		"user":       obj{"id": user, "username": "user-" + user, "name": "user-" + user, "team_id": f.opts.TeamID},
		"trigger_id": f.triggerID(),
		"actions":    []obj{action},
		"state":      obj{"values": obj{}},
	}
	for k, v := range fields {
		p[k] = v
	}
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}
}

// findAction finds the interactive element action_id in blocks and
// returns the action Slack reports for it (value must name an option of a
// menu; "" for a button).
func findAction(blocksJSON, actionID, value string) (obj, error) {
	var blocks []map[string]any
	if blocksJSON != "" {
		if err := json.Unmarshal([]byte(blocksJSON), &blocks); err != nil {
			return nil, err
		}
	}
	for _, b := range blocks {
		var elems []any
		if acc, ok := b["accessory"]; ok {
			elems = append(elems, acc)
		}
		if es, ok := b["elements"].([]any); ok && b["type"] == "actions" {
			elems = append(elems, es...)
		}
		for _, e := range elems {
			em, _ := e.(map[string]any)
			if em["action_id"] != actionID {
				continue
			}
			blockID, _ := b["block_id"].(string)
			a := obj{"action_id": actionID, "block_id": blockID, "type": em["type"],
				"action_ts": strconv.FormatFloat(float64(time.Now().UnixMicro())/1e6, 'f', 6, 64)}
			switch em["type"] {
			case "button":
				a["text"], a["value"] = em["text"], em["value"]
				return a, nil
			case "overflow", "static_select":
				opts, _ := em["options"].([]any)
				for _, o := range opts {
					om, _ := o.(map[string]any)
					if om["value"] == value {
						a["selected_option"] = om
						return a, nil
					}
				}
				return nil, fmt.Errorf("%s has no option %q", actionID, value)
			}
			return nil, fmt.Errorf("%s is a %v, which lookout does not click", actionID, em["type"])
		}
	}
	return nil, fmt.Errorf("no element %q is shown", actionID)
}

// SlashCommand is the form Slack posts when user types "command text" in
// channel, with a fresh response URL and trigger id.
func (f *Fake) SlashCommand(user, channel, command, text string) url.Values {
	return url.Values{
		"token": {"legacy-verification-token"}, "team_id": {f.opts.TeamID}, "team_domain": {"slacktest"},
		"channel_id": {channel}, "channel_name": {"channel-" + channel}, "user_id": {user}, "user_name": {"user-" + user},
		"command": {command}, "text": {text}, "api_app_id": {"A0LOOKOUT"}, "is_enterprise_install": {"false"},
		"response_url": {f.ResponseURL(channel, user)}, "trigger_id": {f.triggerID()},
	}
}

// SlashCommandJSON is a slash command form as Socket Mode delivers it: a
// JSON object of the same fields.
func SlashCommandJSON(form url.Values) []byte {
	o := obj{}
	for k := range form {
		o[k] = form.Get(k)
	}
	b, _ := json.Marshal(o)
	return b
}
