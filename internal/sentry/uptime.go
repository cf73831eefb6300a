package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// UptimeMonitor is an HTTP uptime monitor (Sentry's uptime alert).
type UptimeMonitor struct {
	ID          FlexString `json:"id"`
	Name        string     `json:"name"`
	ProjectSlug string     `json:"projectSlug"`
	Environment string     `json:"environment"`
	Status      string     `json:"status"` // active, disabled
	// UptimeStatus is 1 when the URL is up, 2 when it is failing.
	UptimeStatus           FlexInt       `json:"uptimeStatus"`
	Owner                  *Actor        `json:"owner"`
	URL                    string        `json:"url"`
	Method                 string        `json:"method"`
	Headers                UptimeHeaders `json:"headers"`
	Body                   *string       `json:"body"`
	IntervalSeconds        FlexInt       `json:"intervalSeconds"`
	TimeoutMs              FlexInt       `json:"timeoutMs"`
	RecoveryThreshold      FlexInt       `json:"recoveryThreshold"`
	DowntimeThreshold      FlexInt       `json:"downtimeThreshold"`
	TraceSampling          bool          `json:"traceSampling"`
	ResponseCaptureEnabled bool          `json:"responseCaptureEnabled"`
}

// UptimeHeaders are the request headers of a check, [name, value] pairs.
// Malformed pairs are dropped when decoding rather than failing the
// monitor.
type UptimeHeaders [][2]string

// UnmarshalJSON implements json.Unmarshaler.
func (h *UptimeHeaders) UnmarshalJSON(b []byte) error {
	*h = nil
	var raw []json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	for _, r := range raw {
		var pair []string
		if json.Unmarshal(r, &pair) == nil && len(pair) == 2 {
			*h = append(*h, [2]string{pair[0], pair[1]})
		}
	}
	return nil
}

// UptimeCheck is one check of an uptime monitor.
type UptimeCheck struct {
	ID                 string  `json:"uptimeCheckId"`
	Timestamp          Time    `json:"timestamp"`
	ScheduledCheckTime Time    `json:"scheduledCheckTime"`
	CheckStatus        string  `json:"checkStatus"` // success, failure, failure_incident, missed_window
	CheckStatusReason  string  `json:"checkStatusReason"`
	HTTPStatusCode     FlexInt `json:"httpStatusCode"`
	DurationMs         FlexInt `json:"durationMs"`
	TraceID            string  `json:"traceId"`
	IncidentStatus     FlexInt `json:"incidentStatus"`
	Environment        string  `json:"environment"`
	Region             string  `json:"region"`
	RegionName         string  `json:"regionName"`
}

// UptimeQuery narrows ListUptimeMonitors.
type UptimeQuery struct {
	Projects    []string // numeric ids or slugs
	Environment string
	Owner       string // user:<id>, team:<id>
	Query       string
	Limit       int
	Cursor      string
}

// UptimeChecksQuery narrows ListUptimeChecks: StatsPeriod ("24h") or Start
// and End (RFC 3339).
type UptimeChecksQuery struct {
	StatsPeriod string
	Start, End  string
	Limit       int
	Cursor      string
}

// UptimeMonitorFields are the settings of an uptime monitor to create or
// change. Nil fields are not sent. Body, Owner and Environment pointing at
// "" are sent as null, which clears them.
type UptimeMonitorFields struct {
	Name, URL, Method, Status                                        *string
	IntervalSeconds, TimeoutMs, RecoveryThreshold, DowntimeThreshold *int
	// Headers: nil is not sent; an empty, non-nil slice clears them.
	Headers                               [][2]string
	Body, Owner, Environment              *string
	TraceSampling, ResponseCaptureEnabled *bool
}

func (f UptimeMonitorFields) json() map[string]any {
	body := map[string]any{}
	for k, v := range map[string]*string{"name": f.Name, "url": f.URL, "method": f.Method, "status": f.Status} {
		if v != nil {
			body[k] = *v
		}
	}
	for k, v := range map[string]*string{"body": f.Body, "owner": f.Owner, "environment": f.Environment} {
		switch {
		case v == nil:
		case *v == "":
			body[k] = nil
		default:
			body[k] = *v
		}
	}
	for k, v := range map[string]*int{"intervalSeconds": f.IntervalSeconds, "timeoutMs": f.TimeoutMs,
		"recoveryThreshold": f.RecoveryThreshold, "downtimeThreshold": f.DowntimeThreshold} {
		if v != nil {
			body[k] = *v
		}
	}
	for k, v := range map[string]*bool{"traceSampling": f.TraceSampling, "responseCaptureEnabled": f.ResponseCaptureEnabled} {
		if v != nil {
			body[k] = *v
		}
	}
	if f.Headers != nil {
		pairs := make([][]string, len(f.Headers))
		for i, h := range f.Headers {
			pairs[i] = []string{h[0], h[1]}
		}
		body["headers"] = pairs
	}
	return body
}

