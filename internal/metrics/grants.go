package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lookout-hq/lookout/internal/store"
)

// Grant states, the state label of lookout_grants.
const (
	GrantActive     = "active"
	GrantStale      = "stale"       // Sentry refused it: its owner connects again
	GrantKeyMissing = "key_missing" // sealed under a key LOOKOUT_ENCRYPTION_KEYS lacks
)

// GrantLister lists stored grants page by page (store.Grants.ListGrants):
// their metadata is enough to count them, nothing is decrypted.
type GrantLister interface {
	ListGrants(ctx context.Context, after string, limit int) ([]store.Grant, error)
}

// GrantsOptions configure the grants gauge.
type GrantsOptions struct {
	// KnownKey reports whether the keyring holds a key id; grants sealed
	// under another are key_missing. Nil: every key is known.
	KnownKey func(id string) bool
	// Every is how long a count is reused (default one minute): a scrape
	// every 15 s on every replica would otherwise read every grant row
	// four times a minute per replica.
	Every time.Duration
	// Timeout bounds one count (default 5 s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Grants registers lookout_grants, the grants held by state, counted from
// the store at scrape time (at most once per Every). A count that fails
// keeps the last one; before any, the gauge is absent from the scrape.
func (m *Metrics) Grants(list GrantLister, opts GrantsOptions) {
	if opts.Every <= 0 {
		opts.Every = time.Minute
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m.reg.MustRegister(&grantsCollector{list: list, opts: opts, desc: prometheus.NewDesc(
		namespace+"_grants", "Sentry grants held, by state: active, stale (Sentry refused it), key_missing (sealed under a key LOOKOUT_ENCRYPTION_KEYS lacks).",
		[]string{"state"}, nil)})
}

type grantsCollector struct {
	list GrantLister
	opts GrantsOptions
	desc *prometheus.Desc

	mu      sync.Mutex // one count at a time; later scrapes reuse it
	counted time.Time
	counts  map[string]int
}

func (c *grantsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *grantsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.counted) >= c.opts.Every {
		counts, err := c.count()
		if err != nil {
			c.opts.Logger.Warn("metrics: could not count grants for lookout_grants; keeping the last count", "err", err)
		} else {
			c.counts, c.counted = counts, time.Now()
		}
	}
	if c.counts == nil {
		return
	}
	for _, state := range []string{GrantActive, GrantStale, GrantKeyMissing} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.counts[state]), state)
	}
}

func (c *grantsCollector) count() (map[string]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	counts := map[string]int{}
	for after := ""; ; {
		page, err := c.list.ListGrants(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return counts, nil
		}
		for _, g := range page {
			after = g.Principal
			switch {
			case c.opts.KnownKey != nil && !c.opts.KnownKey(g.KeyID):
				counts[GrantKeyMissing]++
			case g.Stale:
				counts[GrantStale]++
			default:
				counts[GrantActive]++
			}
		}
	}
}
