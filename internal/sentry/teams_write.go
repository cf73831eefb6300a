package sentry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Writes to teams, projects and their team access. Like every write they
// are never retried (except once after a 401, when Sentry did nothing):
// Sentry may have applied a request whose answer was lost.

// ProjectCreate is a project to create. Slug and Platform may be empty:
// Sentry then derives the slug from the name and leaves the platform unset.
type ProjectCreate struct {
	Name     string
	Slug     string
	Platform string
}

// ProjectUpdate changes a project. Nil fields are left as they are; a
// Platform pointing at "" clears the platform.
type ProjectUpdate struct {
	Name     *string
	Slug     *string
	Platform *string
}

// Repository is a source code repository connected to an organization
// through an integration (GitHub, GitLab...).
type Repository struct {
	ID            FlexString       `json:"id"`
	Name          string           `json:"name"` // "getsentry/sentry"
	Provider      RepositoryVendor `json:"provider"`
	Status        string           `json:"status"`
	ExternalSlug  string           `json:"externalSlug"`
	IntegrationID FlexString       `json:"integrationId"`
}

// RepositoryVendor names the integration a repository comes from.
type RepositoryVendor struct {
	ID   string `json:"id"` // "integrations:github"
	Name string `json:"name"`
}

// CodeMappings links a project to a repository: where stack trace paths
// (StackRoot) live in the repository (SourceRoot).
type CodeMappings struct {
	Project    string        `json:"project"`
	Repository string        `json:"repository"`
	Provider   string        `json:"provider,omitempty"`
	Mappings   []CodeMapping `json:"mappings"`
}

// CodeMapping is one stack-trace-root to source-root mapping.
type CodeMapping struct {
	StackRoot  string `json:"stackRoot"`
	SourceRoot string `json:"sourceRoot"`
	Status     string `json:"status,omitempty"` // in answers: created, updated
}

// CodeMappingsResult is what Sentry did with a CodeMappings request.
type CodeMappingsResult struct {
	Created  FlexInt       `json:"created"`
	Updated  FlexInt       `json:"updated"`
	Errors   FlexInt       `json:"errors"`
	Mappings []CodeMapping `json:"mappings"`
}

// CreateTeam creates a team (POST /organizations/{org}/teams/; needs
// team:write). Sentry derives the slug from the name and answers 409 when
// a team with that slug exists.
func (c *Client) CreateTeam(ctx context.Context, org, name string) (*Team, error) {
	if err := checkArgs("organization", org, "team name", name); err != nil {
		return nil, err
	}
	var t Team
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"organizations", org, "teams"},
		body: map[string]string{"name": name}, scope: "team:write"}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateProject creates a project owned by team (POST
// /teams/{org}/{team}/projects/; needs project:write). Sentry answers 409
// when the slug is taken.
func (c *Client) CreateProject(ctx context.Context, org, team string, p ProjectCreate) (*Project, error) {
	if err := checkArgs("organization", org, "team", team, "project name", p.Name); err != nil {
		return nil, err
	}
	body := map[string]string{"name": p.Name}
	if p.Slug != "" {
		body["slug"] = p.Slug
	}
	if p.Platform != "" {
		body["platform"] = p.Platform
	}
	var out Project
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"teams", org, team, "projects"},
		body: body, scope: "project:write"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateProject changes a project's name, slug or platform (PUT
// /projects/{org}/{project}/; needs project:write).
func (c *Client) UpdateProject(ctx context.Context, org, project string, u ProjectUpdate) (*Project, error) {
	if err := checkArgs("organization", org, "project", project); err != nil {
		return nil, err
	}
	body := map[string]any{}
	if u.Name != nil {
		body["name"] = *u.Name
	}
	if u.Slug != nil {
		body["slug"] = *u.Slug
	}
	if u.Platform != nil {
		if *u.Platform == "" {
			body["platform"] = nil
		} else {
			body["platform"] = *u.Platform
		}
	}
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: the update changes nothing", ErrInvalidArgument)
	}
	var out Project
	if _, err := c.do(ctx, call{method: http.MethodPut, org: org, path: []string{"projects", org, project},
		body: body, scope: "project:write"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListProjectTeams lists the teams with access to a project (GET
// /projects/{org}/{project}/teams/).
func (c *Client) ListProjectTeams(ctx context.Context, org, project string, opts ListOptions) ([]Team, Page, error) {
	if err := checkArgs("organization", org, "project", project); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var teams []Team
	page, err := c.get(ctx, call{org: org, path: []string{"projects", org, project, "teams"}, query: q, scope: "project:read"}, &teams)
	if err != nil {
		return nil, Page{}, err
	}
	return teams, page, nil
}

// AllProjectTeams pages through ListProjectTeams, at most 10 pages of 100.
func (c *Client) AllProjectTeams(ctx context.Context, org, project string) ([]Team, error) {
	var all []Team
	cursor := ""
	for range 10 {
		teams, page, err := c.ListProjectTeams(ctx, org, project, ListOptions{Limit: maxPageSize, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		all = append(all, teams...)
		if !page.HasNext() {
			return all, nil
		}
		cursor = page.NextCursor
	}
	return all, nil
}

// AddProjectTeam gives team access to a project (POST
// /projects/{org}/{project}/teams/{team}/; needs project:write).
func (c *Client) AddProjectTeam(ctx context.Context, org, project, team string) error {
	if err := checkArgs("organization", org, "project", project, "team", team); err != nil {
		return err
	}
	_, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"projects", org, project, "teams", team},
		body: map[string]any{}, scope: "project:write"}, nil)
	return err
}

// RemoveProjectTeam takes a team's access to a project away (DELETE
// /projects/{org}/{project}/teams/{team}/; needs project:write).
func (c *Client) RemoveProjectTeam(ctx context.Context, org, project, team string) error {
	if err := checkArgs("organization", org, "project", project, "team", team); err != nil {
		return err
	}
	_, err := c.do(ctx, call{method: http.MethodDelete, org: org, path: []string{"projects", org, project, "teams", team},
		scope: "project:write"}, nil)
	return err
}

// ListRepositories lists the repositories connected to an organization
// (GET /organizations/{org}/repos/), optionally those whose name contains
// query.
func (c *Client) ListRepositories(ctx context.Context, org, query string, opts ListOptions) ([]Repository, Page, error) {
	if err := checkArgs("organization", org); err != nil {
		return nil, Page{}, err
	}
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	setIf(q, "query", strings.TrimSpace(query))
	var repos []Repository
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "repos"}, query: q, scope: "org:read"}, &repos)
	if err != nil {
		return nil, Page{}, err
	}
	return repos, page, nil
}

// CreateCodeMappings links a project to a repository (POST
// /organizations/{org}/code-mappings/bulk/). Sentry asks for an
// integration scope here (org:ci or org:integrations), which many grants
// lack.
func (c *Client) CreateCodeMappings(ctx context.Context, org string, m CodeMappings) (*CodeMappingsResult, error) {
	if err := checkArgs("organization", org, "project", m.Project, "repository", m.Repository); err != nil {
		return nil, err
	}
	if len(m.Mappings) == 0 {
		return nil, fmt.Errorf("%w: no mappings", ErrInvalidArgument)
	}
	var out CodeMappingsResult
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"organizations", org, "code-mappings", "bulk"},
		body: m, scope: "org:integrations"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
