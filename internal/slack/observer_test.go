package slack

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// observed is an Observer that remembers what it heard.
type observed struct {
	mu       sync.Mutex
	recorded []string // "kind outcome"
	finished []string
	resumed  int
}

func (o *observed) Recorded(kind, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recorded = append(o.recorded, kind+" "+outcome)
}

func (o *observed) Finished(kind, outcome string, waited time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if waited < 0 {
		outcome += " (negative wait)"
	}
	o.finished = append(o.finished, kind+" "+outcome)
}

func (o *observed) Resumed() { o.mu.Lock(); o.resumed++; o.mu.Unlock() }

func (o *observed) snapshot() (recorded, finished []string, resumed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.recorded), slices.Clone(o.finished), o.resumed
}

// The observer hears a question recorded and answered, a redelivery of it
// as a duplicate, and a parked question resumed after consent.
func TestObserverHearsTheInbox(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	obs := &observed{}
	n := h.node(nodeOptions{configure: func(c *Config) { c.Observer = obs }}).start(t)
	if depth, capacity := n.bot.Queue(); depth != 0 || capacity != DefaultQueueSize {
		t.Errorf("Queue() = %d, %d; want 0, %d", depth, capacity, DefaultQueueSize)
	}

	// Without a grant: parked, then resumed after consent.
	q := h.mention(alice, channel, "", "issues acme/checkout")
	link := h.linkIn(h.waitCalls("chat.postEphemeral", 1)[0].Get("text"))
	h.consent(link, sentrytest.AliceID)
	waitFor(t, "the resumed answer", func() bool {
		return slices.ContainsFunc(h.slack.BotMessages(channel, q.TS), func(m slacktest.Message) bool {
			return strings.Contains(m.Text, "CHECKOUT-1A")
		})
	})
	// Slack delivers the question again: already answered.
	h.quiet()
	h.deliver(slacktest.AppMention, q)
	h.quiet()

	recorded, finished, resumed := obs.snapshot()
	for _, want := range []string{"slack-message recorded", "slack-resume recorded", "slack-message duplicate"} {
		if !slices.Contains(recorded, want) {
			t.Errorf("recorded %q, want %q among them", recorded, want)
		}
	}
	for _, want := range []string{"slack-message answered", "slack-resume answered"} {
		if !slices.Contains(finished, want) {
			t.Errorf("finished %q, want %q among them", finished, want)
		}
	}
	if resumed != 1 {
		t.Errorf("resumed %d, want 1", resumed)
	}
}
