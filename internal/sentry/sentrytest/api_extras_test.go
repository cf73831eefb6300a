package sentrytest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestReleaseDeploysCommitsAndHealth(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	rel := f.URL + "/api/0/organizations/acme/releases/" + url.PathEscape("checkout@2.0.0") + "/"
	var deploys []struct{ ID, Environment string }
	get(t, rel+"deploys/", tok).json(t, &deploys)
	if len(deploys) == 0 || deploys[0].Environment != "production" {
		t.Errorf("deploys %+v, want the production deploy first", deploys)
	}
	var commits []struct {
		ID, Message string
		Author      struct{ Email string }
	}
	get(t, rel+"commits/?per_page=5", tok).json(t, &commits)
	if len(commits) != 5 || len(commits[0].ID) != 40 || commits[0].Message == "" || commits[0].Author.Email == "" {
		t.Errorf("commits %+v", commits)
	}
	var withHealth struct {
		Projects []struct {
			Slug       string
			HealthData *struct{ CrashFreeSessions float64 }
		}
	}
	get(t, f.URL+"/api/0/projects/acme/checkout/releases/checkout@2.0.0/?health=1", tok).json(t, &withHealth)
	if len(withHealth.Projects) != 1 || withHealth.Projects[0].HealthData == nil || withHealth.Projects[0].HealthData.CrashFreeSessions <= 0 {
		t.Errorf("health %+v", withHealth)
	}
	if r := get(t, f.URL+"/api/0/projects/acme/web/releases/checkout@2.0.0/", tok); r.status != http.StatusNotFound {
		t.Errorf("release of another project: %d", r.status)
	}
}

func TestIssueIgnoreConditions(t *testing.T) {
	f := newTestFake(t)
	alice := f.IssueToken(AliceID, WriteScopes, 0)
	base := f.URL + "/api/0/organizations/acme/issues/WEB-1A/"
	r := do(t, http.MethodPut, base, alice, strings.NewReader(`{"status":"ignored","substatus":"archived_until_condition_met","ignoreCount":100,"ignoreWindow":60}`))
	var is struct {
		Status, Substatus string
		StatusDetails     map[string]any
	}
	r.json(t, &is)
	if r.status != 200 || is.Substatus != "archived_until_condition_met" || is.StatusDetails["ignoreCount"] != 100.0 || is.StatusDetails["ignoreWindow"] != 60.0 {
		t.Fatalf("ignore until 100 events: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`{"status":"ignored","ignoreWindow":20000}`, `{"status":"resolved","ignoreCount":5}`, `{"status":"ignored","ignoreDuration":0}`} {
		if r := do(t, http.MethodPut, base, alice, strings.NewReader(bad)); r.status != http.StatusBadRequest {
			t.Errorf("PUT %s: %d, want 400", bad, r.status)
		}
	}
}

func TestIssueEventsSortAndEventIDSearch(t *testing.T) {
	f := newTestFake(t)
	tok := f.IssueToken(AliceID, ReadScopes, 0)
	var newest, oldest []struct{ ID, DateCreated string }
	get(t, f.URL+"/api/0/organizations/acme/issues/WEB-1A/events/", tok).json(t, &newest)
	get(t, f.URL+"/api/0/organizations/acme/issues/WEB-1A/events/?sort=timestamp", tok).json(t, &oldest)
	if len(newest) < 2 || newest[0].ID != oldest[len(oldest)-1].ID || newest[0].DateCreated < newest[1].DateCreated {
		t.Errorf("sort: newest %v, oldest %v", newest, oldest)
	}
	var issues []struct{ ShortID string }
	get(t, f.URL+"/api/0/organizations/acme/issues/?query="+oldest[0].ID, tok).json(t, &issues)
	if len(issues) != 1 || issues[0].ShortID != "WEB-1A" {
		t.Errorf("search by event id: %v", issues)
	}
}
