package sentrytest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Who am I, organizations, teams, projects, DSN keys, monitors, org tags.

// roleAccess is what each organization role may do (Project.access and
// friends); the token's own scopes are checked separately.
var roleAccess = map[string][]string{
	"owner": {"alerts:read", "alerts:write", "event:admin", "event:read", "event:write", "member:admin", "member:read", "member:write",
		"org:admin", "org:integrations", "org:read", "org:write", "project:admin", "project:read", "project:releases", "project:write",
		"team:admin", "team:read", "team:write"},
	"member": {"alerts:read", "event:read", "event:write", "member:read", "org:read", "project:read", "project:releases", "team:read"},
}

var orgFeatures = []string{"discover-basic", "performance-view", "session-replay", "issue-stream-search-query-builder"}

func (f *Fake) userJSON(u *user) obj {
	return obj{
		"id": u.ID, "name": u.Name, "username": u.Username, "email": u.Email,
		"avatarUrl": "https://www.gravatar.com/avatar/" + Fingerprint(u.Email) + "?s=32&d=mm",
		"isActive":  true, "hasPasswordAuth": true, "isManaged": false,
		"dateJoined": isoTime(u.DateJoined), "lastLogin": isoTime(f.dataNow().Add(-2 * time.Hour)),
		"lastActive": isoTime(f.dataNow().Add(-10 * time.Minute)),
		"has2fa":     false, "isSuperuser": false, "isStaff": false, "experiments": obj{},
		"emails": []obj{{"id": u.ID, "email": u.Email, "is_verified": true}},
		"avatar": obj{"avatarType": "letter_avatar", "avatarUuid": nil},
		"options": obj{"theme": "light", "language": "en", "stacktraceOrder": -1, "defaultIssueEvent": "recommended",
			"timezone": "UTC", "clock24Hours": false},
		"flags":      obj{"newsletter_consent_prompt": false},
		"identities": []obj{},
	}
}

// userRef is the short user object of assignees and activity.
func userRef(u *user) any {
	if u == nil {
		return nil
	}
	return obj{"id": u.ID, "name": u.Name, "email": u.Email, "username": u.Username}
}

func (f *Fake) getAuth(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, f.userJSON(c.user))
}

