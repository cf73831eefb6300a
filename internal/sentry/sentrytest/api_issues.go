package sentrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Issues: search, details, update, notes, activity and tag values.

var validIs = []string{"resolved", "unresolved", "ignored", "archived", "assigned", "unassigned", "for_review",
	"new", "ongoing", "regressed", "escalating", "linked", "unlinked", "bookmarked"}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (f *Fake) actorJSON(a *actor) any {
	if a == nil {
		return nil
	}
	if a.kind == "team" {
		for _, o := range f.w.orgs {
			if t := o.teamByRef(a.id); t != nil {
				return obj{"type": "team", "id": t.ID, "name": t.Slug}
			}
		}
		return nil
	}
	u := f.w.user(a.id)
	if u == nil {
		return nil
	}
	return obj{"type": "user", "id": u.ID, "name": u.Name, "email": u.Email}
}

func (f *Fake) activityJSON(a *activity) obj {
	var u any
	if a.userID != "" {
		u = userRef(f.w.user(a.userID))
	}
	return obj{"id": a.ID, "user": u, "sentry_app": nil, "type": a.Type, "data": a.Data, "dateCreated": isoTime(a.DateCreated)}
}

func (is *issue) notes() []*activity {
	var out []*activity
	for _, a := range is.activity {
		if a.Type == "note" {
			out = append(out, a)
		}
	}
	return out
}

func (f *Fake) issueMetadata(is *issue) obj {
	prof := profiles[is.project.Slug]
	if is.ExcType == "" {
		return obj{"title": is.Title, "value": is.Message, "initial_priority": 50}
	}
	mix := "mixed"
	if prof.platform == "cocoa" {
		mix = "system-only"
	}
	return obj{
		"value": is.ExcValue, "type": is.ExcType, "filename": is.Filename, "function": is.Function,
		"in_app_frame_mix": mix, "sdk": obj{"name": prof.sdkName, "name_normalized": prof.sdkName},
		"severity": 0, "severity_reason": "ml", "initial_priority": 50, "title": is.Title,
	}
}

func (f *Fake) bucketStats(start time.Time, step time.Duration, counts []int) [][2]int64 {
	out := make([][2]int64, len(counts))
	for i, n := range counts {
		out[i] = [2]int64{start.Add(time.Duration(i) * step).Unix(), int64(n)}
	}
	return out
}

func (f *Fake) releaseRef(rel *release) any {
	if rel == nil {
		return nil
	}
	return obj{
		"id": rel.ID, "version": rel.Version, "shortVersion": shortVersion(rel.Version), "status": "open",
		"dateCreated": isoTime(rel.DateCreated), "dateReleased": isoTime(rel.DateReleased),
		"ref": rel.Ref, "url": nil, "commitCount": rel.CommitCount, "deployCount": rel.deployCount,
		"lastCommit": nil, "lastDeploy": deployJSON(rel.lastDeploy), "authors": []obj{}, "data": obj{},
		"userAgent":   nil,
		"versionInfo": versionInfo(rel.Version),
	}
}

