package sentry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Issue is a Sentry issue (a group of similar events).
type Issue struct {
	ID            FlexString     `json:"id"`
	ShortID       string         `json:"shortId"`
	Title         string         `json:"title"`
	Culprit       string         `json:"culprit"`
	Permalink     string         `json:"permalink"`
	Level         string         `json:"level"`
	Status        string         `json:"status"`
	Substatus     string         `json:"substatus"`
	Priority      string         `json:"priority"`
	Platform      string         `json:"platform"`
	Type          string         `json:"type"`
	IssueType     string         `json:"issueType"`
	IssueCategory string         `json:"issueCategory"`
	Logger        string         `json:"logger"`
	Project       ProjectRef     `json:"project"`
	Metadata      IssueMetadata  `json:"metadata"`
	Count         FlexInt        `json:"count"` // a string in Sentry's JSON
	UserCount     FlexInt        `json:"userCount"`
	NumComments   FlexInt        `json:"numComments"`
	FirstSeen     Time           `json:"firstSeen"`
	LastSeen      Time           `json:"lastSeen"`
	IsUnhandled   bool           `json:"isUnhandled"`
	HasSeen       bool           `json:"hasSeen"`
	IsBookmarked  bool           `json:"isBookmarked"`
	IsSubscribed  bool           `json:"isSubscribed"`
	AssignedTo    *Actor         `json:"assignedTo"`
	StatusDetails map[string]any `json:"statusDetails"`
	FirstRelease  *Release       `json:"firstRelease"`
	LastRelease   *Release       `json:"lastRelease"`
	Activity      []Activity     `json:"activity"` // issue details only
}

// IssueMetadata is what Sentry extracted for an issue's title.
type IssueMetadata struct {
	Type     string `json:"type"`
	Value    string `json:"value"`
	Title    string `json:"title"`
	Filename string `json:"filename"`
	Function string `json:"function"`
}

// Actor is a user or team an issue is assigned to.
type Actor struct {
	Type  string     `json:"type"` // "user" or "team"
	ID    FlexString `json:"id"`
	Name  string     `json:"name"`
	Email string     `json:"email"`
}

// Activity is one entry of an issue's history (notes included, type "note"
// with the text in Data["text"]).
type Activity struct {
	ID          FlexString     `json:"id"`
	Type        string         `json:"type"`
	User        *User          `json:"user"`
	Data        map[string]any `json:"data"`
	DateCreated Time           `json:"dateCreated"`
}

// TagValues is the distribution of one tag's values within an issue.
type TagValues struct {
	Key         string     `json:"key"`
	Name        string     `json:"name"`
	TotalValues FlexInt    `json:"totalValues"`
	TopValues   []TagValue `json:"topValues"`
}

// TagValue is one value of a tag and how often it was seen.
type TagValue struct {
	Key       string     `json:"key"`
	Name      string     `json:"name"`
	Value     FlexString `json:"value"`
	Count     FlexInt    `json:"count"`
	FirstSeen Time       `json:"firstSeen"`
	LastSeen  Time       `json:"lastSeen"`
}

// IssueQuery is an issue search.
type IssueQuery struct {
	Query       string   // Sentry search syntax; "" means Sentry's default, is:unresolved
	Sort        string   // date, new, freq, user, trends...
	StatsPeriod string   // search window, e.g. "24h", "14d"
	Projects    []string // ids or slugs; none means all
	Environment string
	Limit       int
	Cursor      string
}

// IssueUpdate changes an issue. Unset fields are left as they are.
type IssueUpdate struct {
	Status    string // resolved, unresolved, ignored, resolvedInNextRelease
	Substatus string
	Priority  string // high, medium, low
	// AssignedTo is "user:<id>", "team:<id>", a username or an email; a
	// pointer to "" unassigns; nil leaves the assignee alone.
	AssignedTo *string
	// Conditions of an ignore (status ignored, substatus
	// archived_until_condition_met); 0 means unset. Durations in minutes.
	IgnoreDuration   int // ignore for this long
	IgnoreCount      int // until this many more events...
	IgnoreWindow     int // ...within this window
	IgnoreUserCount  int // until this many more users...
	IgnoreUserWindow int // ...within this window
}