func (f *Fake) getRegions(w http.ResponseWriter, r *http.Request, c *call) {
	regions := []obj{}
	for _, name := range []string{RegionUS, RegionDE} {
		for _, o := range f.w.orgs {
			if o.Region == name && o.role(c.user.ID) != "" {
				regions = append(regions, obj{"name": name, "url": f.baseURL(name, c, r)})
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, obj{"regions": regions})
}

func (f *Fake) orgJSON(o *org, c *call, r *http.Request) obj {
	return obj{
		"id": o.ID, "slug": o.Slug, "name": o.Name,
		"status":      obj{"id": "active", "name": "active"},
		"dateCreated": isoTime(o.DateCreated), "isEarlyAdopter": false, "require2FA": false,
		"requireEmailVerification": false,
		"avatar":                   obj{"avatarType": "letter_avatar", "avatarUuid": nil, "avatarUrl": nil},
		"links": obj{
			"organizationUrl": f.orgURL(o, c, r),
			"regionUrl":       f.baseURL(o.Region, c, r),
		},
		"hasAuthProvider": false, "allowMemberInvite": true, "allowMemberProjectCreation": true,
		"allowSuperuserAccess": false, "features": orgFeatures,
	}
}

// listOrgs lists the caller's organizations. The main server (the control
// silo in real Sentry) lists all of them; a region server only its own.
func (f *Fake) listOrgs(w http.ResponseWriter, r *http.Request, c *call) {
	query := strings.ToLower(r.URL.Query().Get("query"))
	var list []obj
	for _, o := range f.w.orgs {
		role := o.role(c.user.ID)
		if role == "" || (c.region != RegionUS && o.Region != c.region) {
			continue
		}
		if r.URL.Query().Get("owner") == "1" && role != "owner" {
			continue
		}
		if query != "" && !strings.Contains(strings.ToLower(o.Slug+" "+o.Name), query) {
			continue
		}
		list = append(list, f.orgJSON(o, c, r))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) getOrg(w http.ResponseWriter, r *http.Request, c *call) {
	out := f.orgJSON(c.org, c, r)
	role := c.org.role(c.user.ID)
	out["access"] = roleAccess[role]
	out["orgRole"] = role
	out["role"] = role
	out["isDefault"] = false
	out["defaultRole"] = "member"
	teams := []obj{}
	for _, t := range c.org.teams {
		teams = append(teams, f.teamJSON(t, c, false))
	}
	projects := []obj{}
	for _, p := range c.org.projects {
		projects = append(projects, f.projectJSON(p, c, r, false))
	}
	out["teams"], out["projects"] = teams, projects
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) teamJSON(t *team, c *call, withProjects bool) obj {
	isMember := t.has(c.user.ID)
	teamRole := any(nil)
	if isMember {
		teamRole = "contributor"
		if t.org.role(c.user.ID) == "owner" {
			teamRole = "admin"
		}
	}
	out := obj{
		"id": t.ID, "slug": t.Slug, "name": t.Name, "dateCreated": isoTime(t.DateCreated),
		"isMember": isMember, "teamRole": teamRole, "flags": obj{"idp:provisioned": false},
		"access": roleAccess[t.org.role(c.user.ID)], "hasAccess": true, "isPending": false,
		"memberCount":   len(t.members),
		"avatar":        obj{"avatarType": "letter_avatar", "avatarUuid": nil},
		"externalTeams": []obj{},
	}
	if withProjects {
		projects := []obj{}
		for _, p := range t.org.projects {
			if f.w.projectHasTeam(p, t) {
				projects = append(projects, obj{"id": p.ID, "slug": p.Slug, "name": p.Name, "platform": p.Platform})
			}
		}
		out["projects"] = projects
	}
	return out
}

func (f *Fake) listTeams(w http.ResponseWriter, r *http.Request, c *call) {
	var list []obj
	for _, t := range c.org.teams {
		list = append(list, f.teamJSON(t, c, true))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func teamRef(t *team) obj { return obj{"id": t.ID, "slug": t.Slug, "name": t.Name} }

func (f *Fake) projectJSON(p *project, c *call, r *http.Request, detail bool) obj {
	var firstEvent any
	hasMonitors := false
	for _, is := range f.w.issues {
		if is.project == p && (firstEvent == nil || is.FirstSeen.Before(firstEvent.(time.Time))) {
			firstEvent = is.FirstSeen
		}
	}
	if t, ok := firstEvent.(time.Time); ok {
		firstEvent = isoTime(t)
	}
	for _, m := range p.org.monitors {
		hasMonitors = hasMonitors || m.project == p
	}
	var latest, deploys any
	if rels := p.releases(); len(rels) > 0 {
		latest = obj{"version": rels[0].Version}
		deploys = obj{"production": obj{"version": rels[0].Version, "dateFinished": isoTime(rels[0].lastDeploy.DateFinished)}}
	}
	platform := strings.SplitN(p.Platform, "-", 2)[0]
	out := obj{
		"id": p.ID, "slug": p.Slug, "name": p.Name, "platform": p.Platform, "platforms": []string{platform},
		"team": teamRef(p.team), "teams": f.teamRefs(p),
		"isBookmarked": false, "isMember": p.team.has(c.user.ID),
		"access": roleAccess[p.org.role(c.user.ID)], "hasAccess": true,
		"dateCreated": isoTime(p.DateCreated), "environments": []string{"production", "staging"},
		"eventProcessing": obj{"symbolicationDegraded": false},
		"features":        []string{"discard-groups", "alert-filters", "similarity-embeddings"},
		"firstEvent":      firstEvent, "firstTransactionEvent": true,
		"hasSessions": platform == "apple" || platform == "javascript", "hasProfiles": false, "hasReplays": platform == "javascript",
		"hasFeedbacks": false, "hasNewFeedbacks": false, "hasMonitors": hasMonitors,
		"hasMinifiedStackTrace": platform == "javascript", "hasInsightsHttp": true, "hasInsightsDb": true,
		"hasInsightsAssets": false, "hasInsightsAppStart": platform == "apple", "hasInsightsScreenLoad": false,
		"hasInsightsVitals": false, "hasInsightsCaches": false, "hasInsightsQueues": false, "hasInsightsLlmMonitoring": false,
		"latestRelease": latest, "hasUserReports": false, "hasFlags": false, "latestDeploys": deploys,
		"isInternal": false, "isPublic": false, "status": "active", "color": "#bf6e3f",
		"avatar": obj{"avatarType": "letter_avatar", "avatarUuid": nil},
	}
	if detail {
		out["organization"] = f.orgJSON(p.org, c, r)
		out["options"] = obj{}
		out["resolveAge"] = 0
		out["subjectPrefix"] = ""
	}
	return out
}

func (f *Fake) listProjects(w http.ResponseWriter, r *http.Request, c *call) {
	query := strings.ToLower(r.URL.Query().Get("query"))
	var list []obj
	for _, p := range c.org.projects {
		if query != "" && !strings.Contains(p.Slug, query) {
			continue
		}
		list = append(list, f.projectJSON(p, c, r, false))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) getProject(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, f.projectJSON(c.project, c, r, true))
}

func (f *Fake) listKeys(w http.ResponseWriter, r *http.Request, c *call) {
	f.writePage(w, r, c, f.keysJSON(c.project, c, r), "per_page", 100, 100)
}

func (f *Fake) monitorJSON(m *monitor) obj {
	var schedule any
	if m.ScheduleType == "crontab" {
		schedule = []string{"crontab", m.Crontab}
	} else {
		schedule = []any{m.IntervalValue, m.IntervalUnit}
	}
	envs := []obj{}
	lastCheckIn, nextCheckIn := time.Time{}, time.Time{}
	for _, e := range m.envs {
		envs = append(envs, obj{
			"id": e.ID, "name": e.Name, "status": e.Status, "isMuted": false,
			"dateCreated": isoTime(m.DateCreated), "lastCheckIn": isoTime(e.LastCheckIn),
			"nextCheckIn": isoTime(e.NextCheckIn), "nextCheckInLatest": isoTime(e.NextCheckIn.Add(time.Duration(m.CheckinMargin) * time.Minute)),
			"activeIncident": nil,
		})
		if e.LastCheckIn.After(lastCheckIn) {
			lastCheckIn = e.LastCheckIn
		}
		if nextCheckIn.IsZero() || e.NextCheckIn.Before(nextCheckIn) {
			nextCheckIn = e.NextCheckIn
		}
	}
	return obj{
		"id": m.ID, "slug": m.Slug, "name": m.Name, "status": m.Status, "isMuted": false, "isUpserting": false,
		"project":     obj{"id": m.project.ID, "slug": m.project.Slug, "name": m.project.Name},
		"owner":       obj{"type": "team", "id": m.owner.ID, "name": m.owner.Slug},
		"dateCreated": isoTime(m.DateCreated), "lastCheckIn": isoTime(lastCheckIn), "nextCheckIn": isoTime(nextCheckIn),
		"config": obj{
			"schedule": schedule, "schedule_type": m.ScheduleType, "timezone": "UTC",
			"checkin_margin": m.CheckinMargin, "max_runtime": m.MaxRuntime,
		},
		"environments": envs,
	}
}

func (f *Fake) listMonitors(w http.ResponseWriter, r *http.Request, c *call) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	var list []obj
	for _, m := range c.org.monitors {
		if projects == nil || slices.Contains(projects, m.project) {
			list = append(list, f.monitorJSON(m))
		}
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

// listOrgTags is /organizations/{org}/tags/: every tag key seen on the
// organization's events.
func (f *Fake) listOrgTags(w http.ResponseWriter, r *http.Request, c *call) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	type agg struct {
		total  int
		values map[string]bool
	}
	keys := map[string]*agg{}
	for _, is := range f.w.orgIssues(c.org) {
		if projects != nil && !slices.Contains(projects, is.project) {
			continue
		}
		for _, t := range is.tags {
			a := keys[t.Key]
			if a == nil {
				a = &agg{values: map[string]bool{}}
				keys[t.Key] = a
			}
			a.total += t.TotalValues
			for _, v := range t.values {
				a.values[v.Value] = true
			}
			for i := len(t.values); i < t.UniqueValues; i++ { // users beyond the top few
				a.values[fmt.Sprintf("%s#%d", is.ID, i)] = true
			}
		}
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	list := []obj{}
	for _, k := range names {
		list = append(list, obj{"key": k, "name": tagName(k), "totalValues": keys[k].total, "uniqueValues": len(keys[k].values)})
	}
	writeJSON(w, http.StatusOK, list)
}

// projectFilter reads the repeatable project=<id> parameter (-1 means all).
// It returns nil for "all projects", and answers 403 for a project the
// organization does not have, as Sentry does.
func (f *Fake) projectFilter(w http.ResponseWriter, r *http.Request, c *call) ([]*project, bool) {
	var out []*project
	for _, v := range queryValues(r, "project") {
		if v == "-1" {
			return nil, true
		}
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			writeDetail(w, http.StatusBadRequest, "Invalid project parameter. Values must be numbers.")
			return nil, false
		}
		p := c.org.projectByRef(v)
		if p == nil {
			writeDetail(w, http.StatusForbidden, DetailNoPermission)
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// writePage writes one page of a listing with its Link header.
func (f *Fake) writePage(w http.ResponseWriter, r *http.Request, c *call, list []obj, sizeParam string, def, maxN int) {
	lo, hi, ok := f.paginate(w, r, c, len(list), sizeParam, def, maxN)
	if !ok {
		return
	}
	page := list[lo:hi]
	if page == nil {
		page = []obj{}
	}
	writeJSON(w, http.StatusOK, page)
}

// jsonInt turns a numeric id string into a JSON number, for the few places
// Sentry sends ids as numbers.
func jsonInt(id string) any {
	var n int64
	for _, ch := range id {
		if ch < '0' || ch > '9' {
			return id
		}
		n = n*10 + int64(ch-'0')
	}
	return n
}
