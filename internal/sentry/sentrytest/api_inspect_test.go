package sentrytest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// inspectPaths are one GET of every inspect endpoint per organization, with
// the scope each needs.
func inspectPaths(f *Fake, org string) []struct{ path, scope string } {
	type p = struct{ path, scope string }
	web, issue, event, replay, snap, conv, dash, rule := "web", "WEB-1A", "", ReplayID, SnapshotID, ConversationID, "101", "4101"
	att, profileProject, profile, projID := "123", "checkout", ProfileID, "4506000000000102"
	if org == OrgGlobex {
		web, issue, replay, snap, conv, dash, rule = "mobile", "MOBILE-1A", GlobexReplayID, GlobexSnapshotID, GlobexConversationID, "301", "4201"
		att, profileProject, profile, projID = "223", "backend", "7d6c5b4a39284716a5b4c3d2e1f0a9b8", "4506000000000201"
	}
	f.mu.Lock()
	o := f.w.org(org)
	is := f.w.issueInOrg(o, issue)
	event = is.events[len(is.events)-1].ID
	monitor := o.monitors[0].Slug
	f.mu.Unlock()
	a := "/api/0/organizations/" + org
	return []p{
		{a + "/dashboards/", "org:read"},
		{a + "/dashboards/" + dash + "/", "org:read"},
		{a + "/workflows/?projectSlug=" + web, "org:read"},
		{a + "/alert-rules/", "org:read"},
		{a + "/alert-rules/" + rule + "/", "org:read"},
		{a + "/combined-rules/?name=rate&alertType=alert_rule", "org:read"},
		{a + "/monitors/" + monitor + "/", "project:read"},
		{a + "/monitors/" + monitor + "/checkins/", "project:read"},
		{a + "/monitors/" + monitor + "/stats/", "project:read"},
		{a + "/issues/" + issue + "/user-reports/", "event:read"},
		{a + "/replays/" + replay + "/", "event:read"},
		{"/api/0/projects/" + org + "/" + web + "/events/" + event + "/attachments/", "event:read"},
		{"/api/0/projects/" + org + "/" + web + "/events/" + event + "/attachments/" + att + "/?download=1", "event:read"},
		{a + "/profiling/flamegraph/?project=" + projID + "&query=transaction:%22x%22", "event:read"},
		{"/api/0/projects/" + org + "/" + profileProject + "/profiling/profiles/" + profile + "/", "event:read"},
		{a + "/preprodartifacts/snapshots/" + snap + "/?compact_metadata=true", "project:read"},
		{a + "/agents/conversations/", "event:read"},
		{a + "/agents/conversations/" + conv + "/", "event:read"},
	}
}

func TestInspectEndpointsAccessAndScopes(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	de := f.RegionURL(RegionDE)
	alice := f.IssueToken(AliceID, ReadScopes, 0)
	bob := f.IssueToken(BobID, ReadScopes, 0)
	for _, org := range []string{OrgAcme, OrgGlobex} {
		base := f.URL
		if org == OrgGlobex {
			base = de
		}
		for _, p := range inspectPaths(f, org) {
			if r := get(t, base+p.path, alice); r.status != http.StatusOK {
				t.Errorf("alice GET %s: %d %s", p.path, r.status, r.body)
			}
			bobWant := http.StatusOK
			if org == OrgGlobex {
				bobWant = http.StatusForbidden
			}
			if r := get(t, base+p.path, bob); r.status != bobWant {
				t.Errorf("bob GET %s: %d, want %d", p.path, r.status, bobWant)
			}
			var others []string
			for _, s := range ReadScopes {
				if s != p.scope {
					others = append(others, s)
				}
			}
			r := get(t, base+p.path, f.IssueToken(AliceID, others, 0))
			if r.status != http.StatusForbidden || r.detail(t) != DetailMissingScope+p.scope {
				t.Errorf("GET %s without %s: %d %s", p.path, p.scope, r.status, r.body)
			}
		}
	}
	// Data lives in its organization's region only.
	if r := get(t, f.URL+"/api/0/organizations/globex/dashboards/", alice); r.status != http.StatusNotFound {
		t.Errorf("globex dashboards on the us server: %d", r.status)
	}
}

