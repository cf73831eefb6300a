package sentrytest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type issueJSONT struct {
	ID, ShortID, Title, Status, Level, Count, FirstSeen, LastSeen, Permalink string
	UserCount                                                                int
	Project                                                                  struct{ ID, Slug string }
	AssignedTo                                                               *struct{ Type, ID, Email string }
	NumComments                                                              int
}

func TestAuthErrors(t *testing.T) {
	f := newTestFake(t)
	if r := get(t, f.URL+"/api/0/organizations/", ""); r.status != http.StatusUnauthorized || r.detail(t) != DetailNoCredentials {
		t.Errorf("no token: %d %s", r.status, r.body)
	}
	if r := get(t, f.URL+"/api/0/organizations/", "sntryu_"+strings.Repeat("0", 64)); r.status != http.StatusUnauthorized || r.detail(t) != DetailInvalidToken {
		t.Errorf("unknown token: %d %s", r.status, r.body)
	}
	if r := get(t, f.URL+"/api/0/no/such/endpoint/", ""); r.status != http.StatusNotFound || r.detail(t) != DetailNotFound {
		t.Errorf("unknown endpoint: %d %s", r.status, r.body)
	}
	tok := f.IssueToken(AliceID, WriteScopes, 0)
	if r := do(t, http.MethodDelete, f.URL+"/api/0/organizations/acme/", tok, nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE org: %d %s, want 405", r.status, r.body)
	}
	// Like Django's APPEND_SLASH, a missing trailing slash is a redirect.
	if r := get(t, f.URL+"/api/0/organizations/acme", tok); r.status/100 != 3 || r.header.Get("Location") != "/api/0/organizations/acme/" {
		t.Errorf("missing trailing slash: %d %q, want a redirect", r.status, r.header.Get("Location"))
	}
}

func TestRevokedToken(t *testing.T) {
	f := newTestFake(t)
	tr := login(t, f, "org:read")
	personal := f.IssueToken(AliceID, []string{"org:read"}, 0)
	bobs := f.IssueToken(BobID, []string{"org:read"}, 0)
	f.RevokeUserTokens(AliceID)
	for _, tok := range []string{tr.AccessToken, personal} {
		if r := get(t, f.URL+"/api/0/organizations/", tok); r.status != http.StatusUnauthorized || r.detail(t) != DetailInvalidToken {
			t.Errorf("revoked token: %d %s", r.status, r.body)
		}
	}
	if r, e := refresh(t, f, tr.RefreshToken); r.status != http.StatusBadRequest || e.Error != "invalid_grant" {
		t.Errorf("revoked refresh: %d %s", r.status, r.body)
	}
	if r := get(t, f.URL+"/api/0/organizations/", bobs); r.status != http.StatusOK {
		t.Errorf("bob's token after revoking alice's: %d", r.status)
	}
}