// ListUptimeMonitors lists an organization's uptime monitors (GET
// /organizations/{org}/uptime/).
func (c *Client) ListUptimeMonitors(ctx context.Context, org string, uq UptimeQuery) ([]UptimeMonitor, Page, error) {
	if err := checkArgs("organization", org); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", uq.Limit, uq.Cursor); err != nil {
		return nil, Page{}, err
	}
	if err := addProjects(q, uq.Projects); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "environment", uq.Environment)
	setIf(q, "owner", uq.Owner)
	setIf(q, "query", uq.Query)
	var ms []UptimeMonitor
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "uptime"}, query: q, scope: "org:read"}, &ms)
	if err != nil {
		return nil, Page{}, err
	}
	return ms, page, nil
}

// GetUptimeMonitor returns one uptime monitor of a project.
func (c *Client) GetUptimeMonitor(ctx context.Context, org, project, id string) (*UptimeMonitor, error) {
	if err := checkArgs("organization", org, "project", project, "uptime monitor id", id); err != nil {
		return nil, err
	}
	var m UptimeMonitor
	if _, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "uptime", id}, scope: "project:read"}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// ListUptimeChecks lists a monitor's recent checks, newest first.
func (c *Client) ListUptimeChecks(ctx context.Context, org, project, id string, cq UptimeChecksQuery) ([]UptimeCheck, Page, error) {
	if err := checkArgs("organization", org, "project", project, "uptime monitor id", id); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", cq.Limit, cq.Cursor); err != nil {
		return nil, Page{}, err
	}
	if cq.StatsPeriod != "" && (cq.Start != "" || cq.End != "") {
		return nil, Page{}, fmt.Errorf("%w: give a period or start and end, not both", ErrInvalidArgument)
	}
	setIf(q, "statsPeriod", cq.StatsPeriod)
	setIf(q, "start", cq.Start)
	setIf(q, "end", cq.End)
	var checks []UptimeCheck
	page, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "uptime", id, "checks"}, query: q, scope: "project:read"}, &checks)
	if err != nil {
		return nil, Page{}, err
	}
	return checks, page, nil
}

// CreateUptimeMonitor creates an uptime monitor in a project (POST
// /projects/{org}/{project}/uptime/; needs project:write). Name, URL,
// IntervalSeconds and TimeoutMs are required.
func (c *Client) CreateUptimeMonitor(ctx context.Context, org, project string, f UptimeMonitorFields) (*UptimeMonitor, error) {
	if err := checkArgs("organization", org, "project", project); err != nil {
		return nil, err
	}
	if f.Name == nil || f.URL == nil || f.IntervalSeconds == nil || f.TimeoutMs == nil {
		return nil, fmt.Errorf("%w: an uptime monitor needs a name, url, intervalSeconds and timeoutMs", ErrInvalidArgument)
	}
	var m UptimeMonitor
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"projects", org, project, "uptime"},
		body: f.json(), scope: "project:write"}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// UpdateUptimeMonitor changes an uptime monitor (PUT
// /projects/{org}/{project}/uptime/{id}/; needs project:write).
func (c *Client) UpdateUptimeMonitor(ctx context.Context, org, project, id string, f UptimeMonitorFields) (*UptimeMonitor, error) {
	if err := checkArgs("organization", org, "project", project, "uptime monitor id", id); err != nil {
		return nil, err
	}
	body := f.json()
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: the update changes nothing", ErrInvalidArgument)
	}
	var m UptimeMonitor
	if _, err := c.do(ctx, call{method: http.MethodPut, org: org, path: []string{"projects", org, project, "uptime", id},
		body: body, scope: "project:write"}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteUptimeMonitor deletes an uptime monitor (DELETE
// /projects/{org}/{project}/uptime/{id}/; needs project:write). Sentry
// answers 202 and removes it shortly after.
func (c *Client) DeleteUptimeMonitor(ctx context.Context, org, project, id string) error {
	if err := checkArgs("organization", org, "project", project, "uptime monitor id", id); err != nil {
		return err
	}
	_, err := c.do(ctx, call{method: http.MethodDelete, org: org, path: []string{"projects", org, project, "uptime", id},
		scope: "project:write"}, nil)
	return err
}
