package sentry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// newSeeded serves every fixture from one fake whose organization "acme" has
// its region on the same server.
func newSeeded(t *testing.T) (*fake, *Client) {
	t.Helper()
	f := newFake(t)
	for pattern, fixture := range map[string]string{
		"GET /api/0/auth/{$}":                                                      "user.json",
		"GET /api/0/users/me/regions/{$}":                                          "regions.json",
		"GET /api/0/organizations/acme/{$}":                                        "organization.json",
		"GET /api/0/organizations/acme/teams/{$}":                                  "teams.json",
		"GET /api/0/organizations/acme/projects/{$}":                               "projects.json",
		"GET /api/0/projects/acme/api/{$}":                                         "project.json",
		"GET /api/0/projects/acme/api/keys/{$}":                                    "project-keys.json",
		"GET /api/0/organizations/acme/releases/{$}":                               "releases.json",
		"GET /api/0/organizations/acme/releases/{version}/{$}":                     "release.json",
		"GET /api/0/organizations/acme/issues/{$}":                                 "issues.json",
		"GET /api/0/organizations/acme/issues/API-41/{$}":                          "issue.json",
		"GET /api/0/organizations/acme/issues/6507376927/{$}":                      "issue-minimal.json",
		"GET /api/0/organizations/acme/issues/API-41/activities/{$}":               "issue-activity.json",
		"GET /api/0/organizations/acme/issues/API-41/tags/url/{$}":                 "issue-tag-values.json",
		"GET /api/0/organizations/acme/issues/API-41/events/{$}":                   "issue-events.json",
		"GET /api/0/organizations/acme/issues/API-41/events/latest/{$}":            "event-error.json",
		"GET /api/0/organizations/acme/issues/API-41/events/oldest/{$}":            "event-default.json",
		"GET /api/0/organizations/acme/issues/API-41/events/recommended/{$}":       "event-generic.json",
		"GET /api/0/projects/acme/api/events/a1b2c3d4e5f60718293a4b5c6d7e8f90/{$}": "event-transaction.json",
		"GET /api/0/projects/acme/api/events/bf5b6c7fd49f4f8da94085a43393051d/{$}": "event-csp.json",
		"GET /api/0/organizations/acme/trace-meta/{id}/{$}":                        "trace-meta.json",
		"GET /api/0/organizations/acme/trace/{id}/{$}":                             "trace.json",
		"GET /api/0/organizations/acme/tags/{$}":                                   "tags.json",
		"GET /api/0/organizations/acme/monitors/{$}":                               "monitors.json",
		"POST /api/0/organizations/acme/issues/API-41/notes/{$}":                   "note.json",
		"PUT /api/0/organizations/acme/issues/API-41/{$}":                          "issue.json",
	} {
		f.serve(t, pattern, fixture, f.URL)
	}
	f.handle("GET /api/0/organizations/acme/events/{$}", func(w http.ResponseWriter, r *http.Request) {
		name := "events-errors.json"
		if r.URL.Query().Get("dataset") == "spans" {
			name = "events-spans.json"
		}
		_, _ = w.Write(fixtureBytes(t, name))
	})
	c, _ := newClient(t, f.URL)
	return f, c
}

func TestUsersAndOrganizations(t *testing.T) {
	f, c := newSeeded(t)
	ctx := context.Background()

	u, err := c.WhoAmI(ctx)
	if err != nil || u.ID != "1001" || u.Email != "ada@example.com" || u.Name != "Ada Example" {
		t.Fatalf("WhoAmI = %+v, %v", u, err)
	}
	regions, err := c.UserRegions(ctx)
	if err != nil || len(regions) != 2 || regions[0].URL != "https://us.sentry.io" {
		t.Fatalf("UserRegions = %+v, %v", regions, err)
	}
	o, err := c.GetOrganization(ctx, "acme")
	if err != nil || o.Slug != "acme" || o.ID != "4509000000000001" || o.Links.RegionURL != f.URL || o.DateCreated.Year() != 2024 {
		t.Fatalf("GetOrganization = %+v, %v", o, err)
	}
	teams, _, err := c.ListTeams(ctx, "acme", ListOptions{Limit: 50})
	if err != nil || len(teams) != 2 || teams[0].MemberCount != 4 || teams[1].ID != "4509000000000101" {
		t.Fatalf("ListTeams = %+v, %v", teams, err)
	}
	if q := lastQuery(f, "/api/0/organizations/acme/teams/"); q != "per_page=50" {
		t.Errorf("ListTeams query = %q", q)
	}
	tags, err := c.ListTags(ctx, "acme", TagsQuery{Dataset: "events", Projects: []string{"api", "42"}, StatsPeriod: "24h"})
	if err != nil || len(tags) != 3 || tags[0].UniqueValues != 1080 || tags[2].TotalValues != 1135 {
		t.Fatalf("ListTags = %+v, %v", tags, err)
	}
	if q := lastQuery(f, "/api/0/organizations/acme/tags/"); q != "dataset=events&project=42&projectSlug=api&statsPeriod=24h" {
		t.Errorf("ListTags query = %q", q)
	}
}