// issueJSON serializes an issue; detail adds what the details endpoint
// has on top of the stream (list) shape.
func (f *Fake) issueJSON(is *issue, c *call, r *http.Request, detail bool) obj {
	p := is.project
	statusDetails := obj{}
	if is.Status == "ignored" {
		switch is.Substatus {
		case "archived_until_escalating":
			statusDetails["ignoreUntilEscalating"] = true
		case "archived_until_condition_met":
			for k, v := range is.ignore {
				statusDetails[k] = v
			}
			if d := is.ignore["ignoreDuration"]; d > 0 {
				statusDetails["ignoreUntil"] = isoTime(f.dataClock().Add(time.Duration(d) * time.Minute))
			}
		}
	}
	typ := "error"
	if is.ExcType == "" {
		typ = "default"
	}
	subscribed := is.assignee != nil && is.assignee.kind == "user" && is.assignee.id == c.user.ID
	var subscription any
	if subscribed {
		subscription = obj{"reason": "assigned"}
	}
	day := 24 * time.Hour
	stats24 := f.bucketStats(f.dataNow().Truncate(time.Hour).Add(-23*time.Hour), time.Hour, is.stats24h)
	out := obj{
		"id": is.ID, "shareId": nil, "shortId": is.ShortID, "title": is.Title, "culprit": is.Culprit,
		"permalink": f.orgURL(p.org, c, r) + "/issues/" + is.ID + "/",
		"logger":    nilIfEmpty(is.Logger), "level": is.Level, "status": is.Status, "statusDetails": statusDetails,
		"substatus": nilIfEmpty(is.Substatus), "isPublic": false, "platform": is.Platform,
		"project": obj{"id": p.ID, "name": p.Name, "slug": p.Slug, "platform": p.Platform},
		"type":    typ, "metadata": f.issueMetadata(is), "numComments": len(is.notes()),
		"assignedTo": f.actorJSON(is.assignee), "isBookmarked": is.IsBookmarked, "isSubscribed": subscribed,
		"subscriptionDetails": subscription, "hasSeen": is.HasSeen, "annotations": []obj{},
		"issueType": "error", "issueCategory": "error", "priority": is.Priority, "priorityLockedAt": nil,
		"isUnhandled": is.IsUnhandled, "count": strconv.Itoa(is.Count), "userCount": is.UserCount,
		"firstSeen": isoTime(is.FirstSeen), "lastSeen": isoTime(is.LastSeen),
		"stats": obj{"24h": stats24},
	}
	if !detail {
		return out
	}
	activity := []obj{}
	var participants []any
	seen := map[string]bool{}
	for i := len(is.activity) - 1; i >= 0; i-- {
		a := is.activity[i]
		activity = append(activity, f.activityJSON(a))
		if a.userID != "" && !seen[a.userID] {
			seen[a.userID] = true
			participants = append(participants, userRef(f.w.user(a.userID)))
		}
	}
	if participants == nil {
		participants = []any{}
	}
	var end any
	if is.Status != "unresolved" {
		end = isoTime(is.LastSeen.Add(time.Hour))
	}
	tags := []obj{}
	for _, t := range is.tags {
		tags = append(tags, obj{"key": t.Key, "name": t.Name, "totalValues": t.TotalValues})
	}
	out["activity"] = activity
	out["openPeriods"] = []obj{{"start": isoTime(is.FirstSeen), "end": end, "duration": nil,
		"isOpen": is.Status == "unresolved", "lastChecked": isoTime(is.LastSeen)}}
	out["seenBy"] = []obj{}
	out["pluginActions"], out["pluginIssues"], out["pluginContexts"] = []any{}, []any{}, []any{}
	out["userReportCount"] = 0
	out["participants"] = participants
	out["firstRelease"] = f.releaseRef(is.firstRelease)
	out["lastRelease"] = f.releaseRef(is.lastRelease)
	out["tags"] = tags
	out["stats"] = obj{
		"24h": stats24,
		"30d": f.bucketStats(f.dataNow().Truncate(day).Add(-29*day), day, is.stats30d),
	}
	return out
}

