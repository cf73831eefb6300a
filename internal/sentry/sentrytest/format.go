package sentrytest

import "time"

// Sentry's timestamp spellings.

// isoTime is the REST API's form, e.g. "2025-04-03T22:51:19.403000Z".
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// discoverTime is the events (Discover) API's form, e.g.
// "2025-04-07T12:23:39+00:00".
func discoverTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// unixSeconds is the trace API's form: float seconds since the epoch.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func isoOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return isoTime(t)
}
