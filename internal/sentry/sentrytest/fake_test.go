package sentrytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConcurrentUse(t *testing.T) {
	f := newTestFake(t)
	de := f.RegionURL(RegionDE)
	logins := make([]tokenResponse, 8)
	for i := range logins {
		logins[i] = login(t, f, strings.Join(WriteScopes, " "))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1024)
	expect := func(what string, req *http.Request, want int) resp {
		r, err := tryDo(req)
		if err == nil && r.status != want {
			err = fmt.Errorf("%d %s", r.status, r.body)
		}
		if err != nil {
			errs <- fmt.Errorf("%s: %v (want %d)", what, err, want)
		}
		return r
	}
	for i, tr := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bob := f.IssueToken(BobID, ReadScopes, 0)
			for j := range 10 {
				expect("alice issues", newRequest("GET", f.URL+"/api/0/organizations/acme/issues/?limit=5", tr.AccessToken, nil), 200)
				expect("alice globex", newRequest("GET", de+"/api/0/organizations/globex/issues/", tr.AccessToken, nil), 200)
				expect("bob globex", newRequest("GET", de+"/api/0/organizations/globex/", bob, nil), 403)
				note := fmt.Sprintf(`{"text":"note %d/%d"}`, i, j)
				expect("note", newRequest("POST", f.URL+"/api/0/organizations/acme/issues/API-1B/notes/", tr.AccessToken, strings.NewReader(note)), 201)
				status := []string{"resolved", "unresolved"}[j%2]
				expect("update", newRequest("PUT", f.URL+"/api/0/organizations/acme/issues/API-1C/", tr.AccessToken,
					strings.NewReader(`{"status":"`+status+`"}`)), 200)
				_ = f.Requests()
				_ = f.TokenCalls()
			}
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}
			r := expect("refresh", formRequest(f.URL+"/oauth/token/", form, DefaultClientID, DefaultClientSecret), 200)
			var fresh tokenResponse
			if err := json.Unmarshal(r.body, &fresh); err == nil {
				expect("refreshed token", newRequest("GET", f.URL+"/api/0/auth/", fresh.AccessToken, nil), 200)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			f.Inject(Fault{PathPrefix: "/api/0/nothing-real/", Status: 500, Count: 1})
			f.Advance(time.Millisecond)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := f.TokenCalls(); got["authorization_code"] != 8 || got["refresh_token"] != 8 {
		t.Errorf("TokenCalls %v", got)
	}
	var is issueJSONT
	get(t, f.URL+"/api/0/organizations/acme/issues/API-1B/", f.IssueToken(AliceID, ReadScopes, 0)).json(t, &is)
	if is.NumComments != 80 {
		t.Errorf("API-1B has %d notes, want 80", is.NumComments)
	}
}

// serveOnce answers one request from a fake without a server.
func serveOnce(f *Fake, path, token string) []byte {
	req := httptest.NewRequest(http.MethodGet, "https://sentry.example"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}

func TestDeterministicSeed(t *testing.T) {
	paths := []string{
		"/api/0/organizations/acme/issues/?query=&statsPeriod=&limit=100",
		"/api/0/organizations/acme/issues/CHECKOUT-1A/events/?full=true",
		"/api/0/organizations/acme/trace/" + TraceID + "/",
		"/api/0/organizations/acme/releases/",
		"/api/0/organizations/acme/events/?dataset=spans&field=id&field=span.duration&statsPeriod=30d&per_page=100",
	}
	a, b := New(Options{}), New(Options{})
	ta, tb := a.IssueToken(AliceID, ReadScopes, 0), b.IssueToken(AliceID, ReadScopes, 0)
	for _, p := range paths {
		if x, y := serveOnce(a, p, ta), serveOnce(b, p, tb); !bytes.Equal(x, y) {
			t.Errorf("%s differs between two fakes", p)
		}
	}
	later := New(Options{Now: DefaultNow.Add(24 * time.Hour)})
	tl := later.IssueToken(AliceID, ReadScopes, 0)
	x := serveOnce(a, "/api/0/organizations/acme/issues/WEB-1A/", ta)
	y := serveOnce(later, "/api/0/organizations/acme/issues/WEB-1A/", tl)
	if bytes.Equal(x, y) || !bytes.Contains(y, []byte(`"lastSeen":"2026-11-25T11:48:00.000000Z"`)) {
		t.Errorf("Options.Now did not move the data: %s", y)
	}
}

func TestSeedShape(t *testing.T) {
	f := New(Options{})
	w := f.w
	if len(w.issues) != 50 {
		t.Errorf("%d issues, want 50", len(w.issues))
	}
	short := map[string]bool{}
	for _, is := range w.issues {
		if short[is.ShortID] {
			t.Errorf("duplicate short id %s", is.ShortID)
		}
		short[is.ShortID] = true
		if len(is.events) == 0 || is.events[len(is.events)-1].DateCreated != is.LastSeen {
			t.Errorf("%s: latest event is not at lastSeen", is.ShortID)
		}
		for i := 1; i < len(is.events); i++ {
			if is.events[i].DateCreated.Before(is.events[i-1].DateCreated) {
				t.Errorf("%s: events out of order", is.ShortID)
			}
		}
		if is.FirstSeen.After(is.LastSeen) || is.LastSeen.After(DefaultNow) {
			t.Errorf("%s: firstSeen %v lastSeen %v", is.ShortID, is.FirstSeen, is.LastSeen)
		}
		for _, st := range is.tags {
			if st.Key != "user" && st.TotalValues != is.Count {
				t.Errorf("%s: tag %s totals %d of %d events", is.ShortID, st.Key, st.TotalValues, is.Count)
			}
		}
		for _, ev := range is.events {
			if ev.Release != nil && ev.tag("release") != ev.Release.Version {
				t.Errorf("%s: event release %s vs tag %s", is.ShortID, ev.Release.Version, ev.tag("release"))
			}
		}
	}
	for _, id := range []string{"WEB-1A", "CHECKOUT-1A", "API-1A", "MOBILE-1A", "BACKEND-1A", "CHECKOUT-1H"} {
		if !short[id] {
			t.Errorf("no issue %s", id)
		}
	}
}
