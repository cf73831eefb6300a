package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// Replay is a session replay's summary.
type Replay struct {
	ID             string       `json:"id"`
	ProjectID      FlexString   `json:"project_id"`
	StartedAt      Time         `json:"started_at"`
	FinishedAt     Time         `json:"finished_at"`
	Duration       FlexInt      `json:"duration"` // seconds
	IsArchived     bool         `json:"is_archived"`
	Environment    string       `json:"environment"`
	Platform       string       `json:"platform"`
	ReplayType     string       `json:"replay_type"`
	CountErrors    FlexInt      `json:"count_errors"`
	CountWarnings  FlexInt      `json:"count_warnings"`
	CountInfos     FlexInt      `json:"count_infos"`
	CountDeadClick FlexInt      `json:"count_dead_clicks"`
	CountRageClick FlexInt      `json:"count_rage_clicks"`
	CountSegments  FlexInt      `json:"count_segments"`
	URLs           []string     `json:"urls"`
	TraceIDs       []string     `json:"trace_ids"`
	ErrorIDs       []string     `json:"error_ids"`
	Releases       []string     `json:"releases"`
	Browser        NameVersion  `json:"browser"`
	OS             NameVersion  `json:"os"`
	Device         ReplayDevice `json:"device"`
	SDK            NameVersion  `json:"sdk"`
	User           ReplayUser   `json:"user"`
}

// NameVersion is a browser, OS or SDK.
type NameVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ReplayDevice is the device a replay was recorded on.
type ReplayDevice struct {
	Name   string `json:"name"`
	Model  string `json:"model"`
	Family string `json:"family"`
}

// ReplayUser is who was using the app; any field may be empty.
type ReplayUser struct {
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email"`
	Username    string     `json:"username"`
	ID          FlexString `json:"id"`
}

// ReplayEvent is one rrweb event of a recording segment. Only what a
// summary needs is decoded; the DOM snapshots are skipped.
type ReplayEvent struct {
	Type      int             `json:"type"`
	Timestamp float64         `json:"timestamp"` // milliseconds or seconds, by SDK
	Data      json.RawMessage `json:"data"`
}

// GetReplay returns a replay by id (32 hex characters).
func (c *Client) GetReplay(ctx context.Context, org, id string) (*Replay, error) {
	if err := checkArgs("organization", org, "replay id", id); err != nil {
		return nil, err
	}
	var v struct {
		Data Replay `json:"data"`
	}
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "replays", id}, scope: "event:read"}, &v); err != nil {
		return nil, err
	}
	return &v.Data, nil
}

// GetReplaySegments returns a replay's recording, one slice of events per
// segment. Recordings can be large: max bounds the download (0 means
// DefaultMaxDownload), and a larger one is ErrResponseTooLarge.
func (c *Client) GetReplaySegments(ctx context.Context, org, projectID, id string, max int64) ([][]ReplayEvent, error) {
	if err := checkArgs("organization", org, "project", projectID, "replay id", id); err != nil {
		return nil, err
	}
	b, err := c.download(ctx, call{org: org, path: []string{"projects", org, projectID, "replays", id, "recording-segments"},
		query: url.Values{"download": {"true"}}, scope: "event:read"}, max)
	if err != nil {
		return nil, err
	}
	var segs [][]ReplayEvent
	if err := json.Unmarshal(b.Data, &segs); err != nil {
		return nil, fmt.Errorf("sentry: replay %s recording: decoding the answer: %w", id, err)
	}
	return segs, nil
}
