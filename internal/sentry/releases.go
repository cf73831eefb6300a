package sentry

import (
	"context"
	"net/url"
)

// Release is a release of an organization.
type Release struct {
	ID           FlexString       `json:"id"`
	Version      string           `json:"version"`
	ShortVersion string           `json:"shortVersion"`
	Status       string           `json:"status"`
	Ref          string           `json:"ref"`
	URL          string           `json:"url"`
	DateCreated  Time             `json:"dateCreated"`
	DateReleased Time             `json:"dateReleased"`
	FirstEvent   Time             `json:"firstEvent"`
	LastEvent    Time             `json:"lastEvent"`
	NewGroups    FlexInt          `json:"newGroups"`
	CommitCount  FlexInt          `json:"commitCount"`
	DeployCount  FlexInt          `json:"deployCount"`
	Projects     []ReleaseProject `json:"projects"`
	LastDeploy   *Deploy          `json:"lastDeploy"`
}

// ReleaseProject is a project a release belongs to.
type ReleaseProject struct {
	ID        FlexString `json:"id"`
	Slug      string     `json:"slug"`
	Name      string     `json:"name"`
	Platform  string     `json:"platform"`
	NewGroups FlexInt    `json:"newGroups"`
}

// Deploy is a deploy of a release to an environment.
type Deploy struct {
	ID           FlexString `json:"id"`
	Environment  string     `json:"environment"`
	Name         string     `json:"name"`
	URL          string     `json:"url"`
	DateStarted  Time       `json:"dateStarted"`
	DateFinished Time       `json:"dateFinished"`
}

// ReleaseQuery narrows ListReleases.
type ReleaseQuery struct {
	Project string // id or slug; "" for all projects
	Query   string // matches versions
	Limit   int
	Cursor  string
}

// ListReleases lists an organization's releases, newest first.
func (c *Client) ListReleases(ctx context.Context, org string, rq ReleaseQuery) ([]Release, Page, error) {
	q := url.Values{}
	if err := setPage(q, "per_page", rq.Limit, rq.Cursor); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "query", rq.Query)
	if rq.Project != "" {
		if err := addProjects(q, []string{rq.Project}); err != nil {
			return nil, Page{}, err
		}
	}
	var rs []Release
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "releases"}, query: q, scope: "project:read"}, &rs)
	if err != nil {
		return nil, Page{}, err
	}
	return rs, page, nil
}

// GetRelease returns one release. The version may hold "/" and "+"; it is
// escaped as one path segment.
func (c *Client) GetRelease(ctx context.Context, org, version string) (*Release, error) {
	if err := checkArgs("organization", org, "release version", version); err != nil {
		return nil, err
	}
	var r Release
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "releases", version}, scope: "project:read"}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
