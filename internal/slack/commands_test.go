package slack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// stateID returns the id of the state a connect link names (the signed
// token's payload), to tell a reused link from a new one.
func stateID(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(u.Query().Get("s"), ".")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var env struct {
		D struct {
			ID string `json:"id"`
		} `json:"d"`
	}
	if !ok || err != nil || json.Unmarshal(raw, &env) != nil || env.D.ID == "" {
		t.Fatalf("link %q does not carry a state id", link)
	}
	return env.D.ID
}

// TestCommands: "connect sentry" twice within ten minutes sends the same
// (pending) link, privately, even with a valid grant; "sentry status"
// says who the user is connected as; "disconnect sentry" drops the grant.
func TestCommands(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	n := h.running()

	h.mention(alice, channel, "", "connect sentry")
	h.mention(alice, channel, "", "Connect Sentry!")
	eph := h.waitCalls("chat.postEphemeral", 2)
	l1, l2 := h.linkIn(eph[0].Get("text")), h.linkIn(eph[1].Get("text"))
	if stateID(t, l1) != stateID(t, l2) {
		t.Errorf("second connect within 10 minutes made a new link:\n%s\n%s", l1, l2)
	}
	for _, e := range eph {
		if e.Get("user") != alice {
			t.Errorf("connect link sent to %q", e.Get("user"))
		}
	}
	h.consent(l2, sentrytest.AliceID)
	// The reused link was the same state: the first copy is spent too.
	if status, body := h.follow(l1); status != 400 || !strings.Contains(body, "already used") {
		t.Errorf("first copy of a reused link: %d", status)
	}

	h.mention(alice, channel, "", "sentry status")
	status := h.waitCalls("chat.postEphemeral", 3)[2]
	for _, want := range []string{"alice@example.com", "event:read", "org:read"} {
		if !strings.Contains(status.Get("text"), want) {
			t.Errorf("status lacks %q: %q", want, status.Get("text"))
		}
	}

	// With a valid grant, connect sends a (new) link to switch accounts.
	h.mention(alice, channel, "", "connect sentry")
	sw := h.waitCalls("chat.postEphemeral", 4)[3]
	if stateID(t, h.linkIn(sw.Get("text"))) == stateID(t, l1) || !strings.Contains(sw.Get("text"), "alice@example.com") {
		t.Errorf("connect while connected: %q", sw.Get("text"))
	}

	h.mention(alice, channel, "", "disconnect sentry")
	bye := h.waitCalls("chat.postEphemeral", 5)[4]
	if !strings.Contains(bye.Get("text"), "Disconnected") {
		t.Errorf("disconnect: %q", bye.Get("text"))
	}
	if _, err := n.vault.Status(context.Background(), alicePrincipal); !errors.Is(err, vault.ErrNoGrant) {
		t.Errorf("grant after disconnect: %v", err)
	}
	h.mention(alice, channel, "", "sentry status")
	st := h.waitCalls("chat.postEphemeral", 6)[5]
	if !strings.Contains(st.Get("text"), "not connected") {
		t.Errorf("status after disconnect: %q", st.Get("text"))
	}
	h.mention(alice, channel, "", "disconnect sentry")
	again := h.waitCalls("chat.postEphemeral", 7)[6]
	if !strings.Contains(again.Get("text"), "weren't connected") {
		t.Errorf("second disconnect: %q", again.Get("text"))
	}

	// Commands never post in the channel.
	for _, c := range h.slack.Calls("chat.postMessage") {
		t.Errorf("a command posted publicly: %q", c.Get("text"))
	}
	h.assertNoLeaks()
}

// TestCommandsInDM answer in the DM itself.
func TestCommandsInDM(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.running()
	h.say(alice, aliceDM, "", "sentry status")
	msgs := h.waitBot(aliceDM, "", 1)
	if !strings.Contains(msgs[0].Text, "not connected") {
		t.Errorf("status in DM: %q", msgs[0].Text)
	}
	if eph := h.slack.Calls("chat.postEphemeral"); len(eph) != 0 {
		t.Errorf("ephemeral in a DM: %v", eph)
	}
}

func TestParseCommand(t *testing.T) {
	for text, want := range map[string]string{
		"connect sentry": cmdConnect, "  Connect   Sentry. ": cmdConnect, "please reconnect sentry": cmdConnect,
		"disconnect sentry": cmdDisconnect, "Disconnect": cmdDisconnect,
		"sentry status": cmdStatus, "status?": cmdStatus,
		"connect sentry to acme": "", "issues acme": "", "": "", "what's the status of CHECKOUT-1A": "",
	} {
		if got := parseCommand(text); got != want {
			t.Errorf("parseCommand(%q) = %q, want %q", text, got, want)
		}
	}
}
