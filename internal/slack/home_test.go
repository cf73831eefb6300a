package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/authserver"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// The Home tab per state: not connected (a Connect button with the user's
// own link), connected (account, permissions, since when; Reconnect and
// Disconnect; the organizations to pin), stale (Reconnect), and what the
// clicks there do. Pinned defaults then answer questions that name none.
func TestHomeTab(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	n := h.running()

	// Not connected: the Connect button carries bob's own connect link.
	view := h.openHome(bob)
	for _, want := range []string{"not connected yet", `"text":"Connect Sentry"`, h.base + authserver.ConnectPath + "?s=", "What to ask", "/sentry"} {
		if !strings.Contains(view, want) {
			t.Errorf("Home tab of a user not connected lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, actionHomeOrg) {
		t.Errorf("organizations offered without a connection:\n%s", view)
	}

	// Connected: who, which permissions, since when; the organizations
	// alice can see, to pin.
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	view = h.openHome(alice)
	for _, want := range []string{"Connected, and working", "Sentry user 1", "event:read org:read project:read team:read", "Connected since", "<!date^",
		`"action_id":"lookout.home.disconnect"`, `"value":"acme"`, `"value":"globex"`, "Reconnect or switch account"} {
		if !strings.Contains(view, want) {
			t.Errorf("Home tab of a connected user lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, actionHomeProject) {
		t.Errorf("projects offered before an organization is pinned:\n%s", view)
	}

	// Unpinned, alice (two organizations) is asked which one.
	if a := h.answer(alice, "issues"); !strings.Contains(a.Text, "Which organization") {
		t.Fatalf("unpinned answer: %q", a.Text)
	}

	// Pin acme, then its project checkout, from the Home tab.
	h.interact(h.slack.ClickHome(alice, actionHomeOrg, "acme"))
	h.quiet()
	view = unescaped([]byte(h.slack.HomeView(alice)))
	if !strings.Contains(view, `"initial_option":{"text":{"emoji":false,"text":"Acme Corp"`) || !strings.Contains(view, `"value":"checkout"`) {
		t.Fatalf("Home tab after pinning acme:\n%s", view)
	}
	h.interact(h.slack.ClickHome(alice, actionHomeProject, "checkout"))
	h.quiet()
	prefs, err := n.store.Preferences(context.Background(), alicePrincipal)
	if err != nil || prefs[prefOrg] != "acme" || prefs[prefProject] != "checkout" {
		t.Fatalf("pinned: %v, %v", prefs, err)
	}
	if view = unescaped([]byte(h.slack.HomeView(alice))); !strings.Contains(view, "Now: `acme` / `checkout`") {
		t.Errorf("Home tab does not show the pin:\n%s", view)
	}

	// Now "issues" needs no organization: acme/checkout it is.
	a := h.answer(alice, "issues")
	if !strings.Contains(a.Text, "CHECKOUT-") || strings.Contains(a.Text, "WEB-") || strings.Contains(a.Text, "Which organization") {
		t.Errorf("pinned answer: %q", a.Text)
	}
	if !strings.Contains(a.Blocks, "Issues in acme/checkout") {
		t.Errorf("pinned answer's card: %s", a.Blocks)
	}

	// Clear.
	h.interact(h.slack.ClickHome(alice, actionHomeClear, ""))
	h.quiet()
	if prefs, _ := n.store.Preferences(context.Background(), alicePrincipal); len(prefs) != 0 {
		t.Errorf("after Clear: %v", prefs)
	}

	// Stale: Reconnect.
	if err := n.vault.MarkStale(context.Background(), alicePrincipal, "test"); err != nil {
		t.Fatal(err)
	}
	view = h.openHome(alice)
	if !strings.Contains(view, "expired or was revoked") || !strings.Contains(view, `"text":"Reconnect Sentry"`) || strings.Contains(view, actionHomeOrg) {
		t.Errorf("Home tab of a stale connection:\n%s", view)
	}

	// Disconnect from the Home tab: the grant is gone, the tab says so.
	n.grant(t, h, alicePrincipal, sentrytest.AliceID)
	h.openHome(alice)
	h.interact(h.slack.ClickHome(alice, actionHomeDisconnect, ""))
	h.quiet()
	if _, err := n.vault.Status(context.Background(), alicePrincipal); err == nil {
		t.Error("the grant survived Disconnect")
	}
	if view = unescaped([]byte(h.slack.HomeView(alice))); !strings.Contains(view, "not connected yet") {
		t.Errorf("Home tab after Disconnect:\n%s", view)
	}
	h.assertNoLeaks()
}

// Connecting through a question's link publishes the Home tab again,
// connected.
func TestHomeTabAfterConnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.running()
	h.openHome(bob)
	q := h.mention(bob, channel, "", "issues acme/web")
	h.quiet()
	eph := h.slack.Calls("chat.postEphemeral")
	if len(eph) != 1 {
		t.Fatalf("ephemeral messages: %d", len(eph))
	}
	h.consent(h.linkIn(eph[0].Get("text")), sentrytest.BobID)
	h.quiet()
	if view := h.slack.HomeView(bob); !strings.Contains(view, "Connected, and working") {
		t.Errorf("Home tab after connecting:\n%s", view)
	}
	_ = q
}
