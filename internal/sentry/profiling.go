package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Flamegraph is Sentry's aggregate of a transaction's profiles: unique
// stacks with sample counts and durations, and per-frame statistics.
type Flamegraph struct {
	Platform        string              `json:"platform"`
	ProjectID       FlexString          `json:"projectID"`
	TransactionName string              `json:"transactionName"`
	Profiles        []FlamegraphProfile `json:"profiles"`
	Shared          struct {
		Frames     []FlamegraphFrame `json:"frames"`
		FrameInfos []FrameInfo       `json:"frame_infos"`
		Profiles   []struct {
			ProfileID string     `json:"profile_id"`
			ProjectID FlexString `json:"project_id"`
		} `json:"profiles"`
	} `json:"shared"`
}

// FlamegraphProfile is one thread's stacks: Samples[i] lists frame indices
// root first, seen SampleCounts[i] times for SampleDurationsNS[i].
type FlamegraphProfile struct {
	Name              string    `json:"name"`
	IsMainThread      bool      `json:"isMainThread"`
	ThreadID          FlexInt   `json:"threadID"`
	Samples           [][]int   `json:"samples"`
	SampleCounts      []FlexInt `json:"sample_counts"`
	SampleDurationsNS []FlexInt `json:"sample_durations_ns"`
	Weights           []FlexInt `json:"weights"`
}

// FlamegraphFrame is a function of a flamegraph.
type FlamegraphFrame struct {
	File          string     `json:"file"`
	Name          string     `json:"name"`
	Line          FlexInt    `json:"line"`
	IsApplication bool       `json:"is_application"`
	Fingerprint   FlexString `json:"fingerprint"`
}

// FrameInfo is a frame's statistics across the profiles (durations in
// nanoseconds).
type FrameInfo struct {
	Count       FlexInt `json:"count"`
	Weight      FlexInt `json:"weight"`
	SumDuration FlexInt `json:"sumDuration"`
	SumSelfTime FlexInt `json:"sumSelfTime"`
	P75Duration FlexInt `json:"p75Duration"`
	P95Duration FlexInt `json:"p95Duration"`
	P99Duration FlexInt `json:"p99Duration"`
}

// SampledProfile is the raw sample data of one transaction profile or one
// continuous-profile chunk.
type SampledProfile struct {
	Frames         []ProfileFrame            `json:"frames"`
	Samples        []ProfileSample           `json:"samples"`
	Stacks         [][]int                   `json:"stacks"` // frame indices, leaf first
	ThreadMetadata map[string]ThreadMetadata `json:"thread_metadata"`
}

// ProfileFrame is one frame of a sampled profile.
type ProfileFrame struct {
	Function string  `json:"function"`
	Filename string  `json:"filename"`
	AbsPath  string  `json:"abs_path"`
	Module   string  `json:"module"`
	Package  string  `json:"package"`
	LineNo   FlexInt `json:"lineno"`
	InApp    bool    `json:"in_app"`
	Platform string  `json:"platform"`
}

// ProfileSample is one sample: a stack seen on a thread at a time.
type ProfileSample struct {
	StackID            int        `json:"stack_id"`
	ThreadID           FlexString `json:"thread_id"`
	ElapsedSinceStartN FlexInt    `json:"elapsed_since_start_ns"` // transaction profiles
	Timestamp          float64    `json:"timestamp"`              // chunks: Unix seconds
}

// ThreadMetadata names a profiled thread.
type ThreadMetadata struct {
	Name     string  `json:"name"`
	Priority FlexInt `json:"priority"`
}

// TransactionProfile is a profile recorded for one transaction.
type TransactionProfile struct {
	EventID     string         `json:"event_id"`
	ProfileID   string         `json:"profile_id"`
	Platform    string         `json:"platform"`
	Environment string         `json:"environment"`
	Release     ProfileRelease `json:"release"`
	Profile     SampledProfile `json:"profile"`
	Transaction struct {
		Name            string  `json:"name"`
		TraceID         string  `json:"trace_id"`
		ID              string  `json:"id"`
		ActiveThreadID  FlexInt `json:"active_thread_id"`
		RelativeStartNS FlexInt `json:"relative_start_ns"`
		RelativeEndNS   FlexInt `json:"relative_end_ns"`
	} `json:"transaction"`
	Device struct {
		Model string `json:"model"`
		Arch  string `json:"arch"`
	} `json:"device"`
	OS        NameVersion `json:"os"`
	ClientSDK NameVersion `json:"client_sdk"`
}

