package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/store"
)

// Interactivity and slash commands: Slack posts them form-encoded, signed
// like events, and wants an answer within 3 seconds. Like questions, each
// is recorded in the inbox before it is acknowledged and worked on by
// whichever replica claims it: a click or a command is carried out at
// least once, and (by what its handler saves and checks) never twice.

// Kinds of inbox item received here and from events.
const (
	// kindAction: a click on a card or the Home tab (block_actions).
	kindAction = "slack-action"
	// kindCommand: a slash command; its answers go to its user alone.
	kindCommand = "slack-command"
	// kindHome: publish a user's Home tab (app_home_opened, or their
	// connection changed).
	kindHome = "slack-home"
	// kindUnfurl: preview Sentry links a user posted (link_shared).
	kindUnfurl = "slack-unfurl"
	// kindAssistant: an assistant thread opened (assistant_thread_started):
	// suggest prompts.
	kindAssistant = "slack-assistant"
)

// actionReq is a click as an inbox item carries it (and a parked click
// keeps it until its user has consented).
type actionReq struct {
	Team      string `json:"team"`
	UserTeam  string `json:"user_team,omitempty"`
	User      string `json:"user"`
	ActionID  string `json:"action_id"`
	Value     string `json:"value,omitempty"` // the button's value, or the option picked
	TriggerID string `json:"trigger_id"`
	// Where it was clicked: a message (Channel, MessageTS, in ThreadTS),
	// an ephemeral message (Ephemeral), or the Home tab (Home).
	Channel   string `json:"channel,omitempty"`
	MessageTS string `json:"message_ts,omitempty"`
	ThreadTS  string `json:"thread_ts,omitempty"`
	Ephemeral bool   `json:"ephemeral,omitempty"`
	Home      bool   `json:"home,omitempty"`
	// ResponseURL answers the clicker (checked: a Slack URL).
	ResponseURL string `json:"response_url,omitempty"`
	// Text and Blocks are the message clicked, for changing it in place.
	Text   string          `json:"text,omitempty"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
}

func (a actionReq) principal() string {
	return Principal(orDefault(a.UserTeam, a.Team), a.User)
}

// message is where a private answer to the click goes: under the card.
func (a actionReq) message() message {
	return message{Team: a.Team, UserTeam: a.UserTeam, User: a.User, Channel: a.Channel, DM: isDM(a.Channel, ""),
		TS: a.MessageTS, ThreadTS: a.ThreadTS}
}

// slashReq is a slash command as an inbox item carries it.
type slashReq struct {
	Team        string `json:"team"`
	User        string `json:"user"`
	Channel     string `json:"channel"`
	Command     string `json:"command"`
	Text        string `json:"text"`
	ResponseURL string `json:"response_url,omitempty"`
	TriggerID   string `json:"trigger_id"`
}

func (s slashReq) message() message {
	return message{Team: s.Team, User: s.User, Channel: s.Channel, DM: isDM(s.Channel, ""), Text: plainText(s.Text, "", false), Slash: true}
}

// interaction is what lookout reads of an interactivity payload.
type interaction struct {
	Type        string `json:"type"`
	TriggerID   string `json:"trigger_id"`
	ResponseURL string `json:"response_url"`
	Team        struct {
		ID string `json:"id"`
	} `json:"team"`
	User struct {
		ID     string `json:"id"`
		TeamID string `json:"team_id"`
	} `json:"user"`
	Container struct {
		Type        string `json:"type"` // message, view, message_attachment
		MessageTS   string `json:"message_ts"`
		ChannelID   string `json:"channel_id"`
		IsEphemeral bool   `json:"is_ephemeral"`
	} `json:"container"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Message *struct {
		TS       string          `json:"ts"`
		ThreadTS string          `json:"thread_ts"`
		Text     string          `json:"text"`
		Blocks   json.RawMessage `json:"blocks"`
	} `json:"message"`
	Actions []struct {
		ActionID       string `json:"action_id"`
		Value          string `json:"value"`
		SelectedOption *struct {
			Value string `json:"value"`
		} `json:"selected_option"`
	} `json:"actions"`
}

// handleInteractive is POST /api/webhooks/slack/interactive (and
// /commands): interactivity payloads and slash commands, told apart by
// their fields. An interaction that could not be recorded gets a 500, so
// Slack shows its user that it failed; a slash command gets its answer
// (Slack shows a failed slash command as a cryptic error).
func (b *Bot) handleInteractive(w http.ResponseWriter, r *http.Request) {
	if b.cfg.SigningSecret == "" {
		http.Error(w, "Slack interactivity is not enabled on this lookout over HTTP (no SLACK_SIGNING_SECRET)", http.StatusNotFound)
		return
	}
	body, ok := b.signedBody(w, r, "an interactivity request")
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "body is not a form", http.StatusBadRequest)
		return
	}
	ctx, _ := requestid.Ensure(r.Context())
	switch {
	case form.Has("payload"):
		if err := b.receiveInteraction(ctx, []byte(form.Get("payload")), "events_api"); err != nil {
			b.log.ErrorContext(ctx, "slack: could not record a click; Slack shows the user it failed", "err", err)
			http.Error(w, "lookout could not record the click; try again"+requestid.Suffix(ctx), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	case form.Has("command"):
		ack := b.receiveCommand(ctx, slashOf(form), "events_api")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ack)
	default:
		http.Error(w, "neither an interactivity payload nor a slash command", http.StatusBadRequest)
	}
}

