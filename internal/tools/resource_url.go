package tools

import (
	"fmt"
	"net/url"
	"strings"
)

// resource is what a Sentry web URL points at. URLs are parsed, never
// fetched.
type resource struct {
	Kind    string // "issue", "event", "trace", "release", "project", or an inspectRef kind
	Org     string
	IssueID string
	EventID string
	TraceID string
	Project string
	Release string
	inspectRef
}

var (
	slugRe    = lazyRegexp(`^[a-z0-9][a-z0-9_-]*$`)
	hex32Re   = lazyRegexp(`^[0-9a-fA-F]{32}$`)
	issueIDRe = lazyRegexp(`^(\d+|[A-Za-z0-9][A-Za-z0-9_-]*-[A-Za-z0-9]+)$`)
)

// parseResourceURL reads a Sentry web URL. Its host must be the Sentry host
// (sentryURL's) or an organization subdomain of it (acme.sentry.io), so a
// look-alike URL can never steer a call elsewhere. Recognized paths:
//
//	/organizations/{org}/issues/{id}/[events/{event}/]  (any host form)
//	/issues/{id}/[events/{event}/]                     (org subdomain)
//	/organizations/{org}/performance/trace/{trace}/, /explore/traces/trace/{trace}/
//	/organizations/{org}/releases/{version}/, /projects/{project}/
func parseResourceURL(raw, sentryURL string) (resource, error) {
	bad := func(why string) (resource, error) {
		return resource{}, fmt.Errorf("%q is not a Sentry URL lookout can read: %s", shorten(raw, 120), why)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return bad("it must be an absolute http(s) URL")
	}
	if u.User != nil {
		return bad("it carries user information")
	}
	base, err := url.Parse(sentryURL)
	if err != nil || base.Host == "" {
		return bad("the Sentry URL is not configured")
	}
	host, sentryHost := strings.ToLower(u.Hostname()), strings.ToLower(base.Hostname())
	if u.Port() != base.Port() || (u.Scheme != base.Scheme && !(u.Scheme == "https" && base.Scheme == "https")) {
		return bad("its scheme or port is not " + base.Scheme + "://" + base.Host + "'s")
	}
	var r resource
	switch {
	case host == sentryHost:
	case strings.HasSuffix(host, "."+sentryHost):
		sub := strings.TrimSuffix(host, "."+sentryHost)
		if !slugRe().MatchString(sub) || strings.Contains(sub, ".") {
			return bad("its host is not " + sentryHost + " or an organization subdomain of it")
		}
		if sub != "us" && sub != "de" { // region hosts are not organizations
			r.Org = sub
		}
	default:
		return bad("its host is not " + sentryHost + " or an organization subdomain of it")
	}

	segs := strings.FieldsFunc(u.EscapedPath(), func(c rune) bool { return c == '/' })
	releasePage := slicesIndex(segs, "releases")
	for i, s := range segs {
		un, err := url.PathUnescape(s)
		// An escaped slash is part of a release version (api@release/3.4),
		// never of a slug or id.
		if err != nil || un == "." || un == ".." || (strings.Contains(un, "/") && i != releasePage+1) {
			return bad("its path has an invalid segment")
		}
		segs[i] = un
	}
	if len(segs) >= 2 && segs[0] == "organizations" {
		if r.Org != "" && r.Org != segs[1] {
			return bad("its subdomain and path name different organizations")
		}
		r.Org, segs = segs[1], segs[2:]
	}
	if r.Org == "" || !slugRe().MatchString(r.Org) {
		return bad("it names no organization")
	}
	switch {
	case len(segs) >= 2 && segs[0] == "issues":
		if !issueIDRe().MatchString(segs[1]) {
			return bad("its issue id is malformed")
		}
		r.Kind, r.IssueID = "issue", segs[1]
		if len(segs) >= 4 && segs[2] == "events" {
			r.Kind, r.EventID = "event", segs[3]
			if !hex32Re().MatchString(r.EventID) && r.EventID != "latest" && r.EventID != "oldest" && r.EventID != "recommended" {
				return bad("its event id is malformed")
			}
		}
	case len(segs) >= 3 && (segs[0] == "performance" || segs[0] == "traces" || segs[0] == "explore") && slicesIndex(segs, "trace") >= 0:
		i := slicesIndex(segs, "trace")
		if i+1 >= len(segs) || !hex32Re().MatchString(segs[i+1]) {
			return bad("its trace id is malformed")
		}
		r.Kind, r.TraceID = "trace", strings.ToLower(segs[i+1])
	case len(segs) >= 2 && segs[0] == "releases":
		r.Kind, r.Release = "release", segs[1]
	case len(segs) >= 2 && segs[0] == "projects":
		r.Kind, r.Project = "project", segs[1]
	default:
		if ok, why := parseInspectPath(&r, segs, u.Query()); !ok || why != "" {
			return bad(orDefault(why, "it is not an issue, event, trace, span, release, project, replay, monitor, snapshot, conversation or profile page"))
		}
	}
	// The issue page's ?project= and event query are ignored: the path says it all.
	spanFromQuery(&r, u.Query())
	return r, nil
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// SentryLink is what a Sentry web URL points at, for front doors that show
// links (Slack unfurls) without running a tool.
type SentryLink struct {
	Kind    string // "issue", "event", "trace", or another page ParseSentryLink recognizes
	Org     string
	IssueID string // issue and event links
	EventID string // event links: 32 hex, or latest, oldest, recommended
	TraceID string // trace links: 32 hex, lower case
}

// ParseSentryLink reads a Sentry web URL under the rules every tool uses:
// parsed, never fetched; its host must be sentryURL's host or an
// organization subdomain of it.
func ParseSentryLink(raw, sentryURL string) (SentryLink, error) {
	r, err := parseResourceURL(raw, sentryURL)
	if err != nil {
		return SentryLink{}, err
	}
	return SentryLink{Kind: r.Kind, Org: r.Org, IssueID: r.IssueID, EventID: r.EventID, TraceID: r.TraceID}, nil
}
