package sentry

import (
	"context"
	"encoding/json"
	"net/url"
)

// DashboardSummary is a dashboard as the dashboards listing shows it.
type DashboardSummary struct {
	ID            FlexString   `json:"id"`
	Title         string       `json:"title"`
	DateCreated   Time         `json:"dateCreated"`
	LastVisited   Time         `json:"lastVisited"`
	CreatedBy     *User        `json:"createdBy"`
	Environment   []string     `json:"environment"`
	Projects      []FlexString `json:"projects"` // numeric ids; empty means "my projects"
	WidgetDisplay []string     `json:"widgetDisplay"`
	WidgetPreview []struct {
		DisplayType string `json:"displayType"`
	} `json:"widgetPreview"`
	IsFavorited bool       `json:"isFavorited"`
	PrebuiltID  FlexString `json:"prebuiltId"`
}

// Dashboard is one dashboard with its widgets' saved queries (not their
// data).
type Dashboard struct {
	ID          FlexString                 `json:"id"`
	Title       string                     `json:"title"`
	DateCreated Time                       `json:"dateCreated"`
	CreatedBy   *User                      `json:"createdBy"`
	Widgets     []DashboardWidget          `json:"widgets"`
	Filters     map[string]json.RawMessage `json:"filters"`
	Projects    []FlexString               `json:"projects"`
	Environment []string                   `json:"environment"`
	Period      string                     `json:"period"`
	Start       Time                       `json:"start"`
	End         Time                       `json:"end"`
	UTC         bool                       `json:"utc"`
	IsFavorited bool                       `json:"isFavorited"`
	PrebuiltID  FlexString                 `json:"prebuiltId"`
}

// DashboardWidget is one chart or table of a dashboard.
type DashboardWidget struct {
	ID          FlexString       `json:"id"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	DisplayType string           `json:"displayType"` // line, area, bar, table, big_number...
	WidgetType  string           `json:"widgetType"`  // error-events, spans, issue...
	Interval    string           `json:"interval"`
	Limit       FlexInt          `json:"limit"`
	Queries     []DashboardQuery `json:"queries"`
}

// DashboardQuery is a widget's saved query.
type DashboardQuery struct {
	Name       string   `json:"name"`
	Fields     []string `json:"fields"`
	Aggregates []string `json:"aggregates"`
	Columns    []string `json:"columns"`
	Conditions string   `json:"conditions"`
	OrderBy    string   `json:"orderby"`
}

// DashboardListQuery narrows ListDashboards.
type DashboardListQuery struct {
	Query  string // title contains
	Sort   string // title, -title, dateCreated, -dateCreated
	Limit  int
	Cursor string
}

// ListDashboards lists an organization's dashboards.
func (c *Client) ListDashboards(ctx context.Context, org string, dq DashboardListQuery) ([]DashboardSummary, Page, error) {
	q := url.Values{}
	if err := setPage(q, "per_page", dq.Limit, dq.Cursor); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "query", dq.Query)
	setIf(q, "sort", dq.Sort)
	var ds []DashboardSummary
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "dashboards"}, query: q, scope: "org:read"}, &ds)
	if err != nil {
		return nil, Page{}, err
	}
	return ds, page, nil
}

// GetDashboard returns one dashboard by id.
func (c *Client) GetDashboard(ctx context.Context, org, id string) (*Dashboard, error) {
	if err := checkArgs("organization", org, "dashboard id", id); err != nil {
		return nil, err
	}
	var d Dashboard
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "dashboards", id}, scope: "org:read"}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
