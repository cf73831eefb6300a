package slack

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/logging"
	"github.com/lookout-hq/lookout/internal/logging/logtest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// Issue #11 §2: the log lines of an Events API request carry its request
// id, as every line of a request does.
func TestEventLogLinesHaveTheRequestID(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var logs logtest.Buffer
	logger := slog.New(logging.NewHandler(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}), nil))
	h.node(nodeOptions{configure: func(c *Config) { c.Logger = logger }}).start(t)
	q := h.mention(alice, channel, "", "help")
	h.waitBot(channel, q.TS, 1)
	h.quiet()                          // answered and recorded so
	h.deliver(slacktest.AppMention, q) // then delivered again
	h.quiet()
	want := map[string]bool{"slack: question": false, "slack: dropped a repeated delivery: already answered": false}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &l) != nil {
			continue
		}
		if _, ok := want[l.Msg]; ok {
			want[l.Msg] = true
			if len(l.RequestID) != 16 {
				t.Errorf("%q has request_id %q", l.Msg, l.RequestID)
			}
		}
	}
	for msg, seen := range want {
		if !seen {
			t.Errorf("no %q line:\n%s", msg, logs.String())
		}
	}
}
