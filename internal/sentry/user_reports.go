package sentry

import (
	"context"
	"net/url"
)

// UserReport is what a user wrote about an error (legacy User Reports and
// crash-report feedback attached to an issue).
type UserReport struct {
	ID          FlexString `json:"id"`
	EventID     string     `json:"eventID"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Comments    string     `json:"comments"`
	DateCreated Time       `json:"dateCreated"`
	User        *struct {
		ID       FlexString `json:"id"`
		Username string     `json:"username"`
		Email    string     `json:"email"`
		Name     string     `json:"name"`
	} `json:"user"`
}

// ListIssueUserReports lists the user reports of an issue, newest first.
func (c *Client) ListIssueUserReports(ctx context.Context, org, issue string, opts ListOptions) ([]UserReport, Page, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var rs []UserReport
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues", issue, "user-reports"}, query: q, scope: "event:read"}, &rs)
	if err != nil {
		return nil, Page{}, err
	}
	return rs, page, nil
}
