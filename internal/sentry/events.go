package sentry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Event is one event: an error, a transaction, a CSP report, a generic
// (performance regression) occurrence... Fields common to all are typed; the
// type-specific payload is in Entries, decoded on demand by Exceptions,
// Breadcrumbs, HTTPRequest, Spans and FormattedMessage. An unknown event or
// entry type decodes fine and is simply not interpreted.
type Event struct {
	ID              FlexString                 `json:"id"`
	EventID         FlexString                 `json:"eventID"`
	GroupID         FlexString                 `json:"groupID"`
	ProjectID       FlexString                 `json:"projectID"`
	ProjectSlug     string                     `json:"projectSlug"`
	Type            string                     `json:"type"` // error, default, transaction, csp, generic...
	Title           string                     `json:"title"`
	Message         string                     `json:"message"`
	Platform        string                     `json:"platform"`
	Culprit         string                     `json:"culprit"`
	Location        string                     `json:"location"`
	DateCreated     Time                       `json:"dateCreated"`
	DateReceived    Time                       `json:"dateReceived"`
	Size            FlexInt                    `json:"size"`
	Tags            []EventTag                 `json:"tags"`
	User            *EventUser                 `json:"user"`
	SDK             *SDK                       `json:"sdk"`
	Contexts        map[string]json.RawMessage `json:"contexts"`
	Metadata        IssueMetadata              `json:"metadata"`
	Entries         []Entry                    `json:"entries"` // absent in lists unless Full
	Errors          []ProcessingError          `json:"errors"`
	Occurrence      *Occurrence                `json:"occurrence"`
	Release         json.RawMessage            `json:"release"` // object or null; see ReleaseVersion
	Fingerprints    []string                   `json:"fingerprints"`
	NextEventID     FlexString                 `json:"nextEventID"`
	PreviousEventID FlexString                 `json:"previousEventID"`
}

// EventTag is a tag of an event.
type EventTag struct {
	Key   string     `json:"key"`
	Value FlexString `json:"value"`
}

// EventUser is the user an event happened to, as the SDK reported it.
type EventUser struct {
	ID        FlexString            `json:"id"`
	Email     FlexString            `json:"email"`
	Username  FlexString            `json:"username"`
	Name      FlexString            `json:"name"`
	IPAddress FlexString            `json:"ip_address"`
	Geo       map[string]FlexString `json:"geo"`
}

// SDK names the SDK that sent an event.
type SDK struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ProcessingError is a problem Sentry met processing the event (missing
// source maps, ...).
type ProcessingError struct {
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

// Occurrence is the evidence of a non-error issue (performance, regression).
type Occurrence struct {
	ID              FlexString     `json:"id"`
	IssueTitle      string         `json:"issueTitle"`
	Subtitle        string         `json:"subtitle"`
	Type            FlexInt        `json:"type"`
	Level           string         `json:"level"`
	Culprit         string         `json:"culprit"`
	EvidenceDisplay []Evidence     `json:"evidenceDisplay"`
	EvidenceData    map[string]any `json:"evidenceData"`
}

// Evidence is one line of an occurrence's evidence.
type Evidence struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	Important bool   `json:"important"`
}

// Entry is one typed payload of an event: "exception", "breadcrumbs",
// "request", "message", "spans", "csp", "threads"...
type Entry struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// Exception is one exception of an error event (chained exceptions come
// innermost last, as Sentry sends them).
type Exception struct {
	Type          string      `json:"type"`
	Value         string      `json:"value"`
	Module        string      `json:"module"`
	ThreadID      FlexString  `json:"threadId"`
	Mechanism     *Mechanism  `json:"mechanism"`
	Stacktrace    *Stacktrace `json:"stacktrace"`
	RawStacktrace *Stacktrace `json:"rawStacktrace"`
}

// Mechanism tells how an exception was captured.
type Mechanism struct {
	Type    string `json:"type"`
	Handled *bool  `json:"handled"` // nil when the SDK did not say
}

// Stacktrace holds frames, outermost first (the crashing frame is last).
type Stacktrace struct {
	Frames          []Frame `json:"frames"`
	HasSystemFrames bool    `json:"hasSystemFrames"`
}

// Frame is one stack frame.
type Frame struct {
	Filename    string         `json:"filename"`
	AbsPath     string         `json:"absPath"`
	Module      string         `json:"module"`
	Package     string         `json:"package"`
	Function    string         `json:"function"`
	RawFunction string         `json:"rawFunction"`
	Platform    string         `json:"platform"`
	LineNo      FlexInt        `json:"lineNo"`
	ColNo       FlexInt        `json:"colNo"`
	InApp       bool           `json:"inApp"`
	Context     []ContextLine  `json:"context"`
	Vars        map[string]any `json:"vars"`
}

// ContextLine is a source line around a frame, sent as [lineNo, "code"].
type ContextLine struct {
	Line int
	Code string
}

// UnmarshalJSON decodes [lineNo, "code"]; other shapes decode to zero.
func (l *ContextLine) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	*l = ContextLine{}
	if json.Unmarshal(b, &pair) != nil || len(pair) != 2 {
		return nil
	}
	var n FlexInt
	_ = n.UnmarshalJSON(pair[0])
	var code FlexString
	_ = code.UnmarshalJSON(pair[1])
	l.Line, l.Code = int(n), string(code)
	return nil
}

