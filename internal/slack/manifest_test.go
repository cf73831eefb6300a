package slack

import (
	"os"
	"strings"
	"testing"
)

// The manifest in the repository asks Slack for every event, scope and
// endpoint the bot relies on: an app created from it works.
func TestManifestMatchesTheBot(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../slack-manifest.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := string(raw)
	for _, want := range []string{
		// Events the bot handles.
		"- app_mention", "- message.im", "- message.channels", "- message.groups",
		"- app_home_opened", "- link_shared", "- assistant_thread_started",
		// Scopes of the Web API methods and events it uses.
		"- chat:write", "- channels:history", "- groups:history", "- im:history", "- im:write", "- users:read",
		"- commands", "- links:read", "- links:write", "- assistant:write",
		// Its endpoints and surfaces.
		WebhookPath + "\n", InteractivePath + "\n", CommandsPath + "\n",
		"home_tab_enabled: true", "assistant_view:", "unfurl_domains:", "command: /sentry",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("slack-manifest.yml lacks %q", strings.TrimSpace(want))
		}
	}
}
