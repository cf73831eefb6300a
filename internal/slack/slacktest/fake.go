// Package slacktest is a fake Slack for tests: the Web API methods lookout
// calls, response URLs, a Socket Mode WebSocket endpoint, and helpers that
// build and sign Events API, interactivity and slash command requests the
// way Slack does.
//
// The fake records every Web API call (method, parameters, token) so tests
// assert on what Slack would have received, keeps the messages of each
// conversation (those the test adds as users' messages and those the bot
// posts, updates or deletes, with their metadata and blocks) to answer
// conversations.replies and conversations.history, keeps what only one
// user sees (ephemeral messages, response URL answers, each user's Home
// tab) and the unfurls the bot attached, and fails methods on request:
// with Slack's error codes (Fail), or at the HTTP level with a 5xx or a 429
// and Retry-After, before or after acting on the call (FailHTTP).
//
// Like Slack, it refuses blocks that break a documented Block Kit limit
// (invalid_blocks, see package blockkit), so every test that makes the bot
// post blocks checks them against the limits.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/slack/blockkit"
)

// Defaults of Options.
const (
	DefaultBotToken  = "xoxb-slacktest-bot-token"
	DefaultAppToken  = "xapp-slacktest-app-token"
	DefaultTeamID    = "T0TEST"
	DefaultBotUserID = "U0BOT"
	DefaultBotID     = "B0BOT"
	// DefaultSigningSecret is a signing secret for tests to share between
	// the bot and the request builders.
	DefaultSigningSecret = "slacktest-signing-secret-0123456789abcdef"
)

// Options configures a Fake; zero fields take the defaults above.
type Options struct {
	BotToken  string
	AppToken  string // Socket Mode: apps.connections.open wants it
	TeamID    string
	BotUserID string // the bot's user id (auth.test user_id)
	BotID     string // the bot's bot id (bot_id of its messages)
	// UserNames are the display names users.info reports, by user id;
	// users not listed are "user-<id>".
	UserNames map[string]string
}

// Call is one Web API call the fake received.
type Call struct {
	Method string     // e.g. "chat.postMessage"
	Params url.Values // form, query or JSON body fields, without "token"
	Token  string     // the token it carried (Authorization header or token field)
	Time   time.Time
	Error  string // the Slack error code answered; "" when ok
}

// Get returns one parameter.
func (c Call) Get(key string) string { return c.Params.Get(key) }

// Message is a message in a conversation.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // "" for a top-level message
	User     string
	BotID    string // set on the bot's own messages
	SubType  string
	Text     string
	// Metadata is the message metadata the bot attached (chat.postMessage
	// or chat.update), as JSON; "" for none. Slack returns it only to
	// callers that ask with include_all_metadata.
	Metadata string
	// Blocks are the message's blocks as JSON; "" for none.
	Blocks string
	// Edits counts chat.update calls on the message.
	Edits int
}

// Fake is a fake Slack Web API. All methods are safe for concurrent use.
type Fake struct {
	// URL is the Web API base URL, ending with "/": SLACK_API_URL.
	URL  string
	opts Options

	mu         sync.Mutex
	calls      []Call
	messages   []Message
	ephemerals []Ephemeral
	homes      map[string]string // user -> the Home tab view's blocks
	unfurls    []Unfurl
	responses  map[string]*responseURL
	failures   map[string]*failure
	httpFail   map[string]*httpFailure
	hook       func(Call)
	lastTS     int64 // microseconds of the newest ts handed out
	seq        int
	socket     *socketServer
}

type failure struct {
	code string
	left int // -1: every call
}

// httpFailure is an HTTP-level failure of a method (see FailHTTP).
type httpFailure struct {
	status     int
	retryAfter string // Retry-After header; "" for none
	accept     bool   // act on the call first, then fail the response
	left       int    // -1: every call
}

