package slack

import "time"

// Observer hears what the bot does with its inbox, for internal/metrics.
// Its methods must return at once. Kinds are the inbox item kinds
// ("slack-message", "slack-resume", "slack-stale").
type Observer interface {
	// Recorded: an item was offered to the inbox: "recorded", "duplicate"
	// (already answered), "redelivered" (not answered yet) or "error" (not
	// recorded; Slack delivers the event again).
	Recorded(kind, outcome string)
	// Finished: a worker is done with an item, for now: "answered",
	// "failed" (given up), "retry" (handed back) or "taken_over" (another
	// worker has it). waited is the time since the item was recorded.
	Finished(kind, outcome string, waited time.Duration)
	// Resumed: a parked question was handed back to the inbox after its
	// user connected Sentry.
	Resumed()
}

type noObserver struct{}

func (noObserver) Recorded(string, string)                {}
func (noObserver) Finished(string, string, time.Duration) {}
func (noObserver) Resumed()                               {}

// Queue is how many recorded items wait for this replica's workers, and
// how many fit before users are told their question is queued.
func (b *Bot) Queue() (depth, capacity int) { return len(b.queue), cap(b.queue) }