func TestProjectsAndReleases(t *testing.T) {
	f, c := newSeeded(t)
	ctx := context.Background()

	ps, _, err := c.ListProjects(ctx, "acme", ListOptions{})
	if err != nil || len(ps) != 2 || ps[0].Team.Slug != "backend" || !ps[0].FirstEvent.IsZero() || ps[1].FirstEvent.IsZero() {
		t.Fatalf("ListProjects = %+v, %v", ps, err)
	}
	p, err := c.GetProject(ctx, "acme", "api")
	if err != nil || p.Slug != "api" || p.Platform != "go" || len(p.Teams) != 1 {
		t.Fatalf("GetProject = %+v, %v", p, err)
	}
	keys, _, err := c.ListProjectKeys(ctx, "acme", "api", ListOptions{})
	if err != nil || len(keys) != 1 || !strings.HasPrefix(keys[0].DSN.Public, "https://0f1e") || keys[0].ProjectID != "4509000000000200" {
		t.Fatalf("ListProjectKeys = %+v, %v", keys, err)
	}
	if b, _ := json.Marshal(keys); strings.Contains(string(b), "SECRETKEY") {
		t.Errorf("secret key decoded: %s", b)
	}
	rs, _, err := c.ListReleases(ctx, "acme", ReleaseQuery{Project: "api", Query: "1.4"})
	if err != nil || len(rs) != 1 || rs[0].ID != "1402755016" || rs[0].NewGroups != 2 || rs[0].LastDeploy.Environment != "production" || rs[0].Projects[0].ID != "4509000000000200" || !rs[0].DateReleased.IsZero() {
		t.Fatalf("ListReleases = %+v, %v", rs, err)
	}
	r, err := c.GetRelease(ctx, "acme", "api@1.4.0+build.7/x")
	if err != nil || r.Version != "api@1.4.0+build.7" {
		t.Fatalf("GetRelease = %+v, %v", r, err)
	}
	// "+" and "/" stay inside the version's path segment.
	if got := f.requests()[f.count()-1].Path; got != "/api/0/organizations/acme/releases/api@1.4.0%2Bbuild.7%2Fx/" {
		t.Errorf("release path = %s", got)
	}
}

