package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Alert rules come in two families. Issue alert rules are workflows
// (/workflows/) in current Sentry, each tied to detectors; metric alert rules
// live under /alert-rules/. Their condition and action objects vary with the
// kind of condition, so they are kept as generic maps.

// AlertComponent is one condition, filter, action or trigger of a rule.
type AlertComponent = map[string]any

// Workflow is an issue alert rule.
type Workflow struct {
	ID            FlexString       `json:"id"`
	Name          string           `json:"name"`
	Enabled       *bool            `json:"enabled"`
	Status        string           `json:"status"`
	Config        map[string]any   `json:"config"`
	Frequency     *FlexInt         `json:"frequency"` // older rule shape
	Environment   string           `json:"environment"`
	DetectorIDs   []FlexString     `json:"detectorIds"`
	Owner         AlertOwner       `json:"owner"`
	ActionMatch   string           `json:"actionMatch"`
	FilterMatch   string           `json:"filterMatch"`
	DateCreated   Time             `json:"dateCreated"`
	DateUpdated   Time             `json:"dateUpdated"`
	LastTriggered Time             `json:"lastTriggered"`
	Triggers      AlertComponent   `json:"triggers"`
	ActionFilters []AlertComponent `json:"actionFilters"`
	Conditions    []AlertComponent `json:"conditions"` // older rule shape
	Filters       []AlertComponent `json:"filters"`
	Actions       []AlertComponent `json:"actions"`
}

// FrequencyMinutes is how often the rule may fire, or -1 when unknown.
func (w Workflow) FrequencyMinutes() int64 {
	if w.Frequency != nil {
		return int64(*w.Frequency)
	}
	switch f := w.Config["frequency"].(type) {
	case json.Number:
		if n, err := f.Int64(); err == nil {
			return n
		}
	case float64:
		return int64(f)
	}
	return -1
}

// StatusText is "enabled", "disabled" or Sentry's status, "" when unknown.
func (w Workflow) StatusText() string {
	switch {
	case w.Status != "":
		return w.Status
	case w.Enabled == nil:
		return ""
	case *w.Enabled:
		return "enabled"
	}
	return "disabled"
}

// MetricAlertRule is a metric alert rule.
type MetricAlertRule struct {
	ID          FlexString       `json:"id"`
	Name        string           `json:"name"`
	Status      FlexString       `json:"status"` // 0 active, 1 disabled... as Sentry numbers them
	Dataset     string           `json:"dataset"`
	Aggregate   string           `json:"aggregate"`
	Query       string           `json:"query"`
	TimeWindow  FlexInt          `json:"timeWindow"` // minutes
	Projects    []string         `json:"projects"`   // slugs
	Environment string           `json:"environment"`
	Owner       AlertOwner       `json:"owner"`
	DateCreated Time             `json:"dateCreated"`
	Triggers    []AlertComponent `json:"triggers"`
}

// AlertOwner is a rule's owner, "team:backend" or "user:42"; Sentry sends a
// string or an actor object depending on the endpoint.
type AlertOwner string

// UnmarshalJSON implements json.Unmarshaler; unknown shapes decode to "".
func (o *AlertOwner) UnmarshalJSON(b []byte) error {
	*o = ""
	var s string
	if json.Unmarshal(b, &s) == nil {
		*o = AlertOwner(s)
		return nil
	}
	var a Actor
	if json.Unmarshal(b, &a) == nil && a.Type != "" {
		*o = AlertOwner(a.Type + ":" + orDefault(a.Name, string(a.ID)))
	}
	return nil
}

// WorkflowQuery narrows ListWorkflows.
type WorkflowQuery struct {
	Project string // slug; issue alert rules belong to a project
	Query   string // Sentry workflow search, e.g. name:"*checkout*"
	ID      string // one workflow by id
	Limit   int
	Cursor  string
}

// ListWorkflows lists issue alert rules, newest first.
func (c *Client) ListWorkflows(ctx context.Context, org string, wq WorkflowQuery) ([]Workflow, Page, error) {
	q := url.Values{"sortBy": {"-id"}}
	if err := setPage(q, "per_page", wq.Limit, wq.Cursor); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "projectSlug", wq.Project)
	setIf(q, "query", wq.Query)
	setIf(q, "id", wq.ID)
	var ws []Workflow
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "workflows"}, query: q, scope: "org:read"}, &ws)
	if err != nil {
		return nil, Page{}, err
	}
	return ws, page, nil
}

// MetricRuleQuery narrows ListMetricAlertRules.
type MetricRuleQuery struct {
	ProjectID string // numeric; "" for every project
	Name      string // name contains; uses the combined-rules search
	Limit     int
	Cursor    string
}

// ListMetricAlertRules lists metric alert rules. With a name it asks the
// combined-rules endpoint, the one that searches by name.
func (c *Client) ListMetricAlertRules(ctx context.Context, org string, mq MetricRuleQuery) ([]MetricAlertRule, Page, error) {
	q := url.Values{}
	if err := setPage(q, "per_page", mq.Limit, mq.Cursor); err != nil {
		return nil, Page{}, err
	}
	if mq.ProjectID != "" {
		if _, err := strconv.ParseInt(mq.ProjectID, 10, 64); err != nil {
			return nil, Page{}, fmt.Errorf("%w: project %s must be a numeric id", ErrInvalidArgument, quoted(mq.ProjectID))
		}
		q.Set("project", mq.ProjectID)
	}
	path := []string{"organizations", org, "alert-rules"}
	if mq.Name != "" {
		q.Set("name", mq.Name)
		q.Set("alertType", "alert_rule")
		path = []string{"organizations", org, "combined-rules"}
	}
	var rules []MetricAlertRule
	page, err := c.get(ctx, call{org: org, path: path, query: q, scope: "org:read"}, &rules)
	if err != nil {
		return nil, Page{}, err
	}
	return rules, page, nil
}

// GetMetricAlertRule returns one metric alert rule by id.
func (c *Client) GetMetricAlertRule(ctx context.Context, org, id string) (*MetricAlertRule, error) {
	if err := checkArgs("organization", org, "alert rule id", id); err != nil {
		return nil, err
	}
	var r MetricAlertRule
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "alert-rules", id}, scope: "org:read"}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
