package tools

import (
	"context"
	"time"
)

// seerTools run Sentry's AI analysis; offered with the seer permission.
func seerTools() []Tool {
	return []Tool{
		analyzeIssueWithSeerTool(),
	}
}

// SeerPolling paces analyze_issue_with_seer while Seer works. Zero fields
// are the reference server's pacing: the first look 1 s after starting a
// run, then every 5 s, for at most 5 minutes; the call's context deadline
// ends the wait earlier.
type SeerPolling struct {
	First, Interval, Timeout time.Duration
	// Sleep waits d or until ctx ends (then it returns ctx.Err()); tests
	// make it instant.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p SeerPolling) withDefaults() SeerPolling {
	if p.First <= 0 {
		p.First = time.Second
	}
	if p.Interval <= 0 {
		p.Interval = 5 * time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 5 * time.Minute
	}
	if p.Sleep == nil {
		p.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return p
}