// New returns a fake; mount it yourself or use NewServer.
func New(opts Options) *Fake {
	if opts.BotToken == "" {
		opts.BotToken = DefaultBotToken
	}
	if opts.AppToken == "" {
		opts.AppToken = DefaultAppToken
	}
	if opts.TeamID == "" {
		opts.TeamID = DefaultTeamID
	}
	if opts.BotUserID == "" {
		opts.BotUserID = DefaultBotUserID
	}
	if opts.BotID == "" {
		opts.BotID = DefaultBotID
	}
	f := &Fake{opts: opts, failures: map[string]*failure{}, httpFail: map[string]*httpFailure{},
		homes: map[string]string{}, responses: map[string]*responseURL{}}
	f.socket = newSocketServer(f)
	return f
}

// NewServer serves a fake on an httptest server closed when t ends. Its
// Web API is at f.URL and its Socket Mode endpoint is handed out by
// apps.connections.open.
func NewServer(t testing.TB, opts Options) *Fake {
	t.Helper()
	f := New(opts)
	srv := httptest.NewServer(f)
	f.URL = srv.URL + "/api/"
	f.socket.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket"
	t.Cleanup(func() {
		f.socket.closeAll()
		srv.Close()
	})
	return f
}

// Options returns the fake's options with defaults filled in.
func (f *Fake) Options() Options { return f.opts }

// ServeHTTP serves /api/<method> and /socket.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/socket" {
		f.socket.serve(w, r)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/response/"); ok {
		f.serveResponse(w, r, id)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || method == "" {
		http.NotFound(w, r)
		return
	}
	params, token, err := readParams(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := Call{Method: method, Params: params, Token: token, Time: time.Now()}
	hf := f.takeHTTPFailure(method)
	var resp obj
	if hf == nil || hf.accept {
		resp = f.answer(&call)
	}
	if hf != nil {
		call.Error = "http_" + strconv.Itoa(hf.status)
		if hf.accept {
			call.Error += "_after_acting"
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook(call)
	}
	if hf != nil {
		if hf.retryAfter != "" {
			w.Header().Set("Retry-After", hf.retryAfter)
		}
		// Slack sends an HTML page with its 5xx answers.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(hf.status)
		fmt.Fprintf(w, "<html><body>%d %s</body></html>", hf.status, http.StatusText(hf.status))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(resp)
}

// takeHTTPFailure uses up one HTTP-level failure of method, if any.
func (f *Fake) takeHTTPFailure(method string) *httpFailure {
	f.mu.Lock()
	defer f.mu.Unlock()
	hf := f.httpFail[method]
	if hf == nil || hf.left == 0 {
		return nil
	}
	if hf.left > 0 {
		hf.left--
	}
	return hf
}

// readParams reads a call's parameters from the query, a form body or a
// JSON body, and takes the token out of them.
func readParams(r *http.Request) (url.Values, string, error) {
	params := url.Values{}
	for k, v := range r.URL.Query() {
		params[k] = append(params[k], v...)
	}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, "", err
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var m map[string]any
			if len(body) > 0 {
				if err := json.Unmarshal(body, &m); err != nil {
					return nil, "", fmt.Errorf("invalid JSON body: %w", err)
				}
			}
			for k, v := range m {
				switch v := v.(type) {
				case string:
					params.Set(k, v)
				default:
					b, _ := json.Marshal(v)
					params.Set(k, string(b))
				}
			}
		} else {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, "", fmt.Errorf("invalid form body: %w", err)
			}
			for k, v := range form {
				params[k] = append(params[k], v...)
			}
		}
	}
	token := params.Get("token")
	params.Del("token")
	if scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "bearer") {
		token = strings.TrimSpace(t)
	}
	return params, token, nil
}

type obj = map[string]any

func slackError(code string) obj { return obj{"ok": false, "error": code} }

// answer computes the response to call and sets call.Error.
func (f *Fake) answer(call *Call) obj {
	resp := f.dispatch(call)
	if ok, _ := resp["ok"].(bool); !ok {
		call.Error, _ = resp["error"].(string)
	}
	return resp
}