func TestInspectDashboardsAndAlerts(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	titles := func(path string) string {
		var ds []struct{ Title, Name string }
		get(t, f.URL+path, tok).json(t, &ds)
		var out []string
		for _, d := range ds {
			out = append(out, d.Title+d.Name)
		}
		return strings.Join(out, ",")
	}
	for path, want := range map[string]string{
		"/api/0/organizations/acme/dashboards/":                                       "API Latency,Checkout Health,Company KPIs,Errors Overview",
		"/api/0/organizations/acme/dashboards/?sort=-title&per_page=2":                "Errors Overview,Company KPIs",
		"/api/0/organizations/acme/dashboards/?sort=-dateCreated":                     "API Latency,Company KPIs,Checkout Health,Errors Overview",
		"/api/0/organizations/acme/dashboards/?query=CHECK":                           "Checkout Health",
		"/api/0/organizations/acme/workflows/?projectSlug=web":                        "Draft web rule,New web issues",
		"/api/0/organizations/acme/workflows/?query=name:%22*payments*%22":            "Checkout errors to #payments",
		"/api/0/organizations/acme/workflows/?id=3104":                                "API errors",
		"/api/0/organizations/acme/alert-rules/?project=4506000000000103":             "API errors",
		"/api/0/organizations/acme/combined-rules/?name=LATENCY&alertType=alert_rule": "Checkout p95 latency",
	} {
		if got := titles(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/dashboards/999/", tok); r.status != http.StatusNotFound {
		t.Errorf("unknown dashboard: %d", r.status)
	}
}

func TestInspectMonitorCheckInsAndStats(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	var cis []struct{ Environment, Status string }
	get(t, f.URL+"/api/0/organizations/acme/monitors/nightly-import/checkins/?statsPeriod=3d&environment=staging", tok).json(t, &cis)
	if len(cis) < 2 || cis[0].Status != "missed" || cis[1].Status != "ok" || cis[0].Environment != "staging" {
		t.Errorf("staging check-ins: %+v", cis)
	}
	// The project-scoped path knows the monitor only in its project.
	if r := get(t, f.URL+"/api/0/projects/acme/web/monitors/nightly-import/", tok); r.status != http.StatusNotFound {
		t.Errorf("monitor under another project: %d", r.status)
	}
	if r := get(t, f.URL+"/api/0/projects/acme/checkout/monitors/nightly-import/?environment=production", tok); r.status != http.StatusOK ||
		strings.Contains(string(r.body), "staging") {
		t.Errorf("monitor in its project, production only: %d %s", r.status, r.body)
	}
	now := DefaultNow
	q := url.Values{"since": {strconv.FormatInt(now.Add(-2*time.Hour).Unix(), 10)}, "until": {strconv.FormatInt(now.Unix(), 10)}, "resolution": {"3600s"}}
	var stats []struct{ TS, OK, Error int64 }
	get(t, f.URL+"/api/0/organizations/acme/monitors/cache-warmup/stats/?"+q.Encode(), tok).json(t, &stats)
	var ok, errs int64
	for _, s := range stats {
		ok, errs = ok+s.OK, errs+s.Error
	}
	if len(stats) != 2 || errs != 1 || ok < 6 {
		t.Errorf("cache-warmup stats over 2h: %+v", stats)
	}
}

func TestInspectDownloadsAndLookups(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	dashed := "7e07485f-12f9-416b-8b14-26260799b51f"
	if r := get(t, f.URL+"/api/0/organizations/acme/replays/"+dashed+"/", tok); r.status != http.StatusOK {
		t.Errorf("replay by UUID: %d", r.status)
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/replays/not-a-replay/", tok); r.status != http.StatusBadRequest {
		t.Errorf("malformed replay id: %d", r.status)
	}
	r := get(t, f.URL+"/api/0/projects/acme/4506000000000101/replays/"+ReplayID+"/recording-segments/?download=true", tok)
	var segs [][]map[string]any
	r.json(t, &segs)
	if len(segs) != 2 {
		t.Errorf("segments: %d", len(segs))
	}
	if r := get(t, f.URL+"/api/0/projects/acme/web/replays/"+ArchivedReplayID+"/recording-segments/", tok); r.status != http.StatusNotFound {
		t.Errorf("archived replay's recording: %d", r.status)
	}
	var snap struct{ ID string }
	get(t, f.URL+"/api/0/organizations/acme/preprodartifacts/snapshots/latest-base/?app_id="+AppID+"&projectSlug=web", tok).json(t, &snap)
	if snap.ID != BaseSnapshotID {
		t.Errorf("latest base: %q", snap.ID)
	}
	img := url.PathEscape("snapshots-iphone-16/auth_login_screen.png")
	var detail struct {
		HeadImage struct {
			ImageURL string `json:"image_url"`
		} `json:"head_image"`
	}
	get(t, f.URL+"/api/0/organizations/acme/preprodartifacts/snapshots/"+SnapshotID+"/images/"+img+"/", tok).json(t, &detail)
	r = get(t, f.URL+detail.HeadImage.ImageURL, tok)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" || len(r.body) < 100 {
		t.Errorf("head image: %d %s %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	start, end := ProfileChunkWindow(DefaultNow)
	q := url.Values{"profiler_id": {ProfilerID}, "project": {"4506000000000103"},
		"start": {start.Add(-time.Minute).Format(time.RFC3339)}, "end": {end.Format(time.RFC3339)}}
	if r := get(t, f.URL+"/api/0/organizations/acme/profiling/chunks/?"+q.Encode(), tok); r.status != http.StatusOK {
		t.Errorf("profile chunk: %d %s", r.status, r.body)
	}
	q.Set("start", DefaultNow.Add(-time.Minute).Format(time.RFC3339))
	q.Set("end", DefaultNow.Format(time.RFC3339))
	if r := get(t, f.URL+"/api/0/organizations/acme/profiling/chunks/?"+q.Encode(), tok); r.status != http.StatusNotFound {
		t.Errorf("no chunk in that window: %d", r.status)
	}
	var conv struct{ Spans []map[string]any }
	get(t, f.URL+"/api/0/organizations/acme/agents/conversations/"+ConversationID+"/?per_page=2&project=-1", tok).json(t, &conv)
	if len(conv.Spans) != 2 {
		t.Errorf("first page of spans: %d", len(conv.Spans))
	}
	get(t, f.URL+"/api/0/organizations/acme/agents/conversations/"+ConversationID+"/?statsPeriod=1m", tok).json(t, &conv)
	if len(conv.Spans) != 0 {
		t.Errorf("a window without the conversation has spans: %d", len(conv.Spans))
	}
}
