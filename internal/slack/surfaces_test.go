package slack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// Helpers of the tests of the surfaces beyond questions: the Home tab,
// cards and their buttons, slash commands, unfurls, assistant threads.

const (
	carol          = "UCAROL" // Sentry user 3: an account in no organization
	triageScope    = "event:write"
	interactiveURL = InteractivePath
)

var carolPrincipal = Principal(team, carol)

// triageScopes are the read scopes and event:write.
func triageScopes() []string { return append(append([]string{}, BaseScopes...), triageScope) }

// withTriage turns the cards' buttons on.
func withTriage(c *Config) { c.Triage = true }

// interact posts an interactivity form (a click) signed, and wants a 200.
func (h *harness) interact(form url.Values, err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("the click cannot be made: %v", err)
	}
	resp, body := h.post(slacktest.SignedForm(h.base+interactiveURL, secret, form))
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("click: %d %s", resp.StatusCode, body)
	}
}

// slash types "/sentry text" as user in ch and returns the immediate
// answer.
func (h *harness) slash(user, ch, text string) slashAck {
	h.t.Helper()
	resp, body := h.post(slacktest.SignedForm(h.base+CommandsPath, secret, h.slack.SlashCommand(user, ch, "/sentry", text)))
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("slash command: %d %s", resp.StatusCode, body)
	}
	var ack slashAck
	if err := json.Unmarshal([]byte(body), &ack); err != nil {
		h.t.Fatalf("slash command answer %q: %v", body, err)
	}
	return ack
}

// event delivers an event_callback body, signed, and wants a 200.
func (h *harness) event(body []byte) {
	h.t.Helper()
	resp, got := h.post(slacktest.SignedRequest(h.webhook(), secret, body))
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("event delivery: %d %s", resp.StatusCode, got)
	}
}

// openHome is user opening the Home tab; it returns the view once the
// bots are done.
func (h *harness) openHome(user string) string {
	h.t.Helper()
	h.event(h.slack.AppHomeOpened(h.eventID(), user))
	h.quiet()
	view := h.slack.HomeView(user)
	if view == "" {
		h.t.Fatalf("no Home tab was published for %s", user)
	}
	return unescaped([]byte(view))
}

// answer asks (mentions the bot in a channel) and returns the bot's answer
// once the bots are done.
func (h *harness) answer(user, text string) slacktest.Message {
	h.t.Helper()
	q := h.mention(user, channel, "", text)
	h.quiet()
	msgs := h.slack.BotMessages(channel, q.TS)
	if len(msgs) == 0 {
		h.t.Fatalf("no answer to %q", text)
	}
	return msgs[len(msgs)-1]
}

// card returns the bot's message ts in the channel (as Slack shows it
// now, blocks included).
func (h *harness) card(ts string) slacktest.Message {
	h.t.Helper()
	for _, m := range h.slack.Messages(channel, "") {
		if m.TS == ts {
			return m
		}
	}
	for _, top := range h.slack.Messages(channel, "") {
		for _, m := range h.slack.Messages(channel, top.TS) {
			if m.TS == ts {
				return m
			}
		}
	}
	h.t.Fatalf("no message %s", ts)
	return slacktest.Message{}
}

// puts returns the users (by Sentry user id) of the issue changes the fake
// Sentry answered with a 2xx.
func (h *harness) puts() []string {
	var out []string
	for _, r := range h.sentry.Requests() {
		if r.Method == http.MethodPut && strings.Contains(r.Path, "/issues/") && r.Status/100 == 2 {
			out = append(out, r.UserID)
		}
	}
	return out
}

// issueStatus reads an issue's status from Sentry as alice.
func (h *harness) issueStatus(org, issue string) (status, assignee string) {
	h.t.Helper()
	tok := h.sentry.IssueToken(sentrytest.AliceID, BaseScopes, 0)
	req, _ := http.NewRequest(http.MethodGet, h.sentry.URL+"/api/0/organizations/"+org+"/issues/"+issue+"/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := h.sentry.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var is struct {
		Status     string `json:"status"`
		AssignedTo *struct {
			Email string `json:"email"`
		} `json:"assignedTo"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&is); err != nil {
		h.t.Fatal(err)
	}
	if is.AssignedTo != nil {
		assignee = is.AssignedTo.Email
	}
	return is.Status, assignee
}

// privateTo returns the texts user alone saw (ephemeral messages and
// response URL answers), in order.
func (h *harness) privateTo(user string) []string {
	var out []string
	for _, e := range h.slack.Ephemerals(user) {
		out = append(out, e.Text+" "+unescaped([]byte(e.Blocks)))
	}
	return out
}
