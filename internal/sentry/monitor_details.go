package sentry

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// MonitorCheckIn is one run of a cron monitor as its check-ins record it.
type MonitorCheckIn struct {
	ID           FlexString `json:"id"`
	Environment  string     `json:"environment"`
	Status       string     `json:"status"` // ok, error, missed, timeout, in_progress
	Duration     *float64   `json:"duration"`
	DateCreated  Time       `json:"dateCreated"`
	DateUpdated  Time       `json:"dateUpdated"`
	ExpectedTime Time       `json:"expectedTime"`
}

// MonitorStat is one bucket of a monitor's check-in counts by status.
type MonitorStat struct {
	TS       FlexInt `json:"ts"` // bucket start, Unix seconds
	OK       FlexInt `json:"ok"`
	Error    FlexInt `json:"error"`
	Missed   FlexInt `json:"missed"`
	Timeout  FlexInt `json:"timeout"`
	Unknown  FlexInt `json:"unknown"`
	Duration float64 `json:"duration"` // average, seconds
}

// MonitorWindow is the time range of check-ins and stats: a relative
// StatsPeriod ("24h") or Start and End.
type MonitorWindow struct {
	Environment string
	StatsPeriod string
	Start, End  time.Time
}

// monitorPath is a monitor's endpoint, project-scoped when project is set
// (monitor slugs are unique per project, not per organization).
func monitorPath(org, project, slug string, rest ...string) []string {
	p := []string{"organizations", org, "monitors", slug}
	if project != "" {
		p = []string{"projects", org, project, "monitors", slug}
	}
	return append(p, rest...)
}

// GetMonitor returns one cron monitor by slug (or id); project may be "".
func (c *Client) GetMonitor(ctx context.Context, org, project, slug, environment string) (*Monitor, error) {
	if err := checkArgs("organization", org, "monitor", slug); err != nil {
		return nil, err
	}
	q := url.Values{}
	setIf(q, "environment", environment)
	var m Monitor
	if _, err := c.get(ctx, call{org: org, path: monitorPath(org, project, slug), query: q, scope: "project:read"}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// ListMonitorCheckIns lists a monitor's recent check-ins, newest first.
func (c *Client) ListMonitorCheckIns(ctx context.Context, org, project, slug string, w MonitorWindow, limit int) ([]MonitorCheckIn, error) {
	if err := checkArgs("organization", org, "monitor", slug); err != nil {
		return nil, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", limit, ""); err != nil {
		return nil, err
	}
	setIf(q, "environment", w.Environment)
	if w.Start.IsZero() {
		q.Set("statsPeriod", orDefault(w.StatsPeriod, "24h"))
	} else {
		q.Set("start", w.Start.UTC().Format(time.RFC3339))
		q.Set("end", w.End.UTC().Format(time.RFC3339))
	}
	var cs []MonitorCheckIn
	if _, err := c.get(ctx, call{org: org, path: monitorPath(org, project, slug, "checkins"), query: q, scope: "project:read"}, &cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// GetMonitorStats returns a monitor's check-in counts in buckets over
// [since, until). rollup 0 lets Sentry choose the bucket size.
func (c *Client) GetMonitorStats(ctx context.Context, org, project, slug, environment string, since, until time.Time, rollup time.Duration) ([]MonitorStat, error) {
	if err := checkArgs("organization", org, "monitor", slug); err != nil {
		return nil, err
	}
	q := url.Values{
		"since": {strconv.FormatInt(since.Unix(), 10)},
		"until": {strconv.FormatInt(until.Unix(), 10)},
	}
	if rollup > 0 {
		q.Set("resolution", strconv.FormatInt(int64(rollup/time.Second), 10)+"s")
	}
	setIf(q, "environment", environment)
	var st []MonitorStat
	if _, err := c.get(ctx, call{org: org, path: monitorPath(org, project, slug, "stats"), query: q, scope: "project:read"}, &st); err != nil {
		return nil, err
	}
	return st, nil
}
