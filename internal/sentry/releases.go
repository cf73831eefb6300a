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
	ID            FlexString     `json:"id"`
	Slug          string         `json:"slug"`
	Name          string         `json:"name"`
	Platform      string         `json:"platform"`
	NewGroups     FlexInt        `json:"newGroups"`
	HasHealthData bool           `json:"hasHealthData"`
	HealthData    *ReleaseHealth `json:"healthData"` // with GetProjectRelease(health true)
}

// ReleaseHealth is the session health of a release in one project.
// Rates are percentages; nil when Sentry has no sessions to compute them.
type ReleaseHealth struct {
	CrashFreeSessions *float64 `json:"crashFreeSessions"`
	CrashFreeUsers    *float64 `json:"crashFreeUsers"`
	Adoption          *float64 `json:"adoption"`
	SessionsAdoption  *float64 `json:"sessionsAdoption"`
	TotalSessions     FlexInt  `json:"totalSessions"`
	TotalUsers        FlexInt  `json:"totalUsers"`
	SessionsCrashed   FlexInt  `json:"sessionsCrashed"`
	SessionsErrored   FlexInt  `json:"sessionsErrored"`
	DurationP50       *float64 `json:"durationP50"` // seconds
	DurationP90       *float64 `json:"durationP90"`
	HasHealthData     bool     `json:"hasHealthData"`
}

// Commit is a commit associated with a release.
type Commit struct {
	ID          string        `json:"id"`
	Message     string        `json:"message"`
	DateCreated Time          `json:"dateCreated"`
	Author      *CommitAuthor `json:"author"`
	Repository  *struct {
		Name string `json:"name"`
	} `json:"repository"`
}

// CommitAuthor is who wrote a commit.
type CommitAuthor struct {
	Name  string `json:"name"`
	Email string `json:"email"`
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

// GetProjectRelease returns one release as one project sees it; with
// health, each project carries its session health (HealthData).
func (c *Client) GetProjectRelease(ctx context.Context, org, project, version string, health bool) (*Release, error) {
	if err := checkArgs("organization", org, "project", project, "release version", version); err != nil {
		return nil, err
	}
	q := url.Values{}
	if health {
		q.Set("health", "1")
	}
	var r Release
	if _, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "releases", version}, query: q, scope: "project:read"}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ListReleaseDeploys lists a release's deploys, newest first.
func (c *Client) ListReleaseDeploys(ctx context.Context, org, version string, opts ListOptions) ([]Deploy, Page, error) {
	if err := checkArgs("organization", org, "release version", version); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var ds []Deploy
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "releases", version, "deploys"}, query: q, scope: "project:read"}, &ds)
	if err != nil {
		return nil, Page{}, err
	}
	return ds, page, nil
}

// ListReleaseCommits lists the commits associated with a release, newest
// first.
func (c *Client) ListReleaseCommits(ctx context.Context, org, version string, opts ListOptions) ([]Commit, Page, error) {
	if err := checkArgs("organization", org, "release version", version); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var cs []Commit
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "releases", version, "commits"}, query: q, scope: "project:read"}, &cs)
	if err != nil {
		return nil, Page{}, err
	}
	return cs, page, nil
}