func TestIssues(t *testing.T) {
	f, c := newSeeded(t)
	ctx := context.Background()

	issues, _, err := c.ListIssues(ctx, "acme", IssueQuery{Query: "is:unresolved level:error", Sort: "freq", StatsPeriod: "14d", Projects: []string{"4509000000000200"}, Environment: "production", Limit: 25})
	if err != nil || len(issues) != 2 {
		t.Fatalf("ListIssues = %+v, %v", issues, err)
	}
	is := issues[0]
	if is.ID != "6507376925" || is.ShortID != "API-41" || is.Count != 25 || is.UserCount != 7 || is.AssignedTo.Name != "Ada Example" || is.Metadata.Value != "connection reset by peer" || is.Project.Slug != "api" || is.LastSeen.Day() != 12 {
		t.Errorf("issue = %+v", is)
	}
	if issues[1].Culprit != "" || issues[1].AssignedTo != nil || issues[1].Project.ID != "4509000000000201" {
		t.Errorf("second issue = %+v", issues[1])
	}
	if q := lastQuery(f, "/api/0/organizations/acme/issues/"); q != "environment=production&limit=25&project=4509000000000200&query=is%3Aunresolved+level%3Aerror&sort=freq&statsPeriod=14d" {
		t.Errorf("ListIssues query = %q", q)
	}

	d, err := c.GetIssue(ctx, "acme", "API-41")
	if err != nil || d.AssignedTo.Type != "team" || d.FirstRelease.Version != "api@1.3.0" || len(d.Activity) != 2 {
		t.Fatalf("GetIssue = %+v, %v", d, err)
	}
	m, err := c.GetIssue(ctx, "acme", "6507376927")
	if err != nil || m.ID != "6507376927" || m.Count != 3 || m.UserCount != 2 || !m.FirstSeen.IsZero() || !m.LastSeen.IsZero() {
		t.Fatalf("minimal issue = %+v, %v", m, err)
	}

	act, err := c.ListIssueActivity(ctx, "acme", "API-41")
	if err != nil || len(act) != 2 || act[0].Type != "note" || act[0].Data["text"] != "Looking into it after the deploy." || act[0].User.Name != "Ada Example" {
		t.Fatalf("ListIssueActivity = %+v, %v", act, err)
	}
	tv, err := c.GetIssueTagValues(ctx, "acme", "API-41", "url")
	if err != nil || tv.TotalValues != 112 || len(tv.TopValues) != 2 || tv.TopValues[0].Value != "/checkout" || tv.TopValues[0].Count != 80 {
		t.Fatalf("GetIssueTagValues = %+v, %v", tv, err)
	}

	note, err := c.AddIssueNote(ctx, "acme", "API-41", "Investigating.")
	if err != nil || note.Type != "note" || note.ID != "4633816001" {
		t.Fatalf("AddIssueNote = %+v, %v", note, err)
	}
	if got := f.requests()[f.count()-1]; got.Method != "POST" || got.Body != `{"text":"Investigating."}` {
		t.Errorf("note request = %+v", got)
	}
	unassign := ""
	if _, err := c.UpdateIssue(ctx, "acme", "API-41", IssueUpdate{Status: "resolved", AssignedTo: &unassign}); err != nil {
		t.Fatal(err)
	}
	if got := f.requests()[f.count()-1]; got.Method != "PUT" || got.Body != `{"assignedTo":null,"status":"resolved"}` {
		t.Errorf("update request = %+v", got)
	}
	if _, err := c.UpdateIssue(ctx, "acme", "API-41", IssueUpdate{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty update: %v", err)
	}
	if _, err := c.AddIssueNote(ctx, "acme", "API-41", "  "); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty note: %v", err)
	}
}

func TestIssueActivityFallsBackToIssueDetails(t *testing.T) {
	f := newFake(t)
	f.serve(t, "GET /api/0/organizations/acme/issues/API-41/{$}", "issue.json", "")
	f.handle("GET /api/0/organizations/acme/issues/API-41/activities/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, 404, "The requested resource does not exist")
	})
	c, _ := newClient(t, f.URL)
	_ = c.UseRegion("acme", f.URL)
	act, err := c.ListIssueActivity(context.Background(), "acme", "API-41")
	if err != nil || len(act) != 2 || act[0].Type != "auto_set_ongoing" {
		t.Fatalf("fallback = %+v, %v", act, err)
	}
	// A missing issue stays ErrNotFound.
	if _, err := c.ListIssueActivity(context.Background(), "acme", "NOPE-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing issue: %v", err)
	}
}

