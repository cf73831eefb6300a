package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Statement is the store's statement observer (sqlstore.Observer): given a
// statement's name ("select grants") once, it returns what the store calls
// with each of its durations.
func (m *Metrics) Statement(op string) func(time.Duration) {
	obs := m.storeSeries.get(op, func(op string) prometheus.Observer { return m.storeDuration.WithLabelValues(op) })
	return func(d time.Duration) { obs.Observe(d.Seconds()) }
}
