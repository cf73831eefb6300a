package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/slack/blockkit"
)

// What one user sees alone (ephemeral messages, response URL answers, the
// Home tab) and what the bot attaches to others' messages (unfurls).

// Ephemeral is a message only User sees: sent with chat.postEphemeral, or
// through a response URL (ResponseURL set).
type Ephemeral struct {
	Channel  string
	User     string // "" for a response URL answer: its URL names the user
	ThreadTS string
	TS       string
	Text     string
	Blocks   string // JSON; "" for none
	// ResponseURL is the response URL it was sent through; Replaced counts
	// the later answers that replaced it (replace_original).
	ResponseURL string
	Replaced    int
	// InChannel: a response URL answer everyone in the channel sees
	// (response_type in_channel); Slack's default is ephemeral.
	InChannel bool
}

// Unfurl is what chat.unfurl attached to a message's links.
type Unfurl struct {
	Channel string // "" when named by unfurl id
	TS      string
	// UnfurlID and Source name a link still being written (source
	// composer) or posted (conversations_history).
	UnfurlID string
	Source   string
	// Blocks by URL, as JSON.
	Blocks map[string]string
}

// responseURL is one response URL handed out: Slack takes up to five
// answers through it within 30 minutes.
type responseURL struct {
	channel string
	user    string
	created time.Time
	used    int
}

// Limits of a response URL (Slack's documentation for slash commands and
// interactivity).
const (
	ResponseURLUses     = 5
	ResponseURLLifetime = 30 * time.Minute
)

// checkBlocks validates a blocks parameter as Slack does: it returns the
// blocks compacted, or Slack's invalid_blocks answer naming the problems.
func checkBlocks(raw string, surface blockkit.Surface) (string, obj) {
	if raw == "" {
		return "", nil
	}
	if err := blockkit.Check(surface, []byte(raw)); err != nil {
		return "", obj{"ok": false, "error": "invalid_blocks", "errors": []string{err.Error()}}
	}
	var v any
	_ = json.Unmarshal([]byte(raw), &v)
	b, _ := json.Marshal(v)
	return string(b), nil
}

