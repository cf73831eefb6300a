package tools

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type updateDSNInput struct {
	projectParams
	KeyID                   string  `json:"keyId" jsonschema:"The DSN's key id (find_dsns lists them)."`
	Name                    *string `json:"name,omitempty" jsonschema:"The new name (at most 64 characters)."`
	IsActive                *bool   `json:"isActive,omitempty" jsonschema:"false disables the DSN: events sent with it are dropped. true enables it again."`
	RateLimitWindow         *int    `json:"rateLimitWindow,omitempty" jsonschema:"Rate limit window in seconds (0 to 86400); give it with rateLimitCount."`
	RateLimitCount          *int    `json:"rateLimitCount,omitempty" jsonschema:"Events accepted per window; give it with rateLimitWindow. 0 removes the limit."`
	DisableRateLimit        *bool   `json:"disableRateLimit,omitempty" jsonschema:"true removes the rate limit."`
	BrowserSDKVersion       *string `json:"browserSdkVersion,omitempty" jsonschema:"The JavaScript SDK version the loader script serves: latest, 9.x, 8.x or 7.x."`
	LoaderHasReplay         *bool   `json:"loaderHasReplay,omitempty" jsonschema:"Loader script: enable Session Replay."`
	LoaderHasPerformance    *bool   `json:"loaderHasPerformance,omitempty" jsonschema:"Loader script: enable tracing."`
	LoaderHasDebug          *bool   `json:"loaderHasDebug,omitempty" jsonschema:"Loader script: debug bundles and logging."`
	LoaderHasFeedback       *bool   `json:"loaderHasFeedback,omitempty" jsonschema:"Loader script: enable User Feedback."`
	LoaderHasLogsAndMetrics *bool   `json:"loaderHasLogsAndMetrics,omitempty" jsonschema:"Loader script: enable logs and metrics (SDK 10 or later)."`
}

func updateDSNTool() Tool {
	return newTool(spec{
		Name:  "update_dsn",
		Title: "Update a DSN",
		Description: `Change a DSN's settings: name, enabled or disabled, rate limit, and the JavaScript loader script's options.

Use it only when the user asks. Disabling a DSN drops every event sent with it. find_dsns gives the keyId.
Examples:
- update_dsn(organizationSlug='acme', projectSlug='web', keyId='…', rateLimitWindow=3600, rateLimitCount=500)
- update_dsn(organizationSlug='acme', projectSlug='web', keyId='…', isActive=false)
- update_dsn(organizationSlug='acme', projectSlug='web', keyId='…', disableRateLimit=true)`,
		Permission:  ProjectManagement,
		Writes:      true,
		Destructive: true,
		Idempotent:  true,
		Scopes:      []string{"project:write"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			notNull(s, "name", "isActive", "rateLimitWindow", "rateLimitCount", "disableRateLimit", "browserSdkVersion",
				"loaderHasReplay", "loaderHasPerformance", "loaderHasDebug", "loaderHasFeedback", "loaderHasLogsAndMetrics")
			withSlugPattern(s, "organizationSlug", "projectSlug")
			s.Properties["keyId"].Pattern = `^[A-Za-z0-9_-]+$`
			most := 64
			s.Properties["name"].MaxLength = &most
			zero, day := 0.0, 86400.0
			s.Properties["rateLimitWindow"].Minimum, s.Properties["rateLimitWindow"].Maximum = &zero, &day
			s.Properties["rateLimitCount"].Minimum = &zero
		},
	}, updateDSN)
}

