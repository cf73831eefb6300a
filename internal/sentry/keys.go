package sentry

import (
	"context"
	"fmt"
	"maps"
	"net/http"
)

// ClientKey is a project's client key with its settings: what creating and
// updating a key answer. Like ProjectKey it never holds the secret key.
type ClientKey struct {
	ProjectKey
	// RateLimit is nil when the key has none.
	RateLimit         *KeyRateLimit `json:"rateLimit"`
	BrowserSDKVersion string        `json:"browserSdkVersion"`
	// LoaderOptions are the JavaScript loader script's switches
	// (hasReplay, hasPerformance, hasDebug, hasFeedback, hasLogsAndMetrics).
	LoaderOptions map[string]bool `json:"dynamicSdkLoaderOptions"`
}

// KeyRateLimit caps the events a key accepts: Count per Window seconds.
type KeyRateLimit struct {
	Window FlexInt `json:"window"`
	Count  FlexInt `json:"count"`
}

// KeyUpdate changes a client key. Nil fields are left as they are.
type KeyUpdate struct {
	Name     *string
	IsActive *bool
	// RateLimit sets a limit; RemoveRateLimit removes it (rateLimit: null).
	RateLimit       *KeyRateLimit
	RemoveRateLimit bool
	// BrowserSDKVersion is the loader script's SDK version ("latest", "8.x").
	BrowserSDKVersion *string
	// LoaderOptions switch loader features, keyed as Sentry names them
	// (hasReplay, hasPerformance, hasDebug, hasFeedback, hasLogsAndMetrics).
	LoaderOptions map[string]bool
}

// CreateProjectKey creates a client key (a DSN) named name (POST
// /projects/{org}/{project}/keys/; needs project:write).
func (c *Client) CreateProjectKey(ctx context.Context, org, project, name string) (*ClientKey, error) {
	if err := checkArgs("organization", org, "project", project, "key name", name); err != nil {
		return nil, err
	}
	var k ClientKey
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"projects", org, project, "keys"},
		body: map[string]string{"name": name}, scope: "project:write"}, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// UpdateProjectKey changes a client key (PUT
// /projects/{org}/{project}/keys/{key}/; needs project:write).
func (c *Client) UpdateProjectKey(ctx context.Context, org, project, keyID string, u KeyUpdate) (*ClientKey, error) {
	if err := checkArgs("organization", org, "project", project, "key id", keyID); err != nil {
		return nil, err
	}
	if u.RateLimit != nil && u.RemoveRateLimit {
		return nil, fmt.Errorf("%w: set a rate limit or remove it, not both", ErrInvalidArgument)
	}
	body := map[string]any{}
	if u.Name != nil {
		body["name"] = *u.Name
	}
	if u.IsActive != nil {
		body["isActive"] = *u.IsActive
	}
	switch {
	case u.RemoveRateLimit:
		body["rateLimit"] = nil
	case u.RateLimit != nil:
		body["rateLimit"] = map[string]int64{"window": int64(u.RateLimit.Window), "count": int64(u.RateLimit.Count)}
	}
	if u.BrowserSDKVersion != nil {
		body["browserSdkVersion"] = *u.BrowserSDKVersion
	}
	if len(u.LoaderOptions) > 0 {
		body["dynamicSdkLoaderOptions"] = maps.Clone(u.LoaderOptions)
	}
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: the update changes nothing", ErrInvalidArgument)
	}
	var k ClientKey
	if _, err := c.do(ctx, call{method: http.MethodPut, org: org, path: []string{"projects", org, project, "keys", keyID},
		body: body, scope: "project:write"}, &k); err != nil {
		return nil, err
	}
	return &k, nil
}