// Breadcrumb is one step the SDK recorded before the event.
type Breadcrumb struct {
	Timestamp Time           `json:"timestamp"`
	Type      string         `json:"type"`
	Category  string         `json:"category"`
	Level     string         `json:"level"`
	Message   string         `json:"message"`
	Data      map[string]any `json:"data"`
}

// Request is the HTTP request an event happened in. Sensitive headers arrive
// already filtered by Sentry ("[Filtered]").
type Request struct {
	Method              string          `json:"method"`
	URL                 string          `json:"url"`
	Query               json.RawMessage `json:"query"` // [["k","v"],...] or a string
	Fragment            string          `json:"fragment"`
	Data                json.RawMessage `json:"data"`
	Headers             [][2]string     `json:"headers"`
	InferredContentType string          `json:"inferredContentType"`
}

// Span is one span of a transaction event.
type Span struct {
	SpanID         string         `json:"span_id"`
	TraceID        string         `json:"trace_id"`
	ParentSpanID   string         `json:"parent_span_id"`
	Op             string         `json:"op"`
	Description    string         `json:"description"`
	Status         string         `json:"status"`
	StartTimestamp Time           `json:"start_timestamp"`
	Timestamp      Time           `json:"timestamp"`
	Data           map[string]any `json:"data"`
}

// Entry returns the first entry of the given type.
func (e *Event) Entry(typ string) (Entry, bool) {
	for _, en := range e.Entries {
		if en.Type == typ {
			return en, true
		}
	}
	return Entry{}, false
}

func (e *Event) decodeEntry(typ string, v any) (bool, error) {
	en, ok := e.Entry(typ)
	if !ok || len(en.Data) == 0 || string(en.Data) == "null" {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(en.Data))
	dec.UseNumber() // as for whole answers: numbers in maps stay json.Number
	if err := dec.Decode(v); err != nil {
		return false, fmt.Errorf("sentry: decoding the %q entry of event %s: %w", typ, e.EventID, err)
	}
	return true, nil
}

// Exceptions returns the exceptions of an error event (none for other types).
func (e *Event) Exceptions() ([]Exception, error) {
	var v struct {
		Values []Exception `json:"values"`
	}
	_, err := e.decodeEntry("exception", &v)
	return v.Values, err
}

// Breadcrumbs returns the event's breadcrumbs, oldest first.
func (e *Event) Breadcrumbs() ([]Breadcrumb, error) {
	var v struct {
		Values []Breadcrumb `json:"values"`
	}
	_, err := e.decodeEntry("breadcrumbs", &v)
	return v.Values, err
}

// HTTPRequest returns the event's request entry, or nil.
func (e *Event) HTTPRequest() (*Request, error) {
	var r Request
	ok, err := e.decodeEntry("request", &r)
	if !ok || err != nil {
		return nil, err
	}
	return &r, nil
}

// Spans returns the spans of a transaction event.
func (e *Event) Spans() ([]Span, error) {
	var s []Span
	_, err := e.decodeEntry("spans", &s)
	return s, err
}

// FormattedMessage returns the message entry's text, else Message.
func (e *Event) FormattedMessage() string {
	var m struct {
		Formatted string `json:"formatted"`
		Message   string `json:"message"`
	}
	if ok, _ := e.decodeEntry("message", &m); ok {
		if m.Formatted != "" {
			return m.Formatted
		}
		if m.Message != "" {
			return m.Message
		}
	}
	return e.Message
}

// TraceID returns contexts.trace.trace_id: the trace to fetch with GetTrace.
func (e *Event) TraceID() string {
	var t struct {
		TraceID string `json:"trace_id"`
	}
	if raw, ok := e.Contexts["trace"]; ok && json.Unmarshal(raw, &t) == nil {
		return t.TraceID
	}
	return ""
}

// ReleaseVersion returns the version of the event's release, or "".
func (e *Event) ReleaseVersion() string {
	var r struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(e.Release, &r) == nil && r.Version != "" {
		return r.Version
	}
	var s string
	_ = json.Unmarshal(e.Release, &s)
	return s
}

// Tag returns the value of the event's tag key, or "".
func (e *Event) Tag(key string) string {
	for _, t := range e.Tags {
		if t.Key == key {
			return string(t.Value)
		}
	}
	return ""
}

