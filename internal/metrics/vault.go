package metrics

import (
	"context"
	"strings"
)

// Outcomes of a refresh (RefreshOutcome) and of the background
// refresher's look at one grant (RenewOutcome). The vault says them; these
// are the words the labels accept.
var (
	refreshOutcomes = []string{"refreshed", "stale", "failed"}
	renewOutcomes   = []string{"refreshed", "not_due", "stale", "failed", "gone"}
)

// Refreshed counts one refresh sent to Sentry's token endpoint, by outcome
// (vault.Options.OnRefresh): refreshed, stale or failed.
func (m *Metrics) Refreshed(outcome string) {
	m.refreshes.WithLabelValues(oneOf(outcome, refreshOutcomes, "failed")).Inc()
}

// Renewed counts one grant the background refresher looked at, by outcome
// (vault.RenewerOptions.OnRenew).
func (m *Metrics) Renewed(outcome string) {
	m.renewals.WithLabelValues(oneOf(outcome, renewOutcomes, "failed")).Inc()
}

// RenewPass counts one pass of the background refresher
// (vault.RenewerOptions.OnPass).
func (m *Metrics) RenewPass() { m.renewPasses.Inc() }

// StaleNotice counts a grant that just became stale (vault.Options.OnStale
// runs it beside the Slack bot's notice). The label is the principal's
// front door (its prefix), never the principal.
func (m *Metrics) StaleNotice(_ context.Context, principal string) {
	door := "other"
	switch {
	case strings.HasPrefix(principal, "slack:"):
		door = ViaSlack
	case strings.HasPrefix(principal, "mcp:"):
		door = ViaMCP
	}
	m.staleNotices.WithLabelValues(door).Inc()
}

// oneOf is s if it is one of words, else fallback: a label never takes a
// value from outside its set, whatever a caller passes.
func oneOf(s string, words []string, fallback string) string {
	for _, w := range words {
		if s == w {
			return w
		}
	}
	return fallback
}
