package tools

import (
	"fmt"
	"strings"
)

// issueParams are how the issue tools name an issue: issueId with
// organizationSlug, or a Sentry issueUrl (which carries both).
type issueParams struct {
	OrganizationSlug string `json:"organizationSlug,omitempty" jsonschema:"Organization slug, with issueId."`
	regionParam
	IssueID  string `json:"issueId,omitempty" jsonschema:"Short id (WEB-1A) or numeric id, with organizationSlug."`
	IssueURL string `json:"issueUrl,omitempty" jsonschema:"The issue's Sentry URL, whole; replaces organizationSlug and issueId."`
}

// issueRef is a resolved issue: its organization, id, and the event the
// URL pointed at, if any.
type issueRef struct {
	Org, Issue, Event string
}

// resolve works out which issue the arguments name, and routes the
// organization to an explicit regionUrl if one was given (validated by the
// client; a hostile one is refused before any request).
func (p issueParams) resolve(tool string, env *Env) (issueRef, error) {
	var ref issueRef
	switch {
	case p.IssueURL != "":
		r, err := parseResourceURL(p.IssueURL, env.Sentry.BaseURL())
		if err != nil {
			return ref, &InputError{Tool: tool, Problem: err.Error()}
		}
		if r.Kind != "issue" && r.Kind != "event" {
			return ref, &InputError{Tool: tool, Problem: fmt.Sprintf("issueUrl points at a %s, not an issue", r.Kind)}
		}
		if p.OrganizationSlug != "" && !strings.EqualFold(p.OrganizationSlug, r.Org) {
			return ref, &InputError{Tool: tool, Problem: fmt.Sprintf(
				"issueUrl is in organization %q but organizationSlug says %q; give only the URL", r.Org, p.OrganizationSlug)}
		}
		if p.IssueID != "" && !strings.EqualFold(p.IssueID, r.IssueID) {
			return ref, &InputError{Tool: tool, Problem: fmt.Sprintf(
				"issueUrl names issue %q but issueId says %q; give only the URL", r.IssueID, p.IssueID)}
		}
		ref = issueRef{Org: r.Org, Issue: r.IssueID, Event: r.EventID}
	case p.IssueID != "" && p.OrganizationSlug != "":
		id, err := checkIssueID(tool, "issueId", p.IssueID)
		if err != nil {
			return ref, err
		}
		ref = issueRef{Org: p.OrganizationSlug, Issue: id}
	case p.IssueID != "":
		return ref, &InputError{Tool: tool, Problem: "issueId needs organizationSlug (find_organizations lists them), or give issueUrl instead"}
	default:
		return ref, &InputError{Tool: tool, Problem: "name the issue: give issueId with organizationSlug, or issueUrl"}
	}
	if env.Org != "" && !strings.EqualFold(env.Org, ref.Org) {
		return ref, &InputError{Tool: tool, Problem: fmt.Sprintf(
			"this connection is pinned to organization %q; the issue is in %q", env.Org, ref.Org)}
	}
	if region := p.region(); region != "" {
		if err := env.Sentry.UseRegion(ref.Org, region); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

// checkIssueID refuses what cannot be an issue id before anything is sent
// ("not an id!!" would otherwise reach Sentry as a path segment) and
// upper-cases short ids, as Sentry shows them.
func checkIssueID(tool, param, id string) (string, error) {
	id = strings.TrimSpace(id)
	if !issueIDRe().MatchString(id) {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf(
			"%s %q is not an issue id: give the short id Sentry shows (like WEB-1A) or the numeric id, or pass the issue's URL as issueUrl",
			param, shorten(id, 60))}
	}
	return strings.ToUpper(id), nil
}
