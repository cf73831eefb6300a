package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// TraceMeta summarizes a trace: how many spans, errors and logs it holds.
type TraceMeta struct {
	Logs                     FlexInt                 `json:"logs"`
	Errors                   FlexInt                 `json:"errors"`
	PerformanceIssues        FlexInt                 `json:"performance_issues"`
	SpanCount                FlexInt                 `json:"span_count"`
	TransactionChildCountMap []TransactionChildCount `json:"transaction_child_count_map"`
	SpanCountMap             map[string]FlexInt      `json:"span_count_map"` // spans per op
}

// TransactionChildCount is how many spans one transaction holds; the event id
// may be empty (null in Sentry's JSON).
type TransactionChildCount struct {
	TransactionEventID FlexString `json:"transaction.event_id"`
	Count              FlexInt    `json:"count()"`
}

// TraceNode is one root-level element of a trace: either a span (with its
// Children) or a standalone issue not attached to any span (IsIssue).
type TraceNode struct {
	EventID        FlexString   `json:"event_id"`
	TransactionID  FlexString   `json:"transaction_id"`
	SpanID         string       `json:"span_id"`
	ParentSpanID   string       `json:"parent_span_id"`
	ProjectID      FlexString   `json:"project_id"`
	ProjectSlug    string       `json:"project_slug"`
	Transaction    string       `json:"transaction"`
	Op             string       `json:"op"`
	Description    string       `json:"description"`
	Status         string       `json:"status"`
	StartTimestamp Time         `json:"start_timestamp"`
	EndTimestamp   Time         `json:"end_timestamp"`
	Duration       float64      `json:"duration"` // milliseconds
	IsSegment      bool         `json:"is_segment"`
	SDKName        string       `json:"sdk_name"`
	Tags           TagMap       `json:"tags"`
	Errors         []TraceIssue `json:"errors"`
	Occurrences    []TraceIssue `json:"occurrences"`
	Children       []TraceNode  `json:"children"`

	// Standalone issue fields.
	ID           FlexString `json:"id"`
	IssueID      FlexString `json:"issue_id"`
	IssueShortID string     `json:"issue_short_id"`
	Title        string     `json:"title"`
	Culprit      string     `json:"culprit"`
	Type         string     `json:"type"`
	Level        string     `json:"level"`
	Timestamp    Time       `json:"timestamp"`
}

// IsIssue reports whether the node is a standalone issue rather than a span.
func (n TraceNode) IsIssue() bool { return n.SpanID == "" && n.IssueID != "" }

// TraceIssue is an error or occurrence attached to a span of a trace.
type TraceIssue struct {
	EventID      FlexString `json:"event_id"`
	IssueID      FlexString `json:"issue_id"`
	IssueShortID string     `json:"issue_short_id"` // WEB-1A; absent on older Sentry
	ProjectSlug  string     `json:"project_slug"`
	Title        string     `json:"title"`
	Culprit      string     `json:"culprit"`
	Level        string     `json:"level"`
	Type         string     `json:"type"`
	Timestamp    Time       `json:"timestamp"`
}

// TagMap decodes tags sent as an object, as [{"key":..,"value":..}] or as
// [[key, value]]: trace formats differ between Sentry versions.
type TagMap map[string]string

// UnmarshalJSON implements json.Unmarshaler; unknown shapes decode to empty.
func (m *TagMap) UnmarshalJSON(b []byte) error {
	out := TagMap{}
	var obj map[string]FlexString
	var kvs []struct {
		Key   string     `json:"key"`
		Value FlexString `json:"value"`
	}
	var pairs [][2]FlexString
	switch {
	case json.Unmarshal(b, &obj) == nil:
		for k, v := range obj {
			out[k] = string(v)
		}
	case json.Unmarshal(b, &kvs) == nil:
		for _, kv := range kvs {
			out[kv.Key] = string(kv.Value)
		}
	case json.Unmarshal(b, &pairs) == nil:
		for _, p := range pairs {
			out[string(p[0])] = string(p[1])
		}
	}
	*m = out
	return nil
}

// TraceQuery narrows a trace lookup.
type TraceQuery struct {
	StatsPeriod string // window to look for the trace in; default "14d"
	Limit       int    // span count hint for GetTrace; default 1000
}

const defaultTracePeriod = "14d"

// GetTraceMeta summarizes a trace; read it before GetTrace to know how big
// the trace is.
func (c *Client) GetTraceMeta(ctx context.Context, org, traceID string, tq TraceQuery) (*TraceMeta, error) {
	if err := checkArgs("organization", org, "trace id", traceID); err != nil {
		return nil, err
	}
	q := url.Values{"statsPeriod": {orDefault(tq.StatsPeriod, defaultTracePeriod)}}
	var m TraceMeta
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "trace-meta", traceID}, query: q, scope: "event:read"}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// GetTrace returns a trace as a forest of spans plus standalone issues.
func (c *Client) GetTrace(ctx context.Context, org, traceID string, tq TraceQuery) ([]TraceNode, error) {
	if err := checkArgs("organization", org, "trace id", traceID); err != nil {
		return nil, err
	}
	if tq.Limit < 0 || tq.Limit > 10000 {
		return nil, fmt.Errorf("%w: trace limit %d: must be between 1 and 10000", ErrInvalidArgument, tq.Limit)
	}
	limit := tq.Limit
	if limit == 0 {
		limit = 1000
	}
	q := url.Values{"statsPeriod": {orDefault(tq.StatsPeriod, defaultTracePeriod)}, "limit": {strconv.Itoa(limit)}}
	var nodes []TraceNode
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "trace", traceID}, query: q, scope: "event:read"}, &nodes); err != nil {
		return nil, err
	}
	return nodes, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