func TestEvents(t *testing.T) {
	f, c := newSeeded(t)
	ctx := context.Background()

	evs, page, err := c.ListIssueEvents(ctx, "acme", "API-41", IssueEventsQuery{Query: "environment:production", Full: true, Limit: 10})
	if err != nil || len(evs) != 2 || evs[0].EventID != "7ca573c0f4814912aaa9bdc77d1a7d51" || evs[1].ProjectID != "4509000000000200" || evs[0].Tag("environment") != "production" || page.HasNext() {
		t.Fatalf("ListIssueEvents = %+v, %v", evs, err)
	}
	if q := lastQuery(f, "/api/0/organizations/acme/issues/API-41/events/"); q != "full=true&per_page=10&query=environment%3Aproduction" {
		t.Errorf("ListIssueEvents query = %q", q)
	}

	ev, err := c.GetIssueEvent(ctx, "acme", "API-41", EventLatest)
	if err != nil || ev.Type != "error" || ev.TraceID() != "3032af8bcdfe4423b937fc5c041d5d82" || ev.ReleaseVersion() != "api@1.4.0+build.7" || ev.User.IPAddress != "203.0.113.9" || ev.SDK.Name != "sentry.go" || len(ev.Errors) != 1 {
		t.Fatalf("GetIssueEvent latest = %+v, %v", ev, err)
	}
	exc, err := ev.Exceptions()
	if err != nil || len(exc) != 1 || exc[0].Value != "connection reset by peer" || *exc[0].Mechanism.Handled || exc[0].RawStacktrace != nil {
		t.Fatalf("Exceptions = %+v, %v", exc, err)
	}
	frames := exc[0].Stacktrace.Frames
	if len(frames) != 2 || frames[1].Function != "db.Query" || frames[1].LineNo != 88 || !frames[1].InApp || frames[0].Context[1] != (ContextLine{12, "\tserve()"}) || frames[0].ColNo != 0 {
		t.Errorf("frames = %+v", frames)
	}
	crumbs, err := ev.Breadcrumbs()
	if err != nil || len(crumbs) != 2 || crumbs[0].Message != "GET /orders [200]" || crumbs[1].Timestamp.Unix() != 1744146895 || crumbs[1].Data != nil {
		t.Fatalf("Breadcrumbs = %+v, %v", crumbs, err)
	}
	req, err := ev.HTTPRequest()
	if err != nil || req.Method != "GET" || req.Headers[1] != [2]string{"Authorization", "[Filtered]"} {
		t.Fatalf("HTTPRequest = %+v, %v", req, err)
	}

	def, err := c.GetIssueEvent(ctx, "acme", "API-41", EventOldest)
	if err != nil || def.FormattedMessage() != "Something went wrong: code 7" || def.User != nil || def.TraceID() != "" || def.ReleaseVersion() != "" {
		t.Fatalf("default event = %+v, %v", def, err)
	}
	if exc, err := def.Exceptions(); err != nil || exc != nil {
		t.Errorf("default event exceptions = %v, %v", exc, err)
	}
	gen, err := c.GetIssueEvent(ctx, "acme", "API-41", EventRecommended)
	if err != nil || gen.Type != "generic" || gen.Occurrence.Type != 1018 || gen.Occurrence.EvidenceDisplay[0].Name != "Regression" {
		t.Fatalf("generic event = %+v, %v", gen, err)
	}

	tx, err := c.GetEvent(ctx, "acme", "api", "a1b2c3d4e5f60718293a4b5c6d7e8f90")
	if err != nil || tx.Type != "transaction" || tx.Occurrence.IssueTitle != "N+1 Query" {
		t.Fatalf("transaction event = %+v, %v", tx, err)
	}
	spans, err := tx.Spans()
	if err != nil || len(spans) != 2 || spans[1].ParentSpanID != "parent123" || spans[0].Timestamp.Sub(spans[0].StartTimestamp.Time) != 250*time.Millisecond {
		t.Fatalf("Spans = %+v, %v", spans, err)
	}
	if r, err := tx.HTTPRequest(); err != nil || string(r.Query) != `"a=b"` {
		t.Errorf("string query: %+v, %v", r, err)
	}
	csp, err := c.GetEvent(ctx, "acme", "api", "bf5b6c7fd49f4f8da94085a43393051d")
	if err != nil || csp.Type != "csp" || csp.FormattedMessage() != "Blocked 'image' from 'blob:'" || csp.User.Geo["city"] != "New York" {
		t.Fatalf("csp event = %+v, %v", csp, err)
	}
	if en, ok := csp.Entry("csp"); !ok || !strings.Contains(string(en.Data), "img-src") {
		t.Errorf("csp entry = %+v", en)
	}
}