func (f *Fake) dispatch(call *Call) obj {
	f.mu.Lock()
	defer f.mu.Unlock()
	wantToken := f.opts.BotToken
	if call.Method == "apps.connections.open" {
		wantToken = f.opts.AppToken
	}
	switch {
	case call.Token == "":
		return slackError("not_authed")
	case call.Token != wantToken:
		return slackError("invalid_auth")
	}
	if fl := f.failures[call.Method]; fl != nil && fl.left != 0 {
		if fl.left > 0 {
			fl.left--
		}
		return slackError(fl.code)
	}
	p := call.Params
	switch call.Method {
	case "auth.test":
		return obj{"ok": true, "url": "https://slacktest.example/", "team": "Slacktest", "user": "lookout",
			"team_id": f.opts.TeamID, "user_id": f.opts.BotUserID, "bot_id": f.opts.BotID}
	case "chat.postMessage":
		if p.Get("channel") == "" {
			return slackError("channel_not_found")
		}
		if p.Get("text") == "" && p.Get("blocks") == "" {
			return slackError("no_text")
		}
		meta, err := checkMetadata(p.Get("metadata"))
		if err != "" {
			return slackError(err)
		}
		blocks, problem := checkBlocks(p.Get("blocks"), blockkit.Message)
		if problem != nil {
			return problem
		}
		m := Message{Channel: p.Get("channel"), TS: f.nextTS(), ThreadTS: p.Get("thread_ts"),
			User: f.opts.BotUserID, BotID: f.opts.BotID, Text: p.Get("text"), Metadata: meta, Blocks: blocks}
		if m.ThreadTS != "" && !f.hasMessage(m.Channel, m.ThreadTS) {
			return slackError("thread_not_found")
		}
		f.messages = append(f.messages, m)
		return obj{"ok": true, "channel": m.Channel, "ts": m.TS, "message": messageJSON(m, true)}
	case "chat.update":
		i := f.botMessage(p.Get("channel"), p.Get("ts"))
		if i < 0 {
			return slackError("message_not_found")
		}
		if p.Get("text") == "" && p.Get("blocks") == "" {
			return slackError("no_text")
		}
		blocks, problem := checkBlocks(p.Get("blocks"), blockkit.Message)
		if problem != nil {
			return problem
		}
		if p.Has("metadata") {
			meta, err := checkMetadata(p.Get("metadata"))
			if err != "" {
				return slackError(err)
			}
			f.messages[i].Metadata = meta
		}
		f.messages[i].Text = p.Get("text")
		f.messages[i].Blocks = blocks
		f.messages[i].Edits++
		m := f.messages[i]
		return obj{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text, "message": messageJSON(m, true)}
	case "chat.delete":
		i := f.botMessage(p.Get("channel"), p.Get("ts"))
		if i < 0 {
			return slackError("message_not_found")
		}
		f.messages = slices.Delete(f.messages, i, i+1)
		return obj{"ok": true, "channel": p.Get("channel"), "ts": p.Get("ts")}
	case "chat.postEphemeral":
		if p.Get("channel") == "" {
			return slackError("channel_not_found")
		}
		if p.Get("user") == "" {
			return slackError("user_not_found")
		}
		if p.Get("text") == "" && p.Get("blocks") == "" {
			return slackError("no_text")
		}
		blocks, problem := checkBlocks(p.Get("blocks"), blockkit.Message)
		if problem != nil {
			return problem
		}
		e := Ephemeral{Channel: p.Get("channel"), User: p.Get("user"), ThreadTS: p.Get("thread_ts"), TS: f.nextTS(),
			Text: p.Get("text"), Blocks: blocks}
		f.ephemerals = append(f.ephemerals, e)
		return obj{"ok": true, "message_ts": e.TS}
	case "views.publish":
		return f.publish(p)
	case "chat.unfurl":
		return f.unfurl(p)
	case "assistant.threads.setStatus", "assistant.threads.setSuggestedPrompts", "assistant.threads.setTitle":
		if p.Get("channel_id") == "" || p.Get("thread_ts") == "" {
			return slackError("invalid_arguments")
		}
		return obj{"ok": true}
	case "conversations.open":
		users := p.Get("users")
		if users == "" || strings.Contains(users, ",") {
			return slackError("users_list_not_supplied")
		}
		return obj{"ok": true, "channel": obj{"id": "D" + strings.TrimPrefix(users, "U"), "is_im": true}}
	case "users.info":
		id := p.Get("user")
		if id == "" {
			return slackError("user_not_found")
		}
		name := f.opts.UserNames[id]
		if name == "" {
			name = "user-" + id
		}
		return obj{"ok": true, "user": obj{"id": id, "team_id": f.opts.TeamID, "name": strings.ToLower(name),
			"real_name": name, "profile": obj{"display_name": name, "real_name": name}}}
	case "conversations.replies":
		return f.replies(p)
	case "conversations.history":
		return f.history(p)
	case "apps.connections.open":
		if f.socket.url == "" {
			return slackError("socket_mode_not_served")
		}
		return obj{"ok": true, "url": f.socket.url}
	}
	return slackError("unknown_method")
}

