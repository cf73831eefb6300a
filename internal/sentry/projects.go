package sentry

import (
	"context"
	"net/url"
)

// ProjectRef is the short form of a project inside other objects.
type ProjectRef struct {
	ID       FlexString `json:"id"`
	Slug     string     `json:"slug"`
	Name     string     `json:"name"`
	Platform string     `json:"platform"`
}

// TeamRef is the short form of a team inside other objects.
type TeamRef struct {
	ID   FlexString `json:"id"`
	Slug string     `json:"slug"`
	Name string     `json:"name"`
}

// Project is a Sentry project.
type Project struct {
	ID          FlexString `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	Platform    string     `json:"platform"`
	Status      string     `json:"status"`
	DateCreated Time       `json:"dateCreated"`
	FirstEvent  Time       `json:"firstEvent"`
	IsMember    bool       `json:"isMember"`
	HasAccess   bool       `json:"hasAccess"`
	Features    []string   `json:"features"`
	Team        *TeamRef   `json:"team"`
	Teams       []TeamRef  `json:"teams"`
}

// ProjectKey is a client key of a project: the DSN an SDK is configured
// with. The secret key and secret DSN are deliberately not decoded: they are
// legacy credentials and have no place in a chat reply.
type ProjectKey struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Label       string     `json:"label"`
	Public      string     `json:"public"`
	ProjectID   FlexString `json:"projectId"`
	IsActive    bool       `json:"isActive"`
	DateCreated Time       `json:"dateCreated"`
	DSN         KeyDSN     `json:"dsn"`
}

// KeyDSN are the public endpoints of a client key.
type KeyDSN struct {
	Public   string `json:"public"`
	CSP      string `json:"csp"`
	Security string `json:"security"`
	Minidump string `json:"minidump"`
	CDN      string `json:"cdn"`
}

// ListProjects lists an organization's projects.
func (c *Client) ListProjects(ctx context.Context, org string, opts ListOptions) ([]Project, Page, error) {
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var ps []Project
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "projects"}, query: q, scope: "project:read"}, &ps)
	if err != nil {
		return nil, Page{}, err
	}
	return ps, page, nil
}

// GetProject returns one project by slug or id.
func (c *Client) GetProject(ctx context.Context, org, project string) (*Project, error) {
	if err := checkArgs("organization", org, "project", project); err != nil {
		return nil, err
	}
	var p Project
	if _, err := c.get(ctx, call{org: org, path: []string{"projects", org, project}, scope: "project:read"}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ListProjectKeys lists a project's client keys (DSNs).
func (c *Client) ListProjectKeys(ctx context.Context, org, project string, opts ListOptions) ([]ProjectKey, Page, error) {
	if err := checkArgs("organization", org, "project", project); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var keys []ProjectKey
	page, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "keys"}, query: q, scope: "project:read"}, &keys)
	if err != nil {
		return nil, Page{}, err
	}
	return keys, page, nil
}
