package sentry_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// AllOrganizations asks every region of the user and lists each
// organization once, though the fake's main host (like sentry.io's control
// host) lists them all again.
func TestAllOrganizations(t *testing.T) {
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	for user, want := range map[string][]string{
		sentrytest.AliceID: {"acme", "globex"},
		sentrytest.BobID:   {"acme"},
		sentrytest.CarolID: nil,
	} {
		c, err := sentry.New(sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(fake.IssueToken(user, sentrytest.ReadScopes, 0))})
		if err != nil {
			t.Fatal(err)
		}
		orgs, err := c.AllOrganizations(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range orgs {
			got = append(got, o.Slug)
		}
		if len(got) != len(want) || (len(want) > 0 && (got[0] != want[0] || got[len(got)-1] != want[len(want)-1])) {
			t.Errorf("user %s: organizations %v, want %v", user, got, want)
		}
		// Their regions are known now: a call for globex goes to its region.
		if user == sentrytest.AliceID {
			if _, _, err := c.ListIssues(context.Background(), "globex", sentry.IssueQuery{Limit: 1}); err != nil {
				t.Errorf("globex issues after listing: %v", err)
			}
		}
	}
}

// Issue #12: find_organizations asked /users/me/regions/ on every call.
// With a Regions shared by the principal's clients, the regions are asked
// once; an organization a listing revealed is then called directly, with
// no /organizations/{org}/ lookup.
func TestAllOrganizationsRemembersRegions(t *testing.T) {
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	token := fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)
	shared := sentry.NewRegions(time.Hour)
	for range 2 {
		c, err := sentry.New(sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(token), Regions: shared})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AllOrganizations(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := sentry.New(sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(token), Regions: shared})
	if _, _, err := c.ListIssues(context.Background(), "globex", sentry.IssueQuery{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	regionCalls, lookups := 0, 0
	for _, r := range fake.Requests() {
		switch r.Path {
		case "/api/0/users/me/regions/":
			regionCalls++
		case "/api/0/organizations/globex/":
			lookups++
		}
	}
	if regionCalls != 1 || lookups != 0 {
		t.Errorf("regions asked %d times, globex looked up %d times; want 1 and 0", regionCalls, lookups)
	}
}

// twoRegions serves /users/me/regions/ naming two regions, each an
// httptest server on loopback whose /organizations/ is answered by org.
func twoRegions(t *testing.T, org func(region string, w http.ResponseWriter)) string {
	t.Helper()
	urls := map[string]string{}
	for _, name := range []string{"us", "de"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/0/organizations/" {
				http.NotFound(w, r)
				return
			}
			org(name, w)
		}))
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
	}
	main := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/0/users/me/regions/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"regions":[{"name":"us","url":%q},{"name":"de","url":%q}]}`, urls["us"], urls["de"])
	}))
	t.Cleanup(main.Close)
	return main.URL
}

// The user's regions are asked at once, not one after the other: each
// region here answers only once the other's request has arrived.
func TestAllOrganizationsAsksRegionsAtOnce(t *testing.T) {
	t.Parallel()
	arrived := map[string]chan struct{}{"us": make(chan struct{}), "de": make(chan struct{})}
	other := map[string]string{"us": "de", "de": "us"}
	base := twoRegions(t, func(region string, w http.ResponseWriter) {
		close(arrived[region])
		select {
		case <-arrived[other[region]]:
			fmt.Fprintf(w, `[{"id":"1","slug":"org-%s","name":"%s"}]`, region, region)
		case <-time.After(5 * time.Second): // asked one after the other: give up
			http.Error(w, "the other region was not asked meanwhile", http.StatusServiceUnavailable)
		}
	})
	c, err := sentry.New(sentry.Options{BaseURL: base, Token: sentry.StaticToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := c.AllOrganizations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 2 || orgs[0].Slug != "org-us" || orgs[1].Slug != "org-de" {
		t.Fatalf("organizations %+v, want org-us then org-de (the regions' order)", orgs)
	}
}

// A region that fails fails the listing, named; the other's request is
// cancelled rather than waited for.
func TestAllOrganizationsNamesTheFailingRegion(t *testing.T) {
	t.Parallel()
	base := twoRegions(t, func(region string, w http.ResponseWriter) {
		if region == "de" {
			http.Error(w, `{"detail":"down"}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `[{"id":"1","slug":"org-us","name":"us"}]`)
	})
	c, err := sentry.New(sentry.Options{BaseURL: base, Token: sentry.StaticToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AllOrganizations(context.Background()); err == nil || !strings.Contains(err.Error(), "region de") {
		t.Fatalf("error %v, want one naming region de", err)
	}
}
