package tools

import (
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// orgTools answer "what is there": the account, its organizations,
// teams, projects, releases, DSNs and monitors.
func orgTools() []Tool {
	return []Tool{
		whoamiTool(),
		findOrganizationsTool(),
		findTeamsTool(),
		findProjectsTool(),
		findReleasesTool(),
		getReleaseDetailsTool(),
		findDSNsTool(),
		findMonitorsTool(),
	}
}

// What the org tools below share.

// slugPattern keeps organization and project slugs to one harmless path
// segment; a model that passes "acme/web" or ".." is told at once.
const slugPattern = `^[A-Za-z0-9][A-Za-z0-9_.-]*$`

// withSlugPattern restricts the named string properties to slugPattern.
func withSlugPattern(s *schemaT, names ...string) {
	for _, name := range names {
		p := s.Properties[name]
		if p == nil {
			panic("tools: withSlugPattern: no property " + name)
		}
		p.Pattern = slugPattern
	}
}

// useRegionArg routes org to an explicit regionUrl argument. The client
// validates it first, so a hostile URL is refused before any request.
func useRegionArg(env *Env, org string, r regionParam) error {
	if region := r.region(); region != "" {
		return env.Sentry.UseRegion(org, region)
	}
	return nil
}

// optString is an optional string argument, trimmed; "" when absent.
func optString(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// orgWebURL links a page of org in Sentry's web UI. The
// /organizations/{org}/ form works on sentry.io (which redirects to the
// organization's subdomain) and on self-hosted Sentry alike.
func orgWebURL(env *Env, org string, segs ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(env.Sentry.BaseURL(), "/"))
	b.WriteString("/organizations/")
	b.WriteString(url.PathEscape(org))
	b.WriteByte('/')
	for _, s := range segs {
		// Like encodeURIComponent: "/" and "+" of release versions stay
		// inside their segment.
		b.WriteString(strings.ReplaceAll(url.PathEscape(s), "+", "%2B"))
		b.WriteByte('/')
	}
	return b.String()
}

// collectPages pages through a listing until want items pass keep (nil
// keeps everything), reading at most maxPages pages. more reports that
// further matches may exist: on a page not shown, or in pages not read.
func collectPages[T any](want, maxPages int, page func(cursor string) ([]T, sentry.Page, error), keep func(T) bool) (items []T, more bool, err error) {
	cursor := ""
	for range maxPages {
		batch, pg, err := page(cursor)
		if err != nil {
			return nil, false, err
		}
		for _, it := range batch {
			if keep != nil && !keep(it) {
				continue
			}
			if len(items) == want {
				return items, true, nil
			}
			items = append(items, it)
		}
		if !pg.HasNext() {
			return items, false, nil
		}
		if len(items) == want {
			return items, true, nil
		}
		cursor = pg.NextCursor
	}
	return items, true, nil
}

// containsFold reports whether any of fields contains q, ignoring case.
func containsFold(q string, fields ...string) bool {
	q = strings.ToLower(q)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}