// issueMatches applies one search term to an issue.
func (f *Fake) issueMatches(is *issue, t term, c *call) (bool, error) {
	ok := false
	tagVals := func(key string) []string {
		var out []string
		if st := is.tag(key); st != nil {
			for _, v := range st.values {
				out = append(out, v.Value)
			}
		}
		return out
	}
	switch t.key {
	case "":
		ok = containsText(t.values[0], is.Title, is.Culprit, is.ShortID)
		// A bare event id finds the event's issue, as in Sentry.
		for _, ev := range is.events {
			ok = ok || strings.EqualFold(ev.ID, t.values[0])
		}
	case "message", "title":
		ok = containsText(t.values[0], is.Title, is.Message, is.ExcValue)
	case "is":
		for _, v := range t.values {
			m, err := isMatches(is, v)
			if err != nil {
				return false, err
			}
			ok = ok || m
		}
	case "level":
		ok = matchValues(t, []string{is.Level})
	case "assigned", "assigned_to", "assignee":
		for _, v := range t.values {
			ok = ok || f.assignedMatches(is, v, c)
		}
	case "bookmarks":
		ok = is.IsBookmarked && slices.Contains(t.values, "me")
	case "release", "release.version":
		want := slices.Clone(t.values)
		for i, v := range want {
			if rels := is.project.releases(); v == "latest" && len(rels) > 0 {
				want[i] = rels[0].Version
			}
		}
		ok = matchValues(term{op: t.op, values: want}, tagVals("release"))
	case "firstRelease", "first_release":
		if is.firstRelease != nil {
			ok = matchValues(t, []string{is.firstRelease.Version})
		}
	case "project", "project.name":
		ok = matchValues(t, []string{is.project.Slug})
	case "project.id":
		ok = matchValues(t, []string{is.project.ID})
	case "environment", "env":
		ok = matchValues(t, tagVals("environment"))
	case "firstSeen", "first_seen", "age":
		m, err := matchTime(t, is.FirstSeen, f.dataNow())
		if err != nil {
			return false, err
		}
		ok = m
	case "lastSeen", "last_seen":
		m, err := matchTime(t, is.LastSeen, f.dataNow())
		if err != nil {
			return false, err
		}
		ok = m
	case "times_seen", "timesSeen", "event.count":
		ok = matchValues(t, []string{strconv.Itoa(is.Count)})
	case "user.count", "userCount":
		ok = matchValues(t, []string{strconv.Itoa(is.UserCount)})
	case "issue", "issue.id", "id":
		ok = matchValues(t, []string{is.ID, is.ShortID})
	case "issue.category", "issue.type", "event.type":
		ok = matchValues(t, []string{"error"})
	case "error.type":
		ok = matchValues(t, []string{is.ExcType})
	case "error.value":
		ok = matchValues(t, []string{is.ExcValue})
	case "error.unhandled":
		ok = matchValues(t, []string{strconv.FormatBool(is.IsUnhandled), b2s(is.IsUnhandled)})
	case "error.handled":
		ok = matchValues(t, []string{strconv.FormatBool(!is.IsUnhandled), b2s(!is.IsUnhandled)})
	case "has":
		for _, k := range t.values {
			switch k {
			case "assignee", "assigned":
				ok = ok || is.assignee != nil
			default:
				ok = ok || len(tagVals(k)) > 0
			}
		}
	default:
		ok = matchValues(t, tagVals(t.key))
	}
	return ok != t.negate, nil
}

func b2s(b bool) string { return strconv.Itoa(b2i(b)) }

func isMatches(is *issue, v string) (bool, error) {
	switch v {
	case "resolved", "unresolved", "ignored":
		return is.Status == v, nil
	case "archived":
		return is.Status == "ignored", nil
	case "assigned":
		return is.assignee != nil, nil
	case "unassigned":
		return is.assignee == nil, nil
	case "for_review":
		return is.Status == "unresolved" && (is.Substatus == "new" || is.Substatus == "regressed"), nil
	case "new", "ongoing", "regressed", "escalating":
		return is.Substatus == v, nil
	case "linked":
		return false, nil
	case "unlinked":
		return true, nil
	case "bookmarked":
		return is.IsBookmarked, nil
	}
	return false, fmt.Errorf(`Invalid value for "is" search, valid values are %v`, validIs)
}

func (f *Fake) assignedMatches(is *issue, v string, c *call) bool {
	a := is.assignee
	switch {
	case v == "none":
		return a == nil
	case a == nil:
		return false
	case v == "me":
		return a.kind == "user" && a.id == c.user.ID
	case v == "my_teams":
		if a.kind != "team" {
			return false
		}
		t := is.project.org.teamByRef(a.id)
		return t != nil && t.has(c.user.ID)
	case strings.HasPrefix(v, "#"):
		t := is.project.org.teamByRef(a.id)
		return a.kind == "team" && t != nil && strings.EqualFold(t.Slug, v[1:])
	}
	if a.kind != "user" {
		return false
	}
	u := f.w.user(a.id)
	return u != nil && (strings.EqualFold(v, u.Email) || v == u.ID || strings.EqualFold(v, u.Username))
}