// publish is views.publish: the user's Home tab becomes the view.
func (f *Fake) publish(p map[string][]string) obj {
	get := func(k string) string {
		if v := p[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	user := get("user_id")
	if user == "" {
		return slackError("user_not_found")
	}
	var view struct {
		Type   string          `json:"type"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(get("view")), &view); err != nil || view.Type != "home" {
		return slackError("invalid_arguments")
	}
	blocks, problem := checkBlocks(string(view.Blocks), blockkit.View)
	if problem != nil {
		return problem
	}
	f.homes[user] = blocks
	return obj{"ok": true, "view": obj{"id": "V" + user, "type": "home", "blocks": json.RawMessage(blocks)}}
}

// unfurl is chat.unfurl.
func (f *Fake) unfurl(p map[string][]string) obj {
	get := func(k string) string {
		if v := p[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	u := Unfurl{Channel: get("channel"), TS: get("ts"), UnfurlID: get("unfurl_id"), Source: get("source"), Blocks: map[string]string{}}
	switch {
	case u.UnfurlID != "" && u.Source == "":
		return slackError("invalid_source")
	case u.UnfurlID == "" && (u.Channel == "" || u.TS == ""):
		return slackError("cannot_find_message")
	case u.UnfurlID == "" && !f.hasMessage(u.Channel, u.TS):
		return slackError("cannot_find_message")
	}
	var unfurls map[string]struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(get("unfurls")), &unfurls); err != nil || len(unfurls) == 0 {
		return slackError("invalid_unfurls_format")
	}
	for link, a := range unfurls {
		blocks, problem := checkBlocks(string(a.Blocks), blockkit.Message)
		if problem != nil {
			return problem
		}
		u.Blocks[link] = blocks
	}
	f.unfurls = append(f.unfurls, u)
	return obj{"ok": true}
}

// ResponseURL hands out a response URL for an interaction of user in
// channel, as Slack puts in a slash command or an interactive payload.
func (f *Fake) ResponseURL(channel, user string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := fmt.Sprintf("T%s/%d/r%08d", strings.TrimPrefix(f.opts.TeamID, "T"), f.seq, f.seq)
	f.responses[id] = &responseURL{channel: channel, user: user, created: time.Now()}
	return strings.TrimSuffix(f.URL, "/api/") + "/response/" + id
}

// serveResponse answers a POST to a response URL: a JSON message that
// replaces the last answer through that URL (replace_original), removes it
// (delete_original), or is added.
func (f *Fake) serveResponse(w http.ResponseWriter, r *http.Request, id string) {
	fail := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(slackError(code))
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "invalid_method")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		fail(http.StatusBadRequest, "invalid_payload")
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		fail(http.StatusBadRequest, "invalid_payload")
		return
	}
	url := "http://" + r.Host + r.URL.Path
	call := Call{Method: "response_url", Params: map[string][]string{"url": {url}, "body": {string(body)}}, Time: time.Now()}
	resp := f.respond(id, url, msg.Text, msg.Blocks, msg.ResponseType, msg.ThreadTS, msg.ReplaceOriginal, msg.DeleteOriginal)
	if ok, _ := resp["ok"].(bool); !ok {
		call.Error, _ = resp["error"].(string)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook(call)
	}
	if call.Error != "" {
		status := http.StatusBadRequest
		if call.Error == "expired_url" || call.Error == "used_url" {
			status = http.StatusNotFound
		}
		fail(status, call.Error)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(obj{"ok": true})
}

func (f *Fake) respond(id, url, text string, rawBlocks json.RawMessage, responseType, thread string, replace, del bool) obj {
	f.mu.Lock()
	defer f.mu.Unlock()
	ru := f.responses[id]
	switch {
	case ru == nil:
		return slackError("expired_url")
	case time.Since(ru.created) > ResponseURLLifetime:
		return slackError("expired_url")
	case ru.used >= ResponseURLUses:
		return slackError("used_url")
	}
	ru.used++
	if text == "" && len(rawBlocks) == 0 && !del {
		return slackError("no_text")
	}
	blocks, problem := checkBlocks(string(rawBlocks), blockkit.Message)
	if problem != nil {
		return problem
	}
	last := -1
	for i, e := range f.ephemerals {
		if e.ResponseURL == url {
			last = i
		}
	}
	switch {
	case del && last >= 0:
		f.ephemerals = slices.Delete(f.ephemerals, last, last+1)
	case del:
	case replace && last >= 0:
		e := &f.ephemerals[last]
		e.Text, e.Blocks, e.Replaced = text, blocks, e.Replaced+1
	default:
		f.ephemerals = append(f.ephemerals, Ephemeral{Channel: ru.channel, ThreadTS: thread, TS: f.nextTS(), Text: text,
			Blocks: blocks, ResponseURL: url, InChannel: responseType == "in_channel"})
	}
	return obj{"ok": true}
}

// Ephemerals returns the messages only one user saw, in order: those for
// user (chat.postEphemeral) and those sent through response URLs handed
// out for user. user "" returns all.
func (f *Fake) Ephemerals(user string) []Ephemeral {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Ephemeral
	for _, e := range f.ephemerals {
		owner := e.User
		if e.ResponseURL != "" {
			if ru := f.responses[responseID(e.ResponseURL)]; ru != nil {
				owner = ru.user
			}
		}
		if user == "" || owner == user {
			out = append(out, e)
		}
	}
	return out
}

func responseID(url string) string {
	_, id, _ := strings.Cut(url, "/response/")
	return id
}

// HomeView returns the blocks (JSON) of user's Home tab as last
// published, "" if none was.
func (f *Fake) HomeView(user string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.homes[user]
}

// Unfurls returns the chat.unfurl calls Slack accepted, in order.
func (f *Fake) Unfurls() []Unfurl {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.unfurls)
}