// checkMetadata validates a metadata parameter as Slack does and returns it
// compacted, or a Slack error code.
func checkMetadata(raw string) (string, string) {
	if raw == "" {
		return "", ""
	}
	var md struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if err := json.Unmarshal([]byte(raw), &md); err != nil || md.EventType == "" || md.EventPayload == nil {
		return "", "invalid_metadata_format"
	}
	b, _ := json.Marshal(md)
	return string(b), ""
}

// botMessage is the index of the bot's own message channel/ts, or -1:
// chat.update and chat.delete act on the app's own messages only.
func (f *Fake) botMessage(channel, ts string) int {
	return slices.IndexFunc(f.messages, func(m Message) bool {
		return m.Channel == channel && m.TS == ts && m.BotID == f.opts.BotID
	})
}

func (f *Fake) hasMessage(channel, ts string) bool {
	return slices.ContainsFunc(f.messages, func(m Message) bool { return m.Channel == channel && m.TS == ts })
}

func (f *Fake) replies(p url.Values) obj {
	channel, ts := p.Get("channel"), p.Get("ts")
	if channel == "" {
		return slackError("channel_not_found")
	}
	if !f.hasMessage(channel, ts) {
		return slackError("thread_not_found")
	}
	meta := truthy(p.Get("include_all_metadata"))
	var out []obj
	for _, m := range f.sorted() {
		if m.Channel == channel && (m.TS == ts || m.ThreadTS == ts) {
			out = append(out, messageJSON(m, meta))
		}
	}
	return obj{"ok": true, "messages": out, "has_more": false}
}

func (f *Fake) history(p url.Values) obj {
	channel := p.Get("channel")
	if channel == "" {
		return slackError("channel_not_found")
	}
	oldest, latest := p.Get("oldest"), p.Get("latest")
	inclusive := truthy(p.Get("inclusive"))
	meta := truthy(p.Get("include_all_metadata"))
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 {
		limit = 100
	}
	var out []obj
	ms := f.sorted()
	slices.Reverse(ms) // newest first, as Slack answers
	for _, m := range ms {
		if m.Channel != channel || (m.ThreadTS != "" && m.ThreadTS != m.TS) {
			continue
		}
		if oldest != "" && (CompareTS(m.TS, oldest) < 0 || (!inclusive && m.TS == oldest)) {
			continue
		}
		if latest != "" && (CompareTS(m.TS, latest) > 0 || (!inclusive && m.TS == latest)) {
			continue
		}
		if len(out) == limit {
			return obj{"ok": true, "messages": out, "has_more": true}
		}
		out = append(out, messageJSON(m, meta))
	}
	return obj{"ok": true, "messages": out, "has_more": false}
}

func truthy(v string) bool { return v == "1" || v == "true" }