var issueSorts = map[string]func(a, b *issue) int{
	"date":        func(a, b *issue) int { return b.LastSeen.Compare(a.LastSeen) },
	"new":         func(a, b *issue) int { return b.FirstSeen.Compare(a.FirstSeen) },
	"freq":        func(a, b *issue) int { return b.Count - a.Count },
	"user":        func(a, b *issue) int { return b.UserCount - a.UserCount },
	"priority":    func(a, b *issue) int { return b.LastSeen.Compare(a.LastSeen) },
	"trends":      func(a, b *issue) int { return b.LastSeen.Compare(a.LastSeen) },
	"recommended": func(a, b *issue) int { return b.LastSeen.Compare(a.LastSeen) },
}

// listIssues is /organizations/{org}/issues/: Sentry's issue search. With
// no query parameter at all the query is "is:unresolved", as in Sentry.
func (f *Fake) listIssues(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	query := "is:unresolved"
	if _, given := q["query"]; given {
		query = q.Get("query")
	}
	terms, err := parseQuery(query)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	sortBy := q.Get("sort")
	if sortBy == "" {
		sortBy = "date"
	}
	less, ok := issueSorts[sortBy]
	if !ok {
		writeDetail(w, http.StatusBadRequest, fmt.Sprintf("Invalid sort: %q", sortBy))
		return
	}
	projects, ok := f.projectFilter(w, r, c)
	if !ok {
		return
	}
	filterTime := !(q.Has("statsPeriod") && q.Get("statsPeriod") == "") // statsPeriod= means all time
	from, to, err := parseStatsPeriod(q, f.dataNow(), 14*24*time.Hour)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	envs := queryValues(r, "environment")

	var hits []*issue
	for _, is := range f.w.orgIssues(c.org) {
		if projects != nil && !slices.Contains(projects, is.project) {
			continue
		}
		if filterTime && (is.LastSeen.Before(from) || is.FirstSeen.After(to)) {
			continue
		}
		if len(envs) > 0 && !matchValues(term{values: envs}, tagValues(is, "environment")) {
			continue
		}
		keep := true
		for _, t := range terms {
			m, err := f.issueMatches(is, t, c)
			if err != nil {
				writeDetail(w, http.StatusBadRequest, err.Error())
				return
			}
			if !m {
				keep = false
				break
			}
		}
		if keep {
			hits = append(hits, is)
		}
	}
	slices.SortStableFunc(hits, func(a, b *issue) int {
		if n := less(a, b); n != 0 {
			return n
		}
		return strings.Compare(b.ID, a.ID)
	})
	list := make([]obj, len(hits))
	for i, is := range hits {
		list[i] = f.issueJSON(is, c, r, false)
	}
	f.writePage(w, r, c, list, "limit", 25, 100)
}

func tagValues(is *issue, key string) []string {
	var out []string
	if st := is.tag(key); st != nil {
		for _, v := range st.values {
			out = append(out, v.Value)
		}
	}
	return out
}

func (f *Fake) getIssue(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, f.issueJSON(c.issue, c, r, true))
}

// addActivity records an activity by the caller; callers hold f.mu.
func (f *Fake) addActivity(is *issue, typ, userID string, data map[string]any) *activity {
	a := &activity{ID: strconv.Itoa(f.w.nextNote), Type: typ, userID: userID, Data: data, DateCreated: f.dataClock()}
	f.w.nextNote++
	is.activity = append(is.activity, a)
	return a
}