func TestPerUserAccess(t *testing.T) {
	f := newTestFake(t)
	de := f.RegionURL(RegionDE)
	alice := f.IssueToken(AliceID, ReadScopes, 0)
	bob := f.IssueToken(BobID, ReadScopes, 0)
	carol := f.IssueToken(CarolID, ReadScopes, 0)

	if r := get(t, de+"/api/0/organizations/globex/", alice); r.status != http.StatusOK {
		t.Errorf("alice on globex: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/api/0/organizations/globex/", "/api/0/organizations/globex/issues/",
		"/api/0/projects/globex/mobile/", "/api/0/organizations/globex/issues/MOBILE-1A/"} {
		r := get(t, de+path, bob)
		if r.status != http.StatusForbidden || r.detail(t) != DetailNoPermission {
			t.Errorf("bob GET %s: %d %s, want 403 %q", path, r.status, r.body, DetailNoPermission)
		}
	}
	slugs := func(tok string) []string {
		var orgs []struct {
			Slug  string
			Links struct{ OrganizationURL, RegionURL string }
		}
		get(t, f.URL+"/api/0/organizations/", tok).json(t, &orgs)
		var out []string
		for _, o := range orgs {
			out = append(out, o.Slug+"@"+o.Links.RegionURL)
		}
		return out
	}
	if got, want := strings.Join(slugs(alice), ","), "acme@"+f.URL+",globex@"+de; got != want {
		t.Errorf("alice's orgs %s, want %s", got, want)
	}
	if got, want := strings.Join(slugs(bob), ","), "acme@"+f.URL; got != want {
		t.Errorf("bob's orgs %s, want %s", got, want)
	}
	if got := slugs(carol); len(got) != 0 {
		t.Errorf("carol's orgs %v, want none", got)
	}
	var regions struct{ Regions []struct{ Name, URL string } }
	get(t, f.URL+"/api/0/users/me/regions/", bob).json(t, &regions)
	if len(regions.Regions) != 1 || regions.Regions[0].Name != "us" || regions.Regions[0].URL != f.URL {
		t.Errorf("bob's regions %+v", regions)
	}
}

func TestWrongRegion(t *testing.T) {
	f := newTestFake(t)
	de := f.RegionURL(RegionDE)
	alice := f.IssueToken(AliceID, ReadScopes, 0)
	var mobile issueJSONT
	get(t, de+"/api/0/organizations/globex/issues/MOBILE-1A/", alice).json(t, &mobile)
	for _, u := range []string{
		f.URL + "/api/0/organizations/globex/issues/",
		f.URL + "/api/0/projects/globex/mobile/",
		f.URL + "/api/0/issues/" + mobile.ID + "/events/",
		de + "/api/0/organizations/acme/",
		de + "/api/0/projects/acme/web/keys/",
	} {
		if r := get(t, u, alice); r.status != http.StatusNotFound || r.detail(t) != DetailNotFound {
			t.Errorf("GET %s: %d %s, want 404", u, r.status, r.body)
		}
	}
	if r := get(t, de+"/api/0/issues/"+mobile.ID+"/events/", alice); r.status != http.StatusOK {
		t.Errorf("issue events on its own region: %d %s", r.status, r.body)
	}
	var orgs []struct{ Slug string }
	get(t, de+"/api/0/organizations/", alice).json(t, &orgs)
	if len(orgs) != 1 || orgs[0].Slug != OrgGlobex {
		t.Errorf("de server lists %v, want only globex", orgs)
	}
}

func TestScopeEnforcement(t *testing.T) {
	f := newTestFake(t)
	orgOnly := f.IssueToken(AliceID, []string{"org:read"}, 0)
	read := f.IssueToken(AliceID, ReadScopes, 0)
	admin := f.IssueToken(AliceID, []string{"event:admin"}, 0)
	cases := []struct {
		method, path, token string
		status              int
		scope               string
	}{
		{"GET", "/api/0/organizations/acme/", orgOnly, 200, ""},
		{"GET", "/api/0/organizations/acme/issues/", orgOnly, 403, "event:read"},
		{"GET", "/api/0/organizations/acme/teams/", orgOnly, 403, "team:read"},
		{"GET", "/api/0/organizations/acme/projects/", orgOnly, 403, "project:read"},
		{"GET", "/api/0/organizations/acme/releases/", orgOnly, 403, "project:read"},
		{"GET", "/api/0/projects/acme/web/", orgOnly, 403, "project:read"},
		{"GET", "/api/0/organizations/acme/events/?field=title", orgOnly, 403, "event:read"},
		{"PUT", "/api/0/organizations/acme/issues/WEB-1A/", read, 403, "event:write"},
		{"POST", "/api/0/organizations/acme/issues/WEB-1A/notes/", read, 403, "event:write"},
		{"GET", "/api/0/organizations/", admin, 403, "org:read"},
		{"GET", "/api/0/auth/", admin, 200, ""},
		{"GET", "/api/0/organizations/acme/issues/WEB-1A/", admin, 200, ""}, // event:admin implies event:read
	}
	for _, tc := range cases {
		var body *strings.Reader
		if tc.method != "GET" {
			body = strings.NewReader(`{"text":"hi","status":"resolved"}`)
		}
		var r resp
		if body != nil {
			r = do(t, tc.method, f.URL+tc.path, tc.token, body)
		} else {
			r = get(t, f.URL+tc.path, tc.token)
		}
		if r.status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.status)
			continue
		}
		if tc.scope != "" {
			if d := r.detail(t); d != DetailMissingScope+tc.scope || !strings.Contains(d, "scope") {
				t.Errorf("%s %s: detail %q", tc.method, tc.path, d)
			}
		}
	}
	bob := f.IssueToken(BobID, []string{"org:read"}, 0)
	r := get(t, f.RegionURL(RegionDE)+"/api/0/organizations/globex/issues/", bob)
	if r.status != http.StatusForbidden || r.detail(t) != DetailNoPermission {
		t.Errorf("no access and no scope: %d %s, want the access 403", r.status, r.body)
	}
}

