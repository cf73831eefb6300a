package sentrytest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Releases. Versions carry "@", "+" and even "/" (api@release/3.4), so
// clients must escape them in paths; ServeMux unescapes each segment.

func deployJSON(d *deploy) any {
	if d == nil {
		return nil
	}
	return obj{"id": d.ID, "environment": d.Environment, "name": d.Name, "url": nil,
		"dateStarted": isoTime(d.DateStarted), "dateFinished": isoTime(d.DateFinished)}
}

func shortVersion(v string) string { return v }

// versionInfo parses package@major.minor.patch+build like Sentry does.
func versionInfo(v string) obj {
	pkg, raw, hasPkg := strings.Cut(v, "@")
	if !hasPkg {
		pkg, raw = "", v
	}
	info := obj{"package": nilIfEmpty(pkg), "version": obj{"raw": raw}, "description": raw, "buildHash": nil}
	core, build, _ := strings.Cut(raw, "+")
	parts := strings.Split(core, ".")
	nums := make([]int, 0, 3)
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return info
		}
		nums = append(nums, n)
	}
	if len(nums) != 3 {
		return info
	}
	ver := obj{"raw": raw, "major": nums[0], "minor": nums[1], "patch": nums[2], "pre": nil,
		"buildCode": nilIfEmpty(build), "components": 3}
	info["version"] = ver
	if build != "" {
		info["description"] = core + " (" + build + ")"
	}
	return info
}

func (f *Fake) releaseJSON(rel *release) obj {
	var first, last time.Time
	newGroups := map[*project]int{}
	for _, is := range f.w.orgIssues(rel.org) {
		if is.firstRelease == rel {
			newGroups[is.project]++
		}
		for _, ev := range is.events {
			if ev.Release != rel {
				continue
			}
			if first.IsZero() || ev.DateCreated.Before(first) {
				first = ev.DateCreated
			}
			if ev.DateCreated.After(last) {
				last = ev.DateCreated
			}
		}
	}
	projects := []obj{}
	total := 0
	for _, p := range rel.projects {
		total += newGroups[p]
		projects = append(projects, obj{"id": jsonInt(p.ID), "slug": p.Slug, "name": p.Name, "newGroups": newGroups[p],
			"platform": p.Platform, "platforms": []string{strings.SplitN(p.Platform, "-", 2)[0]}, "hasHealthData": false})
	}
	out := f.releaseRef(rel).(obj)
	out["newGroups"] = total
	out["owner"] = nil
	out["projects"] = projects
	out["firstEvent"] = isoOrNil(first)
	out["lastEvent"] = isoOrNil(last)
	out["currentProjectMeta"] = obj{}
	return out
}

// listReleases is /organizations/{org}/releases/?project=&query=: newest
// first, query matching anywhere in the version (case-insensitive).
func (f *Fake) listReleases(w http.ResponseWriter, r *http.Request, c *call) {
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	query := strings.ToLower(r.URL.Query().Get("query"))
	var list []obj
	for _, rel := range c.org.releases {
		if query != "" && !strings.Contains(strings.ToLower(rel.Version), query) {
			continue
		}
		if projects != nil && !slices.ContainsFunc(rel.projects, func(p *project) bool { return slices.Contains(projects, p) }) {
			continue
		}
		list = append(list, f.releaseJSON(rel))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) getRelease(w http.ResponseWriter, r *http.Request, c *call) {
	rel := c.org.release(r.PathValue("version"))
	if rel == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	writeJSON(w, http.StatusOK, f.releaseJSON(rel))
}

// Deploys, commits and health of a release are derived from its seed: the
// deploys end with lastDeploy (to production), earlier ones went to
// staging; the commits are CommitCount commits by the organization's
// members, newest first.

func (rel *release) deploys() []*deploy {
	if rel.lastDeploy == nil {
		return nil
	}
	out := []*deploy{rel.lastDeploy}
	for i := 1; i < rel.deployCount; i++ {
		started := rel.lastDeploy.DateStarted.Add(-time.Duration(i) * 3 * time.Hour)
		out = append(out, &deploy{
			ID: strconv.FormatInt(rel.ID%100000*10+int64(i), 10), Environment: "staging", Name: "deploy " + rel.Version,
			DateStarted: started, DateFinished: started.Add(4 * time.Minute),
		})
	}
	return out
}

var commitMessages = []string{
	"Fix null check in checkout flow", "Bump SDK version", "Add retry to payment client",
	"Refactor cart summary rendering", "Log slow queries", "Handle empty coupon list",
	"Tighten request timeouts", "Update dependencies",
}

func (f *Fake) releaseCommitsJSON(rel *release) []obj {
	out := []obj{}
	members := rel.org.members
	for i := range rel.CommitCount {
		author := f.w.user(members[i%len(members)].userID)
		out = append(out, obj{
			"id":          Fingerprint(rel.Ref+strconv.Itoa(i)) + Fingerprint(strconv.Itoa(i)+rel.Ref) + rel.Ref[:24],
			"message":     commitMessages[(i+int(rel.ID))%len(commitMessages)],
			"dateCreated": isoTime(rel.DateCreated.Add(-time.Duration(i+1) * 47 * time.Minute)),
			"pullRequest": nil, "suspectCommitType": "",
			"author":     obj{"name": author.Name, "email": author.Email},
			"repository": obj{"name": rel.org.Slug + "/" + rel.projects[0].Slug},
		})
	}
	return out
}

func (f *Fake) listReleaseDeploys(w http.ResponseWriter, r *http.Request, c *call) {
	rel := c.org.release(r.PathValue("version"))
	if rel == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	list := []obj{}
	for _, d := range rel.deploys() {
		list = append(list, deployJSON(d).(obj))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) listReleaseCommits(w http.ResponseWriter, r *http.Request, c *call) {
	rel := c.org.release(r.PathValue("version"))
	if rel == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	f.writePage(w, r, c, f.releaseCommitsJSON(rel), "per_page", 100, 100)
}

// getProjectRelease is /projects/{org}/{project}/releases/{version}/: 404
// for a release of other projects; health=1 adds each project's session
// health (healthData), derived from the release's events.
func (f *Fake) getProjectRelease(w http.ResponseWriter, r *http.Request, c *call) {
	rel := c.org.release(r.PathValue("version"))
	if rel == nil || !slices.Contains(rel.projects, c.project) {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	out := f.releaseJSON(rel)
	if r.URL.Query().Get("health") == "1" {
		crashed := 0
		for _, is := range f.w.orgIssues(rel.org) {
			for _, ev := range is.events {
				if ev.Release == rel && is.IsUnhandled {
					crashed++
				}
			}
		}
		sessions := 1000 + int(rel.ID%7)*431
		users := sessions / 4
		for _, p := range out["projects"].([]obj) {
			p["hasHealthData"] = true
			p["healthData"] = obj{
				"crashFreeSessions": 100 * float64(sessions-crashed) / float64(sessions),
				"crashFreeUsers":    100 * float64(users-min(crashed, users)) / float64(users),
				"adoption":          float64(30 + rel.ID%50), "sessionsAdoption": float64(28 + rel.ID%50),
				"totalSessions": sessions, "totalUsers": users, "sessionsCrashed": crashed, "sessionsErrored": crashed * 3,
				"durationP50": 41.5, "durationP90": 310.0, "hasHealthData": true,
				"totalSessions24h": sessions / 10, "totalUsers24h": users / 10, "stats": obj{},
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}