// updateIssue is PUT /organizations/{org}/issues/{id}/: status,
// assignedTo, hasSeen, isBookmarked, isSubscribed.
func (f *Fake) updateIssue(w http.ResponseWriter, r *http.Request, c *call) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeDetail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return
	}
	is := c.issue
	status, hasStatus := body["status"]
	var newStatus string
	if hasStatus {
		s, _ := status.(string)
		switch s {
		case "resolved", "resolvedInNextRelease":
			newStatus = "resolved"
		case "unresolved", "ignored":
			newStatus = s
		default:
			writeJSON(w, http.StatusBadRequest, obj{"status": []string{fmt.Sprintf("%q is not a valid choice.", fmt.Sprint(status))}})
			return
		}
	}
	// Conditions of an ignore, as Sentry's StatusDetailsValidator takes
	// them: whole positive numbers, the windows at most a week.
	ignore := map[string]int{}
	for _, k := range []string{"ignoreDuration", "ignoreCount", "ignoreWindow", "ignoreUserCount", "ignoreUserWindow"} {
		v, ok := body[k]
		if !ok || v == nil {
			continue
		}
		n, isNum := v.(float64)
		if !isNum || n != float64(int(n)) || n < 1 || (strings.HasSuffix(k, "Window") && n > 10080) {
			writeJSON(w, http.StatusBadRequest, obj{k: []string{"Ensure this value is a valid number within range."}})
			return
		}
		ignore[k] = int(n)
	}
	if len(ignore) > 0 && newStatus != "ignored" {
		writeJSON(w, http.StatusBadRequest, obj{"statusDetails": []string{"Ignore conditions need status ignored."}})
		return
	}
	assignee, hasAssignee := body["assignedTo"]
	var newAssignee *actor
	if hasAssignee {
		var problem string
		newAssignee, problem = f.parseActor(c.org, assignee)
		if problem != "" {
			writeJSON(w, http.StatusBadRequest, obj{"assignedTo": []string{problem}})
			return
		}
	}
	// Validated: apply.
	// Ignoring again with other conditions replaces the old ones.
	reignore := newStatus == "ignored" && (len(ignore) > 0 || len(is.ignore) > 0)
	if hasStatus && (newStatus != is.Status || reignore) {
		is.Status = newStatus
		switch newStatus {
		case "resolved":
			is.Substatus, is.ignore = "", nil
			f.addActivity(is, "set_resolved", c.user.ID, map[string]any{})
		case "unresolved":
			is.Substatus, is.ignore = "ongoing", nil
			f.addActivity(is, "set_unresolved", c.user.ID, map[string]any{})
		case "ignored":
			is.Substatus = "archived_until_escalating"
			if s, _ := body["substatus"].(string); strings.HasPrefix(s, "archived_") {
				is.Substatus = s
			}
			is.ignore = nil
			data := map[string]any{"ignoreUntilEscalating": is.Substatus == "archived_until_escalating"}
			if len(ignore) > 0 {
				is.Substatus, is.ignore = "archived_until_condition_met", ignore
				for k, v := range ignore {
					data[k] = v
				}
			}
			f.addActivity(is, "set_ignored", c.user.ID, data)
		}
	}
	if hasAssignee {
		switch {
		case newAssignee == nil && is.assignee != nil:
			f.addActivity(is, "unassigned", c.user.ID, map[string]any{})
		case newAssignee != nil:
			data := map[string]any{"assignee": newAssignee.id, "assigneeType": newAssignee.kind}
			if newAssignee.kind == "user" {
				data["assigneeEmail"] = userEmail(newAssignee.id)
			}
			f.addActivity(is, "assigned", c.user.ID, data)
		}
		is.assignee = newAssignee
	}
	if v, ok := body["hasSeen"].(bool); ok {
		is.HasSeen = v
	}
	if v, ok := body["isBookmarked"].(bool); ok {
		is.IsBookmarked = v
	}
	writeJSON(w, http.StatusOK, f.issueJSON(is, c, r, true))
}

// parseActor reads assignedTo: "user:1", "team:<id>", "1", an email or
// username; null or "" unassigns.
func (f *Fake) parseActor(o *org, v any) (*actor, string) {
	const badFormat = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."
	if v == nil {
		return nil, ""
	}
	s, ok := v.(string)
	if !ok {
		return nil, badFormat
	}
	if s == "" {
		return nil, ""
	}
	kind, id, typed := strings.Cut(s, ":")
	if !typed {
		kind, id = "user", s
	}
	switch kind {
	case "team":
		t := o.teamByRef(id)
		if t == nil {
			return nil, "Unknown actor input"
		}
		return &actor{"team", t.ID}, ""
	case "user":
		for _, u := range f.w.users {
			if u.ID == id || strings.EqualFold(u.Email, id) || strings.EqualFold(u.Username, id) {
				if o.role(u.ID) == "" {
					return nil, "Cannot assign to non-team member"
				}
				return &actor{"user", u.ID}, ""
			}
		}
		return nil, "Unknown actor input"
	}
	return nil, badFormat
}