func TestPaginationLinkHeader(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	next := f.URL + "/api/0/organizations/acme/issues/?" + url.Values{"query": {""}, "statsPeriod": {""}, "limit": {"10"}}.Encode()
	seen := map[string]bool{}
	pages := 0
	for {
		r := get(t, next, tok)
		if r.status != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		var page []issueJSONT
		r.json(t, &page)
		for _, is := range page {
			if seen[is.ID] {
				t.Fatalf("issue %s on two pages", is.ShortID)
			}
			seen[is.ID] = true
		}
		links := parseLink(t, r.header.Get("Link"))
		prev, nxt := links["previous"], links["next"]
		if pages == 0 && (prev.results != "false" || prev.cursor != "0:0:1" || nxt.cursor != "0:10:0") {
			t.Errorf("first page links %+v", links)
		}
		if pages > 0 && prev.results != "true" {
			t.Errorf("page %d previous %+v, want results=true", pages, prev)
		}
		if !strings.HasPrefix(nxt.url, f.URL+"/api/0/organizations/acme/issues/?") || !strings.Contains(nxt.url, "cursor="+url.QueryEscape(nxt.cursor)) {
			t.Errorf("next url %s", nxt.url)
		}
		pages++
		if r.header.Get("X-Hits") != "32" {
			t.Errorf("X-Hits %q, want 32 acme issues", r.header.Get("X-Hits"))
		}
		if nxt.results == "false" {
			if len(page) == 0 || len(page) > 10 {
				t.Errorf("last page has %d issues", len(page))
			}
			break
		}
		next = nxt.url
	}
	if pages != 4 || len(seen) != 32 {
		t.Errorf("walked %d pages and %d issues, want 4 and 32", pages, len(seen))
	}
	// Going back from page 2 lands on page 1.
	r := get(t, f.URL+"/api/0/organizations/acme/issues/?query=&statsPeriod=&limit=10&cursor=0:10:0", tok)
	prev := parseLink(t, r.header.Get("Link"))["previous"]
	if prev.cursor != "0:0:1" || prev.results != "true" {
		t.Errorf("page 2 previous %+v", prev)
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/issues/?cursor=bogus", tok); r.status != http.StatusBadRequest || r.detail(t) != DetailInvalidCursor {
		t.Errorf("bad cursor: %d %s", r.status, r.body)
	}
}

func searchIssues(t *testing.T, f *Fake, tok string, params url.Values) []issueJSONT {
	t.Helper()
	params.Set("limit", "100")
	r := get(t, f.URL+"/api/0/organizations/acme/issues/?"+params.Encode(), tok)
	if r.status != http.StatusOK {
		t.Fatalf("search %v: %d %s", params, r.status, r.body)
	}
	var out []issueJSONT
	r.json(t, &out)
	return out
}

func shortIDs(list []issueJSONT) string {
	var ids []string
	for _, is := range list {
		ids = append(ids, is.ShortID)
	}
	return strings.Join(ids, ",")
}