// IssueEventsQuery narrows ListIssueEvents.
type IssueEventsQuery struct {
	Query       string // search within the issue's events
	Sort        string // e.g. "-timestamp" (Sentry's default) or "timestamp"
	StatsPeriod string
	Environment string
	Full        bool // include Entries (stack traces...) in each event
	Limit       int
	Cursor      string
}

// ListIssueEvents lists an issue's events, newest first.
func (c *Client) ListIssueEvents(ctx context.Context, org, issue string, eq IssueEventsQuery) ([]Event, Page, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", eq.Limit, eq.Cursor); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "query", eq.Query)
	setIf(q, "sort", eq.Sort)
	setIf(q, "statsPeriod", eq.StatsPeriod)
	setIf(q, "environment", eq.Environment)
	if eq.Full {
		q.Set("full", "true")
	}
	var evs []Event
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues", issue, "events"}, query: q, scope: "event:read"}, &evs)
	if err != nil {
		return nil, Page{}, err
	}
	return evs, page, nil
}

// Event selectors GetIssueEvent accepts besides an event id.
const (
	EventLatest      = "latest"
	EventOldest      = "oldest"
	EventRecommended = "recommended"
)

// GetIssueEvent returns one event of an issue, with entries: an event id, or
// EventLatest, EventOldest or EventRecommended (Sentry's pick of the most
// helpful one).
func (c *Client) GetIssueEvent(ctx context.Context, org, issue, event string) (*Event, error) {
	if err := checkArgs("organization", org, "issue", issue, "event", event); err != nil {
		return nil, err
	}
	var ev Event
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues", issue, "events", event}, scope: "event:read"}, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// GetEvent returns one event of a project by event id, with entries.
func (c *Client) GetEvent(ctx context.Context, org, project, event string) (*Event, error) {
	if err := checkArgs("organization", org, "project", project, "event", event); err != nil {
		return nil, err
	}
	var ev Event
	if _, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "events", event}, scope: "event:read"}, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// EventsQuery is a Discover/Explore query over events (GET
// /organizations/{org}/events/).
type EventsQuery struct {
	Dataset     string   // errors, spans, logs, transactions...; "" lets Sentry choose
	Fields      []string // columns and aggregates, e.g. "title", "count()"; required
	Query       string
	Sort        string // a field, "-" for descending: "-count()"
	StatsPeriod string // relative window ("24h"), or
	Start, End  string // an absolute window, RFC 3339
	Projects    []string
	Environment string
	Limit       int
	Cursor      string
}

// EventsResult holds rows keyed by field. Numbers are json.Number, so large
// ids keep their digits; Meta.Fields gives each field's type ("integer",
// "duration", "date"...) and Meta.Units its unit ("millisecond").
type EventsResult struct {
	Data []map[string]any `json:"data"`
	Meta EventsMeta       `json:"meta"`
}

// EventsMeta describes the columns of an EventsResult.
type EventsMeta struct {
	Fields  map[string]string `json:"fields"`
	Units   map[string]string `json:"units"`
	Dataset string            `json:"dataset"`
}

// SearchEvents runs an events query.
func (c *Client) SearchEvents(ctx context.Context, org string, eq EventsQuery) (*EventsResult, Page, error) {
	if len(eq.Fields) == 0 {
		return nil, Page{}, fmt.Errorf("%w: an events query needs at least one field", ErrInvalidArgument)
	}
	q := url.Values{}
	if err := setPage(q, "per_page", eq.Limit, eq.Cursor); err != nil {
		return nil, Page{}, err
	}
	if err := setWindow(q, eq.StatsPeriod, eq.Start, eq.End); err != nil {
		return nil, Page{}, err
	}
	if err := addProjects(q, eq.Projects); err != nil {
		return nil, Page{}, err
	}
	for _, f := range eq.Fields {
		if strings.TrimSpace(f) == "" {
			return nil, Page{}, fmt.Errorf("%w: empty field", ErrInvalidArgument)
		}
		q.Add("field", f)
	}
	setIf(q, "dataset", eq.Dataset)
	setIf(q, "query", eq.Query)
	setIf(q, "sort", eq.Sort)
	setIf(q, "environment", eq.Environment)
	var res EventsResult
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "events"}, query: q, scope: "event:read"}, &res)
	if err != nil {
		return nil, Page{}, err
	}
	return &res, page, nil
}

// setWindow sets a relative or an absolute time window, not both.
func setWindow(q url.Values, statsPeriod, start, end string) error {
	switch {
	case statsPeriod != "" && (start != "" || end != ""):
		return fmt.Errorf("%w: give either a stats period or start and end, not both", ErrInvalidArgument)
	case (start == "") != (end == ""):
		return fmt.Errorf("%w: start and end go together", ErrInvalidArgument)
	}
	setIf(q, "statsPeriod", statsPeriod)
	setIf(q, "start", start)
	setIf(q, "end", end)
	return nil
}