func (f *Fake) listActivities(w http.ResponseWriter, r *http.Request, c *call) {
	list := []obj{}
	for i := len(c.issue.activity) - 1; i >= 0; i-- {
		list = append(list, f.activityJSON(c.issue.activity[i]))
	}
	writeJSON(w, http.StatusOK, obj{"activity": list})
}

func (f *Fake) listNotes(w http.ResponseWriter, r *http.Request, c *call) {
	notes := c.issue.notes()
	list := make([]obj, 0, len(notes))
	for i := len(notes) - 1; i >= 0; i-- {
		list = append(list, f.activityJSON(notes[i]))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

// createNote is POST .../notes/ {"text": "..."}; it answers 201 with the
// new "note" activity.
func (f *Fake) createNote(w http.ResponseWriter, r *http.Request, c *call) {
	var body struct {
		Text *string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeDetail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return
	}
	switch {
	case body.Text == nil:
		writeJSON(w, http.StatusBadRequest, obj{"text": []string{"This field is required."}})
		return
	case strings.TrimSpace(*body.Text) == "":
		writeJSON(w, http.StatusBadRequest, obj{"text": []string{"This field may not be blank."}})
		return
	}
	notes := c.issue.notes()
	if n := len(notes); n > 0 && notes[n-1].userID == c.user.ID && notes[n-1].Data["text"] == *body.Text &&
		f.dataClock().Sub(notes[n-1].DateCreated) < time.Hour {
		writeDetail(w, http.StatusBadRequest, "You have already posted that comment.")
		return
	}
	a := f.addActivity(c.issue, "note", c.user.ID, map[string]any{"text": *body.Text})
	writeJSON(w, http.StatusCreated, f.activityJSON(a))
}

func tagValueJSON(key string, v *tagValue) obj {
	return obj{"key": key, "name": v.Name, "value": v.Value, "count": v.Count,
		"lastSeen": isoTime(v.LastSeen), "firstSeen": isoTime(v.FirstSeen)}
}

func tagKeyJSON(st *tagStat, top int) obj {
	values := []obj{}
	for i, v := range st.values {
		if i == top {
			break
		}
		values = append(values, tagValueJSON(st.Key, v))
	}
	return obj{"key": st.Key, "name": st.Name, "totalValues": st.TotalValues, "uniqueValues": st.UniqueValues, "topValues": values}
}

func (f *Fake) listIssueTags(w http.ResponseWriter, r *http.Request, c *call) {
	keys := queryValues(r, "key")
	list := []obj{}
	for _, st := range c.issue.tags {
		if len(keys) == 0 || slices.Contains(keys, st.Key) {
			list = append(list, tagKeyJSON(st, 9))
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (f *Fake) getIssueTag(w http.ResponseWriter, r *http.Request, c *call) {
	st := c.issue.tag(r.PathValue("key"))
	if st == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	writeJSON(w, http.StatusOK, tagKeyJSON(st, 9))
}

func (f *Fake) listIssueTagValues(w http.ResponseWriter, r *http.Request, c *call) {
	st := c.issue.tag(r.PathValue("key"))
	if st == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	values := slices.Clone(st.values)
	switch r.URL.Query().Get("sort") {
	case "", "-count":
	case "-last_seen":
		sort.SliceStable(values, func(i, j int) bool { return values[i].LastSeen.After(values[j].LastSeen) })
	case "-first_seen":
		sort.SliceStable(values, func(i, j int) bool { return values[i].FirstSeen.After(values[j].FirstSeen) })
	default:
		writeDetail(w, http.StatusBadRequest, "Invalid sort parameter.")
		return
	}
	list := make([]obj, len(values))
	for i, v := range values {
		list[i] = tagValueJSON(st.Key, v)
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}