func slashOf(form url.Values) slashReq {
	return slashReq{Team: form.Get("team_id"), User: form.Get("user_id"), Channel: form.Get("channel_id"),
		Command: form.Get("command"), Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id")}
}

// slashAck is the immediate answer to a slash command.
type slashAck struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// receiveInteraction records the clicks of an interactivity payload
// that lookout acts on. Link buttons ("Open in Sentry", "Connect") need
// nothing: Slack opened the link. The error is the store's.
func (b *Bot) receiveInteraction(ctx context.Context, raw []byte, source string) error {
	var in interaction
	if err := json.Unmarshal(raw, &in); err != nil {
		b.log.Warn("slack: an interactivity payload that is not JSON", "source", source)
		return nil
	}
	if in.Type != "block_actions" || in.User.ID == "" || in.Team.ID == "" {
		b.log.Debug("slack: ignoring an interaction lookout does not handle", "type", in.Type)
		return nil
	}
	for i, act := range in.Actions {
		a := actionReq{Team: in.Team.ID, UserTeam: in.User.TeamID, User: in.User.ID, ActionID: act.ActionID, Value: act.Value,
			TriggerID: in.TriggerID, ResponseURL: b.checkResponseURL(in.ResponseURL)}
		if act.SelectedOption != nil {
			a.Value = act.SelectedOption.Value
		}
		if !b.actsOn(a) {
			continue
		}
		switch in.Container.Type {
		case "view":
			a.Home = true
		default:
			a.Channel = orDefault(in.Container.ChannelID, in.Channel.ID)
			a.MessageTS, a.Ephemeral = in.Container.MessageTS, in.Container.IsEphemeral
			if m := in.Message; m != nil {
				a.MessageTS, a.ThreadTS, a.Text, a.Blocks = orDefault(m.TS, a.MessageTS), m.ThreadTS, m.Text, m.Blocks
			}
		}
		payload, err := json.Marshal(a)
		if err != nil {
			return err
		}
		id := "slack-action:" + a.Team + ":" + orDefault(in.TriggerID, a.MessageTS+":"+a.User) + ":" + a.ActionID
		if i > 0 {
			id += ":" + strconv.Itoa(i)
		}
		log := b.log.With("source", source, "principal", a.principal(), "action", a.ActionID)
		log.Info("slack: click")
		if err := b.record(ctx, store.InboxItem{ID: id, Kind: kindAction, Payload: payload}, log); err != nil {
			return err
		}
	}
	return nil
}

// actsOn reports whether a click needs lookout to do something.
func (b *Bot) actsOn(a actionReq) bool {
	switch a.ActionID {
	case actionOpen, actionHomeConnect:
		return false // link buttons
	case actionMenu:
		var v issueAction
		return json.Unmarshal([]byte(a.Value), &v) == nil && v.Verb != verbOpen
	}
	return strings.HasPrefix(a.ActionID, "lookout.")
}

// receiveCommand records a slash command and returns the immediate
// answer its user sees (only them).
func (b *Bot) receiveCommand(ctx context.Context, s slashReq, source string) slashAck {
	s.ResponseURL = b.checkResponseURL(s.ResponseURL)
	log := b.log.With("source", source, "principal", Principal(s.Team, s.User), "channel", s.Channel, "command", s.Command)
	if s.Team == "" || s.User == "" || s.Channel == "" {
		log.Warn("slack: a slash command without team, user or channel")
		return slashAck{ResponseType: "ephemeral", Text: "Slack sent this command without saying who and where; try again."}
	}
	payload, err := json.Marshal(s)
	if err == nil {
		id := "slack-cmd:" + s.Team + ":" + orDefault(s.TriggerID, s.Channel+":"+s.User+":"+s.Text)
		log.Info("slack: slash command")
		err = b.record(ctx, store.InboxItem{ID: id, Kind: kindCommand, Payload: payload}, log)
	}
	if err != nil {
		log.ErrorContext(ctx, "slack: could not record a slash command", "err", err)
		return slashAck{ResponseType: "ephemeral", Text: "I couldn't take your command right now. Try again in a minute" + requestid.Suffix(ctx) + "."}
	}
	return slashAck{ResponseType: "ephemeral", Text: workingText + " (only you can see this)"}
}

// responseHosts are the hosts of Slack's response URLs.
var responseHosts = map[string]bool{"hooks.slack.com": true, "hooks.slack-gov.com": true}

// checkResponseURL returns u if it is one of Slack's response URLs (or
// on the configured Web API host: tests, air-gapped installs), else "":
// lookout posts answers there, so it must not be a URL of anyone's choosing.
func (b *Bot) checkResponseURL(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.User != nil || p.Host == "" {
		return ""
	}
	if p.Scheme == "https" && responseHosts[strings.ToLower(p.Host)] {
		return u
	}
	if api, err := url.Parse(b.cfg.APIURL); err == nil && p.Scheme == api.Scheme && strings.EqualFold(p.Host, api.Host) {
		return u
	}
	b.log.Warn("slack: ignoring a response URL that is not Slack's", "host", p.Host)
	return ""
}
