package sentrytest

import (
	"strings"
)

// Lookups over the world; callers hold Fake.mu.

func (w *world) user(id string) *user {
	for _, u := range w.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// org finds an organization by slug or id, as Sentry's
// {organization_id_or_slug} does.
func (w *world) org(ref string) *org {
	for _, o := range w.orgs {
		if o.Slug == ref || o.ID == ref {
			return o
		}
	}
	return nil
}

// role is the user's role in the organization, "" when not a member.
func (o *org) role(userID string) string {
	for _, m := range o.members {
		if m.userID == userID {
			return m.role
		}
	}
	return ""
}

func (o *org) projectByRef(ref string) *project {
	for _, p := range o.projects {
		if p.Slug == ref || p.ID == ref {
			return p
		}
	}
	return nil
}

func (o *org) teamByRef(ref string) *team {
	for _, t := range o.teams {
		if t.Slug == ref || t.ID == ref {
			return t
		}
	}
	return nil
}

func (t *team) has(userID string) bool {
	for _, m := range t.members {
		if m == userID {
			return true
		}
	}
	return false
}

func (w *world) issueByID(id string) *issue {
	for _, is := range w.issues {
		if is.ID == id {
			return is
		}
	}
	return nil
}

// issueInOrg finds an issue of the organization by numeric id or short id
// (case-insensitive, like Sentry).
func (w *world) issueInOrg(o *org, ref string) *issue {
	for _, is := range w.issues {
		if is.project.org != o {
			continue
		}
		if is.ID == ref || strings.EqualFold(is.ShortID, ref) {
			return is
		}
	}
	return nil
}

func (w *world) orgIssues(o *org) []*issue {
	var out []*issue
	for _, is := range w.issues {
		if is.project.org == o {
			out = append(out, is)
		}
	}
	return out
}

func (o *org) release(version string) *release {
	for _, r := range o.releases {
		if r.Version == version {
			return r
		}
	}
	return nil
}
