package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Monitor is a cron monitor.
type Monitor struct {
	ID           FlexString           `json:"id"`
	Slug         string               `json:"slug"`
	Name         string               `json:"name"`
	Status       string               `json:"status"`
	IsMuted      bool                 `json:"isMuted"`
	Project      *ProjectRef          `json:"project"`
	Owner        *Actor               `json:"owner"`
	DateCreated  Time                 `json:"dateCreated"`
	LastCheckIn  Time                 `json:"lastCheckIn"`
	NextCheckIn  Time                 `json:"nextCheckIn"`
	Config       MonitorConfig        `json:"config"`
	Environments []MonitorEnvironment `json:"environments"`
}

// MonitorConfig is a monitor's schedule.
type MonitorConfig struct {
	// Schedule is ["crontab", "0 2 * * *"], "0 2 * * *", or [1, "day"] for
	// interval monitors, depending on type and Sentry version; see
	// ScheduleText.
	Schedule      json.RawMessage `json:"schedule"`
	ScheduleType  string          `json:"schedule_type"`
	Timezone      string          `json:"timezone"`
	CheckinMargin FlexInt         `json:"checkin_margin"`
	MaxRuntime    FlexInt         `json:"max_runtime"`
}

// ScheduleText renders the schedule in any of its forms as one line.
func (m MonitorConfig) ScheduleText() string {
	var s string
	if json.Unmarshal(m.Schedule, &s) == nil {
		return s
	}
	var parts []any
	if json.Unmarshal(m.Schedule, &parts) != nil {
		return ""
	}
	if len(parts) == 2 && parts[0] == "crontab" {
		return fmt.Sprint(parts[1])
	}
	text := make([]string, len(parts))
	for i, p := range parts {
		text[i] = fmt.Sprint(p)
	}
	return strings.Join(text, " ")
}

// MonitorEnvironment is a monitor's state in one environment.
type MonitorEnvironment struct {
	Name              string `json:"name"`
	Status            string `json:"status"`
	IsMuted           bool   `json:"isMuted"`
	LastCheckIn       Time   `json:"lastCheckIn"`
	NextCheckIn       Time   `json:"nextCheckIn"`
	NextCheckInLatest Time   `json:"nextCheckInLatest"`
}

// MonitorQuery narrows ListMonitors.
type MonitorQuery struct {
	Projects    []string // ids or slugs
	Environment string
	Query       string // matches names and slugs
	Limit       int
	Cursor      string
}

// ListMonitors lists an organization's cron monitors.
func (c *Client) ListMonitors(ctx context.Context, org string, mq MonitorQuery) ([]Monitor, Page, error) {
	q := url.Values{}
	if err := setPage(q, "per_page", mq.Limit, mq.Cursor); err != nil {
		return nil, Page{}, err
	}
	if err := addProjects(q, mq.Projects); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "environment", mq.Environment)
	setIf(q, "query", mq.Query)
	var ms []Monitor
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "monitors"}, query: q, scope: "org:read"}, &ms)
	if err != nil {
		return nil, Page{}, err
	}
	return ms, page, nil
}