func updateDSN(ctx context.Context, env *Env, in updateDSNInput) (string, error) {
	const tool = "update_dsn"
	bad := func(p string) (string, error) { return "", &InputError{Tool: tool, Problem: p} }
	u := sentry.KeyUpdate{IsActive: in.IsActive}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			return bad("name is blank: give a new name, or omit it")
		}
		u.Name = &name
	}
	if in.BrowserSDKVersion != nil {
		v := strings.TrimSpace(*in.BrowserSDKVersion)
		if v == "" {
			return bad("browserSdkVersion is blank: use latest, 9.x, 8.x or 7.x")
		}
		u.BrowserSDKVersion = &v
	}
	setLimit := in.RateLimitWindow != nil || in.RateLimitCount != nil
	switch {
	case (in.RateLimitWindow == nil) != (in.RateLimitCount == nil):
		return bad("give rateLimitWindow and rateLimitCount together: the limit is rateLimitCount events per rateLimitWindow seconds")
	case setLimit && in.DisableRateLimit != nil && *in.DisableRateLimit:
		return bad("set a rate limit or disable it, not both")
	case in.DisableRateLimit != nil && *in.DisableRateLimit, setLimit && (*in.RateLimitWindow == 0 || *in.RateLimitCount == 0):
		// A zero window or count is no limit at all, as Sentry treats it.
		u.RemoveRateLimit = true
	case setLimit:
		u.RateLimit = &sentry.KeyRateLimit{Window: sentry.FlexInt(*in.RateLimitWindow), Count: sentry.FlexInt(*in.RateLimitCount)}
	}
	for key, v := range map[string]*bool{"hasReplay": in.LoaderHasReplay, "hasPerformance": in.LoaderHasPerformance,
		"hasDebug": in.LoaderHasDebug, "hasFeedback": in.LoaderHasFeedback, "hasLogsAndMetrics": in.LoaderHasLogsAndMetrics} {
		if v != nil {
			if u.LoaderOptions == nil {
				u.LoaderOptions = map[string]bool{}
			}
			u.LoaderOptions[key] = *v
		}
	}
	if u.Name == nil && u.IsActive == nil && u.RateLimit == nil && !u.RemoveRateLimit && u.BrowserSDKVersion == nil && u.LoaderOptions == nil {
		if in.DisableRateLimit != nil {
			return bad("disableRateLimit=false changes nothing: to set a limit give rateLimitWindow and rateLimitCount")
		}
		return bad("give at least one setting to change: name, isActive, rateLimitWindow with rateLimitCount, disableRateLimit, browserSdkVersion or a loader option")
	}
	org, project := in.OrganizationSlug, in.ProjectSlug
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	k, err := env.Sentry.UpdateProjectKey(ctx, org, project, in.KeyID, u)
	if err != nil {
		return "", err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Updated DSN **%s** in **%s/%s**\n\n", oneLine(orDefault(k.Name, k.ID)), org, project)
	fmt.Fprintf(&b, "- Key id: %s · DSN: `%s`\n", k.ID, publicDSN(k.DSN.Public))
	state := "active"
	if !k.IsActive {
		state = "**disabled**: events sent with it are dropped"
	}
	fmt.Fprintf(&b, "- Status: %s\n", state)
	if rl := k.RateLimit; rl != nil && rl.Window > 0 && rl.Count > 0 {
		fmt.Fprintf(&b, "- Rate limit: %d events per %d s\n", rl.Count, rl.Window)
	} else {
		b.WriteString("- Rate limit: none\n")
	}
	if k.BrowserSDKVersion != "" || len(k.LoaderOptions) > 0 {
		var opts []string
		for _, name := range slices.Sorted(maps.Keys(k.LoaderOptions)) {
			opts = append(opts, strings.TrimPrefix(name, "has")+" "+onOff(k.LoaderOptions[name]))
		}
		fmt.Fprintf(&b, "- Loader script: SDK %s; %s\n", orDefault(k.BrowserSDKVersion, "default"), orDefault(strings.Join(opts, ", "), "no options"))
	}
	var changed []string
	for _, c := range []struct {
		what string
		set  bool
	}{{"name", u.Name != nil}, {"status", u.IsActive != nil}, {"rate limit", u.RateLimit != nil || u.RemoveRateLimit},
		{"browser SDK version", u.BrowserSDKVersion != nil}, {"loader options", u.LoaderOptions != nil}} {
		if c.set {
			changed = append(changed, c.what)
		}
	}
	fmt.Fprintf(&b, "\nChanged: %s.\n", strings.Join(changed, ", "))
	return b.String(), nil
}
