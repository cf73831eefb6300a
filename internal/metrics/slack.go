package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The Slack bot's words: inbox item kinds (without their "slack-" prefix)
// and outcomes. Anything else is counted as "other".
var (
	slackKinds          = []string{"message", "resume", "stale"}
	slackRecordOutcomes = []string{"recorded", "duplicate", "redelivered", "error"}
	slackTurnOutcomes   = []string{"answered", "failed", "retry", "taken_over"}
)

// Slack is the Slack bot's observer (slack.Observer).
type Slack struct {
	m     *Metrics
	turns cache[[2]string, slackTurn]
}

type slackTurn struct {
	count prometheus.Counter
	wait  prometheus.Observer // answered only
}

// Slack returns the Slack bot's observer. The bot's queue is read at
// scrape time once SetQueue is called; until then the queue gauges are 0.
func (m *Metrics) Slack() *Slack {
	return &Slack{m: m}
}

// SetQueue gives the gauges the bot's queue (slack.Bot.Queue).
func (s *Slack) SetQueue(fn func() (depth, capacity int)) { s.m.slackQueue.Store(&fn) }

// Recorded counts an item offered to the inbox.
func (s *Slack) Recorded(kind, outcome string) {
	s.m.slackEvents.WithLabelValues(slackKind(kind), oneOf(outcome, slackRecordOutcomes, "other")).Inc()
}

// Finished counts an item a worker is done with, for now; waited is how
// long since it was recorded.
func (s *Slack) Finished(kind, outcome string, waited time.Duration) {
	t := s.turns.get([2]string{slackKind(kind), oneOf(outcome, slackTurnOutcomes, "other")}, func(k [2]string) slackTurn {
		t := slackTurn{count: s.m.slackTurns.WithLabelValues(k[0], k[1])}
		if k[1] == "answered" {
			t.wait = s.m.slackTurnWait.WithLabelValues(k[0])
		}
		return t
	})
	t.count.Inc()
	if t.wait != nil {
		t.wait.Observe(waited.Seconds())
	}
}

// Resumed counts a parked question handed back to the inbox.
func (s *Slack) Resumed() { s.m.slackResumes.Inc() }

func slackKind(kind string) string {
	return oneOf(strings.TrimPrefix(kind, "slack-"), slackKinds, "other")
}

// slackQueueLen reads the bot's queue, zero without a bot.
func (m *Metrics) slackQueueLen() (depth, capacity int) {
	if fn := m.slackQueue.Load(); fn != nil {
		return (*fn)()
	}
	return 0, 0
}