// ProfileChunk is a piece of a continuous profiling session.
type ProfileChunk struct {
	ChunkID     string         `json:"chunk_id"`
	ProfilerID  string         `json:"profiler_id"`
	Environment string         `json:"environment"`
	Platform    string         `json:"platform"`
	Release     ProfileRelease `json:"release"`
	Profile     SampledProfile `json:"profile"`
}

// ProfileRelease is a profile's release: a version string or {"version": ...}.
type ProfileRelease string

// UnmarshalJSON implements json.Unmarshaler; unknown shapes decode to "".
func (r *ProfileRelease) UnmarshalJSON(b []byte) error {
	*r = ""
	var s string
	if json.Unmarshal(b, &s) == nil {
		*r = ProfileRelease(s)
		return nil
	}
	var v struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &v) == nil {
		*r = ProfileRelease(v.Version)
	}
	return nil
}

// GetFlamegraph aggregates a transaction's profiles over a period ("7d").
// Sentry's flamegraph wants the project's numeric id.
func (c *Client) GetFlamegraph(ctx context.Context, org, projectID, transaction, statsPeriod string) (*Flamegraph, error) {
	if err := checkArgs("organization", org, "project", projectID, "transaction", transaction); err != nil {
		return nil, err
	}
	if _, err := strconv.ParseInt(projectID, 10, 64); err != nil {
		return nil, fmt.Errorf("%w: project %s must be a numeric id", ErrInvalidArgument, quoted(projectID))
	}
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(transaction)
	q := url.Values{
		"project":     {projectID},
		"query":       {`event.type:transaction transaction:"` + esc + `"`},
		"statsPeriod": {orDefault(statsPeriod, "7d")},
	}
	var fg Flamegraph
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "profiling", "flamegraph"}, query: q, scope: "event:read"}, &fg); err != nil {
		return nil, err
	}
	return &fg, nil
}

// GetTransactionProfile returns one transaction profile by id.
func (c *Client) GetTransactionProfile(ctx context.Context, org, project, profileID string) (*TransactionProfile, error) {
	if err := checkArgs("organization", org, "project", project, "profile id", profileID); err != nil {
		return nil, err
	}
	var p TransactionProfile
	if _, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "profiling", "profiles", profileID}, scope: "event:read"}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetProfileChunk returns the continuous-profile chunk of a profiler session
// between start and end (RFC 3339). No chunk is ErrNotFound.
func (c *Client) GetProfileChunk(ctx context.Context, org, projectID, profilerID, start, end string) (*ProfileChunk, error) {
	if err := checkArgs("organization", org, "project", projectID, "profiler id", profilerID, "start", start, "end", end); err != nil {
		return nil, err
	}
	q := url.Values{"profiler_id": {profilerID}, "project": {projectID}, "start": {start}, "end": {end}}
	var v struct {
		Chunk  *ProfileChunk  `json:"chunk"`
		Chunks []ProfileChunk `json:"chunks"` // older Sentry
	}
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "profiling", "chunks"}, query: q, scope: "event:read"}, &v); err != nil {
		return nil, err
	}
	ch := v.Chunk
	if ch == nil && len(v.Chunks) > 0 {
		ch = &v.Chunks[0]
	}
	if ch == nil || (len(ch.Profile.Samples) == 0 && len(ch.Profile.Frames) == 0) {
		return nil, fmt.Errorf("profile chunk of profiler %s between %s and %s: %w", profilerID, start, end, ErrNotFound)
	}
	if ch.ProfilerID == "" {
		ch.ProfilerID = profilerID
	}
	return ch, nil
}