func TestIssueSearch(t *testing.T) {
	f := newTestFake(t)
	alice := f.IssueToken(AliceID, ReadScopes, 0)
	all := searchIssues(t, f, alice, url.Values{"query": {""}, "statsPeriod": {""}})
	if len(all) != 32 {
		t.Fatalf("acme has %d issues, want 32", len(all))
	}
	for _, is := range all {
		if is.Permalink != f.URL+"/organizations/acme/issues/"+is.ID+"/" {
			t.Errorf("permalink %s", is.Permalink)
		}
	}
	for _, is := range searchIssues(t, f, alice, url.Values{}) {
		if is.Status != "unresolved" {
			t.Errorf("default search returned %s (%s)", is.ShortID, is.Status)
		}
	}
	for _, q := range []string{"is:resolved", "is:ignored", "level:fatal", "!level:error", "level:[warning,info]"} {
		got := searchIssues(t, f, alice, url.Values{"query": {q}, "statsPeriod": {""}})
		for _, is := range got {
			switch q {
			case "is:resolved", "is:ignored":
				if is.Status != q[3:] {
					t.Errorf("%s returned %s %s", q, is.ShortID, is.Status)
				}
			case "level:fatal":
				if is.Level != "fatal" {
					t.Errorf("%s returned %s", q, is.Level)
				}
			case "!level:error":
				if is.Level == "error" {
					t.Errorf("%s returned an error issue", q)
				}
			default:
				if is.Level != "warning" && is.Level != "info" {
					t.Errorf("%s returned %s", q, is.Level)
				}
			}
		}
		if len(got) == 0 {
			t.Errorf("%s matched nothing", q)
		}
	}
	mine := searchIssues(t, f, alice, url.Values{"query": {"assigned:me"}})
	if !strings.Contains(shortIDs(mine), "CHECKOUT-1A") {
		t.Errorf("assigned:me = %s, want CHECKOUT-1A", shortIDs(mine))
	}
	for _, is := range mine {
		if is.AssignedTo == nil || is.AssignedTo.ID != AliceID {
			t.Errorf("assigned:me returned %s assigned to %+v", is.ShortID, is.AssignedTo)
		}
	}
	if got := shortIDs(searchIssues(t, f, alice, url.Values{"query": {"PaymentGateway"}})); got != "CHECKOUT-1A" {
		t.Errorf("free text = %s", got)
	}
	if got := shortIDs(searchIssues(t, f, alice, url.Values{"query": {`release:web@1.2.3+build.4 "reading 'items'"`}})); got != "WEB-1A" {
		t.Errorf("release + quoted text = %s", got)
	}
	web := searchIssues(t, f, alice, url.Values{"query": {""}, "statsPeriod": {""}, "project": {"4506000000000101"}})
	if len(web) != 12 {
		t.Errorf("project=web: %d issues, want 12", len(web))
	}
	freq := searchIssues(t, f, alice, url.Values{"query": {""}, "statsPeriod": {""}, "sort": {"freq"}})
	for i := 1; i < len(freq); i++ {
		if atoi(freq[i-1].Count) < atoi(freq[i].Count) {
			t.Fatalf("sort=freq out of order at %d", i)
		}
	}
	recent := searchIssues(t, f, alice, url.Values{"query": {""}, "statsPeriod": {"1h"}})
	if !strings.Contains(shortIDs(recent), "WEB-1A") || len(recent) >= len(all) {
		t.Errorf("statsPeriod=1h: %s", shortIDs(recent))
	}
	if got := shortIDs(searchIssues(t, f, alice, url.Values{"query": {"CartSummary(components/CartSummary)"}})); got != "WEB-1A" {
		t.Errorf("culprit text = %s", got)
	}
	if got := shortIDs(searchIssues(t, f, alice, url.Values{"query": {"lastSeen:>-15m"}})); got != "CHECKOUT-1A,WEB-1A,CHECKOUT-1H" {
		t.Errorf("lastSeen:>-15m = %s", got)
	}
	for q, want := range map[string]int{"is:unresolved OR is:resolved": 400, "(is:resolved": 400, "is:bogus": 400, "lastSeen:-2h": 200} {
		if r := get(t, f.URL+"/api/0/organizations/acme/issues/?query="+url.QueryEscape(q), alice); r.status != want {
			t.Errorf("query %q: %d %s, want %d", q, r.status, r.body, want)
		}
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/issues/?project=4506000000000201", alice); r.status != http.StatusForbidden {
		t.Errorf("another org's project: %d, want 403", r.status)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestIssueDetailsEventsAndTags(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	var byShort, byID issueJSONT
	get(t, f.URL+"/api/0/organizations/acme/issues/web-1a/", tok).json(t, &byShort)
	get(t, f.URL+"/api/0/organizations/acme/issues/"+byShort.ID+"/", tok).json(t, &byID)
	if byShort.ShortID != "WEB-1A" || byID.ShortID != "WEB-1A" || byShort.Count != "1834" || byShort.UserCount != 412 {
		t.Fatalf("WEB-1A = %+v", byShort)
	}
	var ev struct {
		EventID, GroupID string
		Contexts         struct {
			Trace struct {
				TraceID string `json:"trace_id"`
			}
		}
		Entries []struct {
			Type string
			Data map[string]any
		}
		Tags []struct{ Key, Value string }
	}
	for _, path := range []string{"/api/0/organizations/acme/issues/WEB-1A/events/latest/", "/api/0/issues/" + byID.ID + "/events/recommended/"} {
		get(t, f.URL+path, tok).json(t, &ev)
		if ev.GroupID != byID.ID || ev.Contexts.Trace.TraceID != TraceID {
			t.Errorf("%s: group %s trace %s", path, ev.GroupID, ev.Contexts.Trace.TraceID)
		}
	}
	types := map[string]bool{}
	for _, e := range ev.Entries {
		types[e.Type] = true
	}
	if !types["exception"] || !types["breadcrumbs"] || !types["request"] {
		t.Errorf("entries %v", types)
	}
	if r := get(t, f.URL+"/api/0/projects/acme/web/events/"+ev.EventID+"/", tok); r.status != http.StatusOK {
		t.Errorf("project event: %d", r.status)
	}
	if r := get(t, f.URL+"/api/0/projects/acme/checkout/events/"+ev.EventID+"/", tok); r.status != http.StatusNotFound {
		t.Errorf("event under another project: %d, want 404", r.status)
	}
	var list []struct{ EventID string }
	r := get(t, f.URL+"/api/0/organizations/acme/issues/WEB-1A/events/", tok)
	r.json(t, &list)
	if len(list) != 5 || list[0].EventID != ev.EventID {
		t.Errorf("events list: %d events, first %v", len(list), list)
	}
	var tag struct {
		Key         string
		TotalValues int
		TopValues   []struct {
			Value string
			Count int
		}
	}
	get(t, f.URL+"/api/0/organizations/acme/issues/WEB-1A/tags/release/", tok).json(t, &tag)
	if tag.Key != "release" || tag.TotalValues != 1834 || len(tag.TopValues) != 1 || tag.TopValues[0].Value != "web@1.2.3+build.4" {
		t.Errorf("release tag %+v", tag)
	}
	var values []struct{ Value string }
	get(t, f.URL+"/api/0/organizations/acme/issues/WEB-1A/tags/browser/values/", tok).json(t, &values)
	if len(values) == 0 {
		t.Error("no browser tag values")
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/issues/WEB-1A/tags/nope/", tok); r.status != http.StatusNotFound {
		t.Errorf("unknown tag: %d", r.status)
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/issues/NOPE-1/", tok); r.status != http.StatusNotFound || r.detail(t) != DetailNotFound {
		t.Errorf("unknown issue: %d %s", r.status, r.body)
	}
}

func TestIssueUpdateAndNotes(t *testing.T) {
	f := newTestFake(t)
	alice := f.IssueToken(AliceID, WriteScopes, 0)
	base := f.URL + "/api/0/organizations/acme/issues/WEB-1A/"
	r := do(t, http.MethodPut, base, alice, strings.NewReader(`{"status":"resolved","assignedTo":"bob@example.com"}`))
	var is issueJSONT
	r.json(t, &is)
	if r.status != http.StatusOK || is.Status != "resolved" || is.AssignedTo == nil || is.AssignedTo.ID != BobID {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r = do(t, http.MethodPost, base+"notes/", alice, strings.NewReader(`{"text":"Rolled back web@1.2.3+build.4"}`))
	var note struct {
		Type string
		User struct{ ID string }
		Data struct{ Text string }
	}
	r.json(t, &note)
	if r.status != http.StatusCreated || note.Type != "note" || note.User.ID != AliceID || note.Data.Text != "Rolled back web@1.2.3+build.4" {
		t.Fatalf("note: %d %s", r.status, r.body)
	}
	if r := do(t, http.MethodPost, base+"notes/", alice, strings.NewReader(`{"text":"Rolled back web@1.2.3+build.4"}`)); r.status != http.StatusBadRequest {
		t.Errorf("duplicate note: %d, want 400", r.status)
	}
	if r := do(t, http.MethodPost, base+"notes/", alice, strings.NewReader(`{"text":""}`)); r.status != http.StatusBadRequest {
		t.Errorf("blank note: %d, want 400", r.status)
	}
	var acts struct {
		Activity []struct {
			Type string
			User *struct{ ID string }
		}
	}
	get(t, base+"activities/", alice).json(t, &acts)
	var types []string
	for _, a := range acts.Activity[:3] {
		types = append(types, a.Type)
		if a.User == nil || a.User.ID != AliceID {
			t.Errorf("activity %s by %+v, want alice", a.Type, a.User)
		}
	}
	if got := strings.Join(types, ","); got != "note,assigned,set_resolved" {
		t.Errorf("newest activities %s", got)
	}
	get(t, base, alice).json(t, &is)
	if is.NumComments != 2 || is.Status != "resolved" {
		t.Errorf("after note: %+v", is)
	}
	for body, field := range map[string]string{`{"status":"bogus"}`: "status", `{"assignedTo":"nobody@example.com"}`: "assignedTo", `{"assignedTo":"team:999"}`: "assignedTo"} {
		if r := do(t, http.MethodPut, base, alice, strings.NewReader(body)); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), field) {
			t.Errorf("PUT %s: %d %s", body, r.status, r.body)
		}
	}
	de := f.RegionURL(RegionDE) + "/api/0/organizations/globex/issues/BACKEND-1A/"
	if r := do(t, http.MethodPut, de, alice, strings.NewReader(`{"assignedTo":"user:2"}`)); r.status != http.StatusBadRequest {
		t.Errorf("assign bob in globex: %d %s, want 400", r.status, r.body)
	}
	if r := do(t, http.MethodPut, base, alice, strings.NewReader(`{"status":"unresolved","assignedTo":null}`)); r.status != http.StatusOK {
		t.Fatalf("reopen: %d", r.status)
	}
	get(t, base, alice).json(t, &is)
	if is.Status != "unresolved" || is.AssignedTo != nil {
		t.Errorf("after reopen: %+v", is)
	}
}

func TestReleases(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	for _, v := range []string{"web@1.2.3+build.4", "checkout@2.0.0", "api@release/3.4"} {
		r := get(t, f.URL+"/api/0/organizations/acme/releases/"+url.PathEscape(v)+"/", tok)
		var rel struct{ Version string }
		r.json(t, &rel)
		if r.status != http.StatusOK || rel.Version != v {
			t.Errorf("release %s: %d %s", v, r.status, r.body)
		}
	}
	var list []struct{ Version string }
	get(t, f.URL+"/api/0/organizations/acme/releases/?query=WEB", tok).json(t, &list)
	if len(list) != 2 || list[0].Version != "web@1.2.3+build.4" {
		t.Errorf("query=WEB: %v", list)
	}
	get(t, f.URL+"/api/0/organizations/acme/releases/?project=4506000000000102", tok).json(t, &list)
	if len(list) != 2 || !strings.HasPrefix(list[0].Version, "checkout@") {
		t.Errorf("project=checkout: %v", list)
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/releases/web@9.9.9/", tok); r.status != http.StatusNotFound {
		t.Errorf("unknown release: %d", r.status)
	}
}

func TestTraceAndDiscover(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	var meta struct {
		Errors    int
		Logs      int
		SpanCount float64 `json:"span_count"`
	}
	get(t, f.URL+"/api/0/organizations/acme/trace-meta/"+TraceID+"/", tok).json(t, &meta)
	if meta.Errors != 3 || meta.SpanCount != 9 || meta.Logs != 5 {
		t.Errorf("trace meta %+v", meta)
	}
	type node struct {
		ProjectSlug string `json:"project_slug"`
		SpanID      string `json:"span_id"`
		IssueID     any    `json:"issue_id"`
		Children    []node
		Errors      []struct {
			IssueShortID string `json:"issue_short_id"`
		}
	}
	var roots []node
	get(t, f.URL+"/api/0/organizations/acme/trace/"+TraceID+"/", tok).json(t, &roots)
	projects, errs := map[string]bool{}, map[string]bool{}
	var walk func(n node)
	walk = func(n node) {
		projects[n.ProjectSlug] = true
		for _, e := range n.Errors {
			errs[e.IssueShortID] = true
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	standalone := 0
	for _, n := range roots {
		if n.SpanID == "" && n.IssueID != nil {
			standalone++
		}
		walk(n)
	}
	if !projects["web"] || !projects["checkout"] || !errs["WEB-1A"] || !errs["CHECKOUT-1A"] || standalone != 1 {
		t.Errorf("trace: projects %v errors %v standalone %d", projects, errs, standalone)
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/trace/not-a-trace/", tok); r.status != http.StatusBadRequest {
		t.Errorf("bad trace id: %d", r.status)
	}
	if r := get(t, f.URL+"/api/0/organizations/acme/trace/"+strings.Repeat("0", 32)+"/", tok); r.status != http.StatusOK || string(r.body) != "[]\n" {
		t.Errorf("unknown trace: %d %s", r.status, r.body)
	}

	var ev struct {
		Data []map[string]any
		Meta struct{ Fields, Units map[string]any }
	}
	q := url.Values{"dataset": {"errors"}, "field": {"issue", "count()", "last_seen()"}, "query": {"trace:" + TraceID}, "sort": {"-count()"}}
	get(t, f.URL+"/api/0/organizations/acme/events/?"+q.Encode(), tok).json(t, &ev)
	if len(ev.Data) != 3 || ev.Meta.Fields["count()"] != "integer" || ev.Meta.Fields["last_seen()"] != "date" {
		t.Errorf("errors in trace: %+v", ev)
	}
	q.Set("sort", "-count") // Sentry's alias for count()
	if r := get(t, f.URL+"/api/0/organizations/acme/events/?"+q.Encode(), tok); r.status != http.StatusOK {
		t.Errorf("sort=-count: %d %s", r.status, r.body)
	}
	q = url.Values{"dataset": {"spans"}, "field": {"span.op", "span.duration", "project"}, "query": {"trace:" + TraceID + " span.duration:>1s"}}
	get(t, f.URL+"/api/0/organizations/acme/events/?"+q.Encode(), tok).json(t, &ev)
	if len(ev.Data) != 4 || ev.Meta.Units["span.duration"] != "millisecond" {
		t.Errorf("slow spans in trace: %+v", ev)
	}
	for _, bad := range []url.Values{
		{"dataset": {"nope"}, "field": {"title"}},
		{"dataset": {"errors"}},
		{"dataset": {"errors"}, "field": {"bogus_fn(x)"}},
		{"dataset": {"errors"}, "field": {"title"}, "sort": {"-timestamp"}},
	} {
		if r := get(t, f.URL+"/api/0/organizations/acme/events/?"+bad.Encode(), tok); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d %s, want 400", bad, r.status, r.body)
		}
	}
}

func TestOrgEndpoints(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	bob := f.IssueToken(BobID, ReadScopes, 0)
	de := f.RegionURL(RegionDE)
	var teams []struct {
		Slug     string
		IsMember bool
	}
	get(t, f.URL+"/api/0/organizations/acme/teams/", bob).json(t, &teams)
	if len(teams) != 3 || teams[1].Slug != "payments" || teams[1].IsMember {
		t.Errorf("bob's view of acme teams %+v", teams)
	}
	var projects []struct{ Slug, Platform string }
	get(t, de+"/api/0/organizations/globex/projects/", tok).json(t, &projects)
	if len(projects) != 2 || projects[0].Slug != "mobile" {
		t.Errorf("globex projects %+v", projects)
	}
	var keys []struct {
		Dsn struct{ Public string }
	}
	get(t, de+"/api/0/projects/globex/backend/keys/", tok).json(t, &keys)
	if len(keys) != 1 || !strings.HasPrefix(keys[0].Dsn.Public, "http://") || !strings.HasSuffix(keys[0].Dsn.Public, "/4506000000000202") {
		t.Errorf("backend keys %+v", keys)
	}
	var monitors []struct{ Slug, Status string }
	get(t, f.URL+"/api/0/organizations/acme/monitors/", tok).json(t, &monitors)
	if len(monitors) != 2 || monitors[0].Slug != "nightly-import" || monitors[1].Status != "error" {
		t.Errorf("acme monitors %+v", monitors)
	}
	var tags []struct{ Key string }
	get(t, f.URL+"/api/0/organizations/acme/tags/", tok).json(t, &tags)
	if len(tags) < 8 {
		t.Errorf("acme tags %+v", tags)
	}
	var me struct{ Email string }
	get(t, de+"/api/0/auth/", tok).json(t, &me)
	if me.Email != "alice@example.com" {
		t.Errorf("/auth/ on de: %+v", me)
	}
}

func TestRequestsLog(t *testing.T) {
	f := newTestFake(t)
	alice := f.IssueToken(AliceID, ReadScopes, 0)
	bob := f.IssueToken(BobID, ReadScopes, 0)
	get(t, f.URL+"/api/0/organizations/acme/issues/?query=is%3Aunresolved", alice)
	get(t, f.RegionURL(RegionDE)+"/api/0/organizations/globex/", bob)
	get(t, f.URL+"/oauth/authorize/", "") // not an API request
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests logged, want 2: %+v", len(reqs), reqs)
	}
	if r := reqs[0]; r.UserID != AliceID || r.TokenFingerprint != Fingerprint(alice) || r.Query.Get("query") != "is:unresolved" ||
		r.Region != RegionUS || r.Status != 200 {
		t.Errorf("first request %+v", r)
	}
	if r := reqs[1]; r.UserID != BobID || r.Region != RegionDE || r.Status != 403 {
		t.Errorf("second request %+v", r)
	}
	if len(Fingerprint(alice)) != 8 {
		t.Error("fingerprint is not 8 characters")
	}
	f.ClearRequests()
	if len(f.Requests()) != 0 {
		t.Error("ClearRequests left entries")
	}
}

func TestStart(t *testing.T) {
	f, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	if r := get(t, f.RegionURL(RegionDE)+"/api/0/organizations/globex/projects/", tok); r.status != http.StatusOK {
		t.Fatalf("de server: %d", r.status)
	}
	if r := get(t, f.URL+"/organizations/acme/issues/WEB-1A/", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), "not the real sentry.io") {
		t.Fatalf("issue page: %d %s", r.status, r.body)
	}
	f.Close()
	f.Close()
}

func TestNewServerTLS(t *testing.T) {
	f := NewServer(t, Options{TLS: true})
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	req, _ := http.NewRequest(http.MethodGet, f.RegionURL(RegionDE)+"/api/0/organizations/globex/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(f.URL, "https://") {
		t.Fatalf("TLS fake: %d %s", res.StatusCode, f.URL)
	}
}

// The main server answers any organization's details, as sentry.io's
// control silo does; the organization's data stays in its region.
func TestOrgDetailsFromMainServer(t *testing.T) {
	f := NewServer(t, Options{})
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	get := func(base, path string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(f.URL, "/api/0/organizations/globex/"); got != 200 {
		t.Errorf("globex details on the main server: %d, want 200", got)
	}
	if got := get(f.URL, "/api/0/organizations/globex/issues/"); got != 404 {
		t.Errorf("globex issues on the main server: %d, want 404", got)
	}
	if got := get(f.RegionURL(RegionDE), "/api/0/organizations/globex/issues/"); got != 200 {
		t.Errorf("globex issues on its region: %d, want 200", got)
	}
}
