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