func messageJSON(m Message, withMetadata bool) obj {
	o := obj{"type": "message", "ts": m.TS, "text": m.Text}
	if m.Blocks != "" {
		o["blocks"] = json.RawMessage(m.Blocks)
	}
	if m.User != "" {
		o["user"] = m.User
	}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if m.BotID != "" {
		o["bot_id"] = m.BotID
	}
	if m.SubType != "" {
		o["subtype"] = m.SubType
	}
	if withMetadata && m.Metadata != "" {
		o["metadata"] = json.RawMessage(m.Metadata)
	}
	return o
}

func (f *Fake) sorted() []Message {
	ms := slices.Clone(f.messages)
	slices.SortStableFunc(ms, func(a, b Message) int { return CompareTS(a.TS, b.TS) })
	return ms
}

// nextTS hands out increasing message timestamps near the current time, in
// Slack's "seconds.micros" form. Callers hold f.mu.
func (f *Fake) nextTS() string {
	us := time.Now().UnixMicro()
	if us <= f.lastTS {
		us = f.lastTS + 1
	}
	f.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// NextTS returns a fresh timestamp, later than every message so far, for
// a message the test is about to send as a user.
func (f *Fake) NextTS() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nextTS()
}

// CompareTS compares two Slack timestamps ("seconds.micros") numerically.
func CompareTS(a, b string) int {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		if ai < bi {
			return -1
		}
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

// AddMessage stores a message as if a user had posted it (give it a TS
// from NextTS, or leave TS empty for a fresh one) and returns it.
func (f *Fake) AddMessage(m Message) Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.TS == "" {
		m.TS = f.nextTS()
	}
	f.messages = append(f.messages, m)
	return m
}

// Messages returns the messages of a thread (root and replies, oldest
// first); threadTS "" returns the channel's top-level messages.
func (f *Fake) Messages(channel, threadTS string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.sorted() {
		if m.Channel != channel {
			continue
		}
		if threadTS == "" && (m.ThreadTS == "" || m.ThreadTS == m.TS) ||
			threadTS != "" && (m.TS == threadTS || m.ThreadTS == threadTS) {
			out = append(out, m)
		}
	}
	return out
}

// BotMessages returns what the bot posted in a thread (threadTS "" for
// top-level messages), oldest first.
func (f *Fake) BotMessages(channel, threadTS string) []Message {
	var out []Message
	for _, m := range f.Messages(channel, threadTS) {
		if m.BotID != "" && m.TS != threadTS {
			out = append(out, m)
		}
	}
	return out
}

// Calls returns the calls received so far, in order; with methods, only
// the calls of those methods.
func (f *Fake) Calls(methods ...string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			c.Params = cloneValues(c.Params)
			out = append(out, c)
		}
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// Fail makes the next `times` calls of method answer {"ok":false,"error":
// code} (times <= 0: every call until Fail(method, "", 0)).
func (f *Fake) Fail(method, code string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == "" {
		delete(f.failures, method)
		return
	}
	if times <= 0 {
		times = -1
	}
	f.failures[method] = &failure{code: code, left: times}
}

// FailHTTP makes the next `times` calls of method fail at the HTTP level
// with status (times <= 0: every call until FailHTTP(method, 0, ...)): a
// 5xx, or 429 with retryAfter as its Retry-After header (seconds; "" for
// none). With accept, the fake acts on the call first (the message is
// posted) and only the response is lost, as when Slack times out after
// doing the work.
func (f *Fake) FailHTTP(method string, status int, retryAfter string, accept bool, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if status == 0 {
		delete(f.httpFail, method)
		return
	}
	if times <= 0 {
		times = -1
	}
	f.httpFail[method] = &httpFailure{status: status, retryAfter: retryAfter, accept: accept, left: times}
}

// OnCall sets a hook run for every call after it was answered and
// recorded, before the response is written: a test can look at its own
// state at the moment Slack received the call. nil removes it.
func (f *Fake) OnCall(hook func(Call)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = hook
}