func TestSearchEvents(t *testing.T) {
	f, c := newSeeded(t)
	ctx := context.Background()

	res, _, err := c.SearchEvents(ctx, "acme", EventsQuery{Dataset: "errors", Fields: []string{"issue", "title", "count()"}, Query: "level:error", Sort: "-count()", StatsPeriod: "24h", Projects: []string{"api"}, Limit: 10})
	if err != nil || len(res.Data) != 1 || res.Meta.Fields["count()"] != "integer" || res.Meta.Dataset != "errors" || res.Meta.Units["title"] != "" {
		t.Fatalf("SearchEvents = %+v, %v", res, err)
	}
	if id, ok := res.Data[0]["issue.id"].(json.Number); !ok || id.String() != "6114575469" {
		t.Errorf("issue.id = %#v", res.Data[0]["issue.id"])
	}
	if q := lastQuery(f, "/api/0/organizations/acme/events/"); q != "dataset=errors&field=issue&field=title&field=count%28%29&per_page=10&projectSlug=api&query=level%3Aerror&sort=-count%28%29&statsPeriod=24h" {
		t.Errorf("SearchEvents query = %q", q)
	}
	spans, _, err := c.SearchEvents(ctx, "acme", EventsQuery{Dataset: "spans", Fields: []string{"span.op"}, Start: "2025-04-13T00:00:00Z", End: "2025-04-14T00:00:00Z"})
	if err != nil || spans.Meta.Units["span.duration"] != "millisecond" || spans.Data[0]["is_transaction"] != true {
		t.Fatalf("spans = %+v, %v", spans, err)
	}
	for _, bad := range []EventsQuery{{}, {Fields: []string{"x"}, StatsPeriod: "1h", Start: "a", End: "b"}, {Fields: []string{"x"}, Start: "a"}, {Fields: []string{""}}, {Fields: []string{"x"}, Limit: 101}} {
		before := f.count()
		if _, _, err := c.SearchEvents(ctx, "acme", bad); !errors.Is(err, ErrInvalidArgument) || f.count() != before {
			t.Errorf("SearchEvents(%+v) = %v (requests %d -> %d)", bad, err, before, f.count())
		}
	}
}

func TestTraces(t *testing.T) {
	f, c := newSeeded(t)
	ctx := context.Background()

	m, err := c.GetTraceMeta(ctx, "acme", "b4d1aae7216b47ff8117cf4e09ce9d0b", TraceQuery{})
	if err != nil || m.SpanCount != 112 || m.Errors != 2 || m.SpanCountMap["cache.get"] != 41 || m.TransactionChildCountMap[1].TransactionEventID != "" || m.TransactionChildCountMap[1].Count != 15 {
		t.Fatalf("GetTraceMeta = %+v, %v", m, err)
	}
	if q := lastQuery(f, "/api/0/organizations/acme/trace-meta/b4d1aae7216b47ff8117cf4e09ce9d0b/"); q != "statsPeriod=14d" {
		t.Errorf("trace-meta query = %q", q)
	}
	nodes, err := c.GetTrace(ctx, "acme", "b4d1aae7216b47ff8117cf4e09ce9d0b", TraceQuery{Limit: 200, StatsPeriod: "7d"})
	if err != nil || len(nodes) != 2 {
		t.Fatalf("GetTrace = %+v, %v", nodes, err)
	}
	root, issue := nodes[0], nodes[1]
	if root.IsIssue() || root.Op != "http.server" || root.Duration != 5203 || root.Tags["server_name"] != "api-1" || root.ProjectID != "4509000000000200" || root.ParentSpanID != "" {
		t.Errorf("root = %+v", root)
	}
	child := root.Children[0]
	if child.Tags["http.status_code"] != "200" || child.Errors[0].IssueID != "6507376925" || child.Status != "" || child.StartTimestamp.Unix() != 1713805458 {
		t.Errorf("child = %+v", child)
	}
	if !issue.IsIssue() || issue.IssueID != "6507376926" || issue.Culprit != "app.js:42" {
		t.Errorf("standalone issue = %+v", issue)
	}
	if q := lastQuery(f, "/api/0/organizations/acme/trace/b4d1aae7216b47ff8117cf4e09ce9d0b/"); q != "limit=200&statsPeriod=7d" {
		t.Errorf("trace query = %q", q)
	}
}

func TestMonitors(t *testing.T) {
	_, c := newSeeded(t)
	ms, _, err := c.ListMonitors(context.Background(), "acme", MonitorQuery{Projects: []string{"api"}})
	if err != nil || len(ms) != 2 {
		t.Fatalf("ListMonitors = %+v, %v", ms, err)
	}
	if m := ms[0]; m.Slug != "nightly-import" || m.Config.ScheduleText() != "0 2 * * *" || m.Config.CheckinMargin != 5 || m.Environments[1].Status != "missed_checkin" || m.Owner.Type != "team" {
		t.Errorf("monitor = %+v", m)
	}
	if m := ms[1]; m.ID != "4509100000000002" || m.Config.ScheduleText() != "1 hour" || m.Config.MaxRuntime != 0 {
		t.Errorf("interval monitor = %+v", m)
	}
}

// lastQuery returns the raw query of the last request to path.
func lastQuery(f *fake, path string) string {
	reqs := f.requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			return reqs[i].RawQuery
		}
	}
	return "<no request to " + path + ">"
}
