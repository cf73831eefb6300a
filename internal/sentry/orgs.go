package sentry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
)

// User is a Sentry user as /auth/ and activity entries show it.
type User struct {
	ID       FlexString `json:"id"`
	Name     string     `json:"name"`
	Email    string     `json:"email"`
	Username string     `json:"username"`
}

// Region is one Sentry region where the user has organizations.
type Region struct {
	Name string `json:"name"`
	URL  string `json:"url"` // not validated: pass it to ListOrganizationsInRegion, which does
}

// Organization is a Sentry organization. Links.RegionURL is where its API
// lives; missing on older self-hosted Sentry, which means BaseURL.
type Organization struct {
	ID          FlexString        `json:"id"`
	Slug        string            `json:"slug"`
	Name        string            `json:"name"`
	DateCreated Time              `json:"dateCreated"`
	Links       OrganizationLinks `json:"links"`
}

// OrganizationLinks are the URLs Sentry gives for an organization.
type OrganizationLinks struct {
	RegionURL       string `json:"regionUrl"`
	OrganizationURL string `json:"organizationUrl"`
}

// Team is a team of an organization.
type Team struct {
	ID          FlexString `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	DateCreated Time       `json:"dateCreated"`
	IsMember    bool       `json:"isMember"`
	HasAccess   bool       `json:"hasAccess"`
	MemberCount FlexInt    `json:"memberCount"`
}

// Tag is a tag key searchable in an organization.
type Tag struct {
	Key          string  `json:"key"`
	Name         string  `json:"name"`
	UniqueValues FlexInt `json:"uniqueValues"`
	TotalValues  FlexInt `json:"totalValues"`
}

// TagsQuery narrows ListTags.
type TagsQuery struct {
	Dataset     string   // "events" (default), "errors", "search_issues"...
	Projects    []string // ids or slugs
	StatsPeriod string   // e.g. "24h"
}

// WhoAmI returns the user the token belongs to (GET /auth/ on BaseURL).
func (c *Client) WhoAmI(ctx context.Context) (*User, error) {
	var u User
	if _, err := c.get(ctx, call{path: []string{"auth"}}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserRegions lists the regions holding the user's organizations (GET
// /users/me/regions/ on BaseURL; sentry.io only, self-hosted answers 404).
func (c *Client) UserRegions(ctx context.Context) ([]Region, error) {
	var v struct {
		Regions []Region `json:"regions"`
	}
	if _, err := c.get(ctx, call{path: []string{"users", "me", "regions"}}, &v); err != nil {
		return nil, err
	}
	return v.Regions, nil
}

// ListOrganizations lists the organizations the token can see, asking
// BaseURL. Their region URLs are validated and remembered, so later calls for
// them go straight to their region. On sentry.io an organization may only be
// listed by its own region: to be complete, call UserRegions and
// ListOrganizationsInRegion for each.
func (c *Client) ListOrganizations(ctx context.Context, opts ListOptions) ([]Organization, Page, error) {
	return c.listOrganizations(ctx, nil, opts)
}

// ListOrganizationsInRegion is ListOrganizations asked of one region, whose
// URL (from UserRegions or a tool argument) is validated first.
func (c *Client) ListOrganizationsInRegion(ctx context.Context, regionURL string, opts ListOptions) ([]Organization, Page, error) {
	u, err := c.ValidateRegionURL(regionURL)
	if err != nil {
		return nil, Page{}, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return c.listOrganizations(ctx, u, opts)
}

func (c *Client) listOrganizations(ctx context.Context, base *url.URL, opts ListOptions) ([]Organization, Page, error) {
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var orgs []Organization
	page, err := c.get(ctx, call{base: base, path: []string{"organizations"}, query: q, scope: "org:read"}, &orgs)
	if err != nil {
		return nil, Page{}, err
	}
	for i := range orgs {
		// A refused region is not remembered; calls for that organization
		// then fail with ErrUntrustedRegion. The listing itself stands.
		_, _ = c.learnRegion(&orgs[i])
	}
	return orgs, page, nil
}

// AllOrganizations lists every organization of the account: on
// multi-region Sentry (sentry.io) each of the user's regions is asked, and
// self-hosted Sentry (no regions endpoint) has one list. An organization
// listed by two hosts (a region that is also the control host) counts once.
//
// The user's regions are remembered in Options.Regions, so with a shared
// cache only the first listing asks for them.
func (c *Client) AllOrganizations(ctx context.Context) ([]Organization, error) {
	regions, known := c.shared.regions()
	if !known {
		var err error
		regions, err = c.UserRegions(ctx)
		switch {
		case errors.Is(err, ErrNotFound): // self-hosted: one list
			c.shared.setRegions(nil)
		case err != nil:
			return nil, err
		default:
			c.shared.setRegions(regions)
		}
	}
	if len(regions) == 0 {
		orgs, _, err := c.ListOrganizations(ctx, ListOptions{Limit: maxPageSize})
		return orgs, err
	}
	// The regions are asked at once: a user with organizations in two
	// regions (us and de on sentry.io) waits for the slower, not for both
	// one after the other. The first failure cancels the others.
	lists := make([][]Organization, len(regions))
	errs := make([]error, len(regions))
	if len(regions) == 1 {
		lists[0], _, errs[0] = c.ListOrganizationsInRegion(ctx, regions[0].URL, ListOptions{Limit: maxPageSize})
	} else {
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for i, r := range regions {
			wg.Go(func() {
				if lists[i], _, errs[i] = c.ListOrganizationsInRegion(rctx, r.URL, ListOptions{Limit: maxPageSize}); errs[i] != nil {
					cancel()
				}
			})
		}
		wg.Wait()
		cancel()
	}
	if i := failedRegion(ctx, errs); i >= 0 {
		return nil, fmt.Errorf("region %s: %w", regions[i].Name, errs[i])
	}
	var all []Organization
	seen := map[string]bool{}
	for _, orgs := range lists {
		for _, o := range orgs {
			if !seen[o.Slug] {
				seen[o.Slug] = true
				all = append(all, o)
			}
		}
	}
	return all, nil
}

// failedRegion is the index of the region whose error to report, or -1:
// one that failed on its own rather than because another's failure
// cancelled it (unless the caller's ctx ended: then any).
func failedRegion(ctx context.Context, errs []error) int {
	first := -1
	for i, err := range errs {
		switch {
		case err == nil:
		case ctx.Err() != nil || !errors.Is(err, context.Canceled):
			return i
		case first < 0:
			first = i
		}
	}
	return first
}

// GetOrganization returns one organization (by slug or id), asking BaseURL,
// and remembers its region.
func (c *Client) GetOrganization(ctx context.Context, org string) (*Organization, error) {
	o, err := c.lookupOrganization(ctx, org)
	if err != nil {
		return nil, err
	}
	_, _ = c.learnRegion(o, org)
	return o, nil
}

func (c *Client) lookupOrganization(ctx context.Context, org string) (*Organization, error) {
	if err := checkArgs("organization", org); err != nil {
		return nil, err
	}
	var o Organization
	if _, err := c.get(ctx, call{path: []string{"organizations", org}, scope: "org:read"}, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// ListTeams lists an organization's teams.
func (c *Client) ListTeams(ctx context.Context, org string, opts ListOptions) ([]Team, Page, error) {
	q := url.Values{}
	if err := setPage(q, "per_page", opts.Limit, opts.Cursor); err != nil {
		return nil, Page{}, err
	}
	var teams []Team
	page, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "teams"}, query: q, scope: "team:read"}, &teams)
	if err != nil {
		return nil, Page{}, err
	}
	return teams, page, nil
}

// ListTags lists the tag keys searchable in an organization, to help write
// search queries. Sentry does not paginate it.
func (c *Client) ListTags(ctx context.Context, org string, tq TagsQuery) ([]Tag, error) {
	q := url.Values{}
	setIf(q, "dataset", tq.Dataset)
	setIf(q, "statsPeriod", tq.StatsPeriod)
	if err := addProjects(q, tq.Projects); err != nil {
		return nil, err
	}
	var tags []Tag
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "tags"}, query: q, scope: "event:read"}, &tags); err != nil {
		return nil, err
	}
	return tags, nil
}