// ListIssues searches an organization's issues.
func (c *Client) ListIssues(ctx context.Context, org string, iq IssueQuery) ([]Issue, Page, error) {
	q := url.Values{}
	if err := setPage(q, "limit", iq.Limit, iq.Cursor); err != nil {
		return nil, Page{}, err
	}
	if err := addProjects(q, iq.Projects); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "query", iq.Query)
	setIf(q, "sort", iq.Sort)
	setIf(q, "statsPeriod", iq.StatsPeriod)
	setIf(q, "environment", iq.Environment)
	var issues []Issue
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues"}, query: q, scope: "event:read"}, &issues)
	if err != nil {
		return nil, Page{}, err
	}
	return issues, page, nil
}

// GetIssue returns one issue by numeric id or short id (PROJ-41).
func (c *Client) GetIssue(ctx context.Context, org, issue string) (*Issue, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return nil, err
	}
	var is Issue
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues", issue}, scope: "event:read"}, &is); err != nil {
		return nil, err
	}
	return &is, nil
}

// GetIssueTagValues returns the top values of one tag (url, browser,
// environment, release...) within an issue.
func (c *Client) GetIssueTagValues(ctx context.Context, org, issue, key string) (*TagValues, error) {
	if err := checkArgs("organization", org, "issue", issue, "tag key", key); err != nil {
		return nil, err
	}
	var tv TagValues
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues", issue, "tags", key}, scope: "event:read"}, &tv); err != nil {
		return nil, err
	}
	return &tv, nil
}

// ListIssueActivity returns an issue's history, newest first. Sentry versions
// without the activities endpoint answer 404 there; the client then falls
// back to the activity embedded in the issue's details (so a missing issue is
// still ErrNotFound).
func (c *Client) ListIssueActivity(ctx context.Context, org, issue string) ([]Activity, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return nil, err
	}
	var v struct {
		Activity []Activity `json:"activity"`
	}
	_, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues", issue, "activities"}, scope: "event:read"}, &v)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && strings.HasSuffix(apiErr.Path, "/activities/") {
		is, err := c.GetIssue(ctx, org, issue)
		if err != nil {
			return nil, err
		}
		return is.Activity, nil
	}
	if err != nil {
		return nil, err
	}
	return v.Activity, nil
}

// UpdateIssue changes an issue's status, priority or assignee (PUT; needs
// event:write). It is never retried except once after a 401.
func (c *Client) UpdateIssue(ctx context.Context, org, issue string, u IssueUpdate) (*Issue, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return nil, err
	}
	body := map[string]any{}
	setIfNonEmpty := func(k, v string) {
		if v != "" {
			body[k] = v
		}
	}
	setIfNonEmpty("status", u.Status)
	setIfNonEmpty("substatus", u.Substatus)
	setIfNonEmpty("priority", u.Priority)
	for k, v := range map[string]int{"ignoreDuration": u.IgnoreDuration, "ignoreCount": u.IgnoreCount,
		"ignoreWindow": u.IgnoreWindow, "ignoreUserCount": u.IgnoreUserCount, "ignoreUserWindow": u.IgnoreUserWindow} {
		if v < 0 {
			return nil, fmt.Errorf("%w: %s must not be negative", ErrInvalidArgument, k)
		}
		if v > 0 {
			body[k] = v
		}
	}
	if u.AssignedTo != nil {
		if *u.AssignedTo == "" {
			body["assignedTo"] = nil
		} else {
			body["assignedTo"] = *u.AssignedTo
		}
	}
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: the update changes nothing", ErrInvalidArgument)
	}
	var is Issue
	if _, err := c.do(ctx, call{method: http.MethodPut, org: org, path: []string{"organizations", org, "issues", issue}, body: body, scope: "event:write"}, &is); err != nil {
		return nil, err
	}
	return &is, nil
}

// AddIssueNote posts a comment on an issue (POST; needs event:write) and
// returns the new activity entry. It is never retried except once after a
// 401, so a note is not posted twice.
func (c *Client) AddIssueNote(ctx context.Context, org, issue, text string) (*Activity, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%w: note text must not be empty", ErrInvalidArgument)
	}
	var a Activity
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"organizations", org, "issues", issue, "notes"}, body: map[string]string{"text": text}, scope: "event:write"}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
