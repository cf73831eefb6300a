package sentry

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func saasClient(t *testing.T) *Client {
	t.Helper()
	c, _ := newClient(t, "https://sentry.io")
	return c
}

func TestValidateRegionURLRefusesHostileForms(t *testing.T) {
	c := saasClient(t)
	hostile := []string{
		"http://sentry.io",
		"http://us.sentry.io",
		"https://evil.com",
		"https://sentry.io@evil.com",
		"https://evil.com@sentry.io",
		"https://user:pass@us.sentry.io",
		"https://:@us.sentry.io",
		"https://us.sentry.io:443@evil.com",
		"https://us.sentry.io.evil.com",
		"https://sentry.io.evil.com",
		"https://evilsentry.io",
		"https://attacker.sentry.io", // a subdomain, but not an allowed one
		"https://sentry.io:8443",
		"https://us.sentry.io:80",
		"https://us.sentry.io:0443",
		"https://us.sentry.io:",
		"https://us.sentry.io:443:443",
		"https://us.sentry.io:99999",
		"https://sentry.io./",
		"https://SENTRY.IO.:443",
		"https://de.sentry.io.",
		"https://.sentry.io",
		"https://us..sentry.io",
		"https://127.0.0.1",
		"https://[::1]",
		"https://[::ffff:127.0.0.1]",
		"https://169.254.169.254",
		"https://0x7f000001",
		"https://2130706433",
		"https://localhost",
		"https://xn--sntry-yva.io",
		"https://us.xn--sentry-9ta.io",
		"https://sеntry.io", // Cyrillic е
		"https://ｕｓ.sentry.io",
		"https://us.sentry.io\u200b",
		"https://us%2esentry.io",
		"https://us.sentry.io/../",
		"https://us.sentry.io/..",
		"https://us.sentry.io/%2e%2e/",
		"https://us.sentry.io//",
		"https://us.sentry.io/;x",
		"https://us.sentry.io%2F@evil.com",
		"https://sentry.io%40evil.com",
		`https://us.sentry.io\@evil.com`,
		`https:\\evil.com`,
		"https://us.sentry.io#@evil.com",
		"https://us.sentry.io/#",
		"https://us.sentry.io?x=@evil.com",
		"https://us.sentry.io/?",
		"https://us.sentry.io/api/0",
		"https://us.sentry.io/api/0/",
		"https://evil.com/https://us.sentry.io",
		"//evil.com",
		"//us.sentry.io",
		"us.sentry.io",
		"https:us.sentry.io",
		"https:///us.sentry.io",
		"https://",
		"javascript:alert(1)//us.sentry.io",
		"file:///etc/passwd",
		"ftp://us.sentry.io",
		"wss://us.sentry.io",
		"https://*.sentry.io",
		"https://us_sentry.io",
		"",
		" https://us.sentry.io",
		"https://us.sentry.io ",
		"https://us.sentry.io\n",
		"https://us.sentry.io\t",
		"https://us.sentry.io\x00",
		"\thttps://us.sentry.io",
		"https://us.sentry.io/" + strings.Repeat("a", 3000),
		"https://" + strings.Repeat("a.", 130) + "sentry.io",
	}
	if len(hostile) < 30 {
		t.Fatalf("only %d hostile forms", len(hostile))
	}
	for _, raw := range hostile {
		u, err := c.ValidateRegionURL(raw)
		if err == nil {
			t.Errorf("accepted %q as %v", raw, u)
			continue
		}
		if !errors.Is(err, ErrUntrustedRegion) {
			t.Errorf("%q: error %v does not wrap ErrUntrustedRegion", raw, err)
		}
	}
}

func TestValidateRegionURLAcceptsAndNormalizes(t *testing.T) {
	c := saasClient(t)
	for raw, want := range map[string]string{
		"https://us.sentry.io":      "https://us.sentry.io",
		"https://de.sentry.io/":     "https://de.sentry.io",
		"https://sentry.io":         "https://sentry.io",
		"https://US.Sentry.io":      "https://us.sentry.io",
		"HTTPS://us.sentry.io":      "https://us.sentry.io",
		"https://us.sentry.io:443/": "https://us.sentry.io",
	} {
		u, err := c.ValidateRegionURL(raw)
		if err != nil || u.String() != want {
			t.Errorf("ValidateRegionURL(%q) = %v, %v; want %s", raw, u, err, want)
		}
	}
}

func TestValidateRegionURLModes(t *testing.T) {
	cases := []struct {
		name     string
		opts     Options
		accept   map[string]string
		refuseOK []string
	}{
		{
			name: "dev: loopback BaseURL allows its own host on any port",
			opts: Options{BaseURL: "http://127.0.0.1:5000"},
			accept: map[string]string{
				"http://127.0.0.1:6000": "http://127.0.0.1:6000",
				"http://127.0.0.1":      "http://127.0.0.1",
			},
			refuseOK: []string{"https://127.0.0.1:6000", "http://localhost:6000", "http://127.0.0.2:6000", "http://127.0.0.1:6000/x", "http://0x7f000001:6000", "https://us.sentry.io:6000", "http://us.sentry.io"},
		},
		{
			name:     "dev: IPv6 loopback",
			opts:     Options{BaseURL: "http://[::1]:5000"},
			accept:   map[string]string{"http://[::1]:7000": "http://[::1]:7000", "http://[0:0::1]:7000": "http://[::1]:7000"},
			refuseOK: []string{"http://127.0.0.1:7000", "http://[::2]:7000", "http://[fe80::1%25eth0]:7000"},
		},
		{
			name:     "insecure self-hosted on a LAN",
			opts:     Options{BaseURL: "http://sentry.lan:9000", InsecureHTTP: true, AllowedRegionDomains: []string{"eu.sentry.lan"}},
			accept:   map[string]string{"http://sentry.lan:9000": "http://sentry.lan:9000", "http://eu.sentry.lan:9000/": "http://eu.sentry.lan:9000", "https://eu.sentry.lan": "https://eu.sentry.lan"},
			refuseOK: []string{"http://sentry.lan:9001", "http://sentry.lan", "http://eu.sentry.lan:9001", "http://us.sentry.io:9000", "https://sentry.lan:9000"},
		},
		{
			name:     "self-hosted https on a custom port",
			opts:     Options{BaseURL: "https://sentry.example.com:8443/"},
			accept:   map[string]string{"https://sentry.example.com:8443": "https://sentry.example.com:8443"},
			refuseOK: []string{"https://sentry.example.com", "http://sentry.example.com:8443", "https://us.sentry.io", "https://sentry.io"},
		},
		{
			name:     "explicit allowed domains replace the sentry.io default",
			opts:     Options{BaseURL: "https://sentry.io", AllowedRegionDomains: []string{"US.sentry.io "}},
			accept:   map[string]string{"https://us.sentry.io": "https://us.sentry.io", "https://sentry.io": "https://sentry.io"},
			refuseOK: []string{"https://de.sentry.io"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Token = StaticToken(testToken)
			c, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for raw, want := range tc.accept {
				if u, err := c.ValidateRegionURL(raw); err != nil || u.String() != want {
					t.Errorf("ValidateRegionURL(%q) = %v, %v; want %s", raw, u, err, want)
				}
			}
			for _, raw := range tc.refuseOK {
				if u, err := c.ValidateRegionURL(raw); err == nil {
					t.Errorf("accepted %q as %v", raw, u)
				}
			}
		})
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for _, opts := range []Options{
		{BaseURL: "https://sentry.io"}, // no token
		{BaseURL: "", Token: StaticToken("x")},
		{BaseURL: "sentry.io", Token: StaticToken("x")},
		{BaseURL: "http://sentry.example.com", Token: StaticToken("x")}, // clear text without InsecureHTTP
		{BaseURL: "https://sentry.example.com/sentry", Token: StaticToken("x")},
		{BaseURL: "https://user@sentry.example.com", Token: StaticToken("x")},
		{BaseURL: "https://sentry.io", Token: StaticToken("x"), AllowedRegionDomains: []string{"*.sentry.io"}},
		{BaseURL: "https://sentry.io", Token: StaticToken("x"), AllowedRegionDomains: []string{"https://us.sentry.io"}},
		{BaseURL: "https://sentry.io", Token: StaticToken("x"), AllowedRegionDomains: []string{"10.0.0.1"}},
	} {
		if c, err := New(opts); err == nil {
			t.Errorf("New(%v) = %v, want an error", opts, c)
		}
	}
}

// FuzzValidateRegionURL checks the invariant for three deployments: whatever
// is accepted is a bare origin on an allowed host, with https unless a dev or
// insecure exception applies.
func FuzzValidateRegionURL(f *testing.F) {
	for _, s := range []string{
		"https://us.sentry.io", "https://de.sentry.io/", "https://US.Sentry.io:443", "https://sentry.io@evil.com",
		"http://127.0.0.1:6000", "http://[::1]:6000", "http://sentry.lan:9000", "https://us.sentry.io/%2e%2e/",
		"https://us.sentry.io\\@evil.com", "//evil.com", "https://sentry.io./", "https://xn--sntry-yva.io",
	} {
		f.Add(s)
	}
	type deployment struct {
		c       *Client
		allowed map[string]bool
		dev     string // loopback host any port is allowed on, over BaseURL's scheme
		http    string // host:port allowed over http
	}
	mk := func(opts Options) *Client {
		opts.Token = StaticToken(testToken)
		c, err := New(opts)
		if err != nil {
			f.Fatal(err)
		}
		return c
	}
	deployments := []deployment{
		{c: mk(Options{BaseURL: "https://sentry.io"}), allowed: map[string]bool{"sentry.io": true, "us.sentry.io": true, "de.sentry.io": true}},
		{c: mk(Options{BaseURL: "http://127.0.0.1:5000"}), allowed: map[string]bool{}, dev: "127.0.0.1"},
		{c: mk(Options{BaseURL: "http://sentry.lan:9000", InsecureHTTP: true, AllowedRegionDomains: []string{"eu.sentry.lan"}}),
			allowed: map[string]bool{"eu.sentry.lan": true}, http: "9000"},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 256 {
			// Long inputs only reach the length check (tested in the table);
			// minimizing them would stall the fuzzer for seconds each.
			return
		}
		for _, d := range deployments {
			u, err := d.c.ValidateRegionURL(raw)
			if err != nil {
				if !errors.Is(err, ErrUntrustedRegion) {
					t.Fatalf("%q: error does not wrap ErrUntrustedRegion: %v", raw, err)
				}
				continue
			}
			if u.User != nil || u.Path != "" || u.RawPath != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
				t.Fatalf("%q accepted with extra parts: %#v", raw, u)
			}
			if got, want := u.String(), u.Scheme+"://"+u.Host; got != want {
				t.Fatalf("%q accepted as %q, which is not %q", raw, got, want)
			}
			again, err := url.Parse(u.String())
			if err != nil || again.Hostname() != u.Hostname() || again.Port() != u.Port() {
				t.Fatalf("%q: normalized form does not re-parse to itself: %v", raw, err)
			}
			host, port := u.Hostname(), u.Port()
			switch {
			case d.dev != "":
				if host != d.dev || u.Scheme != "http" {
					t.Fatalf("dev deployment accepted %q as %v", raw, u)
				}
			case d.http != "":
				okHTTP := u.Scheme == "http" && port == d.http && (host == "sentry.lan" || d.allowed[host])
				okHTTPS := u.Scheme == "https" && port == "" && d.allowed[host]
				if !okHTTP && !okHTTPS {
					t.Fatalf("insecure deployment accepted %q as %v", raw, u)
				}
			default:
				if u.Scheme != "https" || port != "" || !d.allowed[host] {
					t.Fatalf("accepted %q as %v", raw, u)
				}
			}
		}
	})
}

// twoRegions starts a control server (BaseURL) and a region server, with org
// "acme" on the region and "local" without a regionUrl (so on BaseURL).
func twoRegions(t *testing.T) (control, region *fake, c *Client) {
	t.Helper()
	control, region = newFake(t), newFake(t)
	list := `[{"id": "1", "slug": "acme", "name": "Acme", "links": {"regionUrl": "` + region.URL + `", "organizationUrl": "https://acme.example"}},
	          {"id": "2", "slug": "local", "name": "Local"}]`
	control.handle("GET /api/0/organizations/{$}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(list)) })
	control.serve(t, "GET /api/0/organizations/acme/{$}", "organization.json", region.URL)
	// Each organization's data is on its own server only; elsewhere a 404.
	control.serve(t, "GET /api/0/organizations/local/issues/{$}", "issues.json", "")
	region.serve(t, "GET /api/0/organizations/acme/issues/{$}", "issues.json", "")
	c, _ = newClient(t, control.URL)
	return control, region, c
}

func TestRegionRoutingFromListOrganizations(t *testing.T) {
	control, region, c := twoRegions(t)
	ctx := context.Background()
	orgs, _, err := c.ListOrganizations(ctx, ListOptions{})
	if err != nil || len(orgs) != 2 || orgs[1].Links.RegionURL != "" {
		t.Fatalf("ListOrganizations = %+v, %v", orgs, err)
	}
	if _, _, err := c.ListIssues(ctx, "acme", IssueQuery{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ListIssues(ctx, "local", IssueQuery{}); err != nil {
		t.Fatal(err)
	}
	if got := paths(region); strings.Join(got, " ") != "/api/0/organizations/acme/issues/" {
		t.Errorf("region server saw %v", got)
	}
	if got := paths(control); strings.Join(got, " ") != "/api/0/organizations/ /api/0/organizations/local/issues/" {
		t.Errorf("control server saw %v", got)
	}
}

// An organization of unknown region is first asked of BaseURL, which on
// sentry.io and a single-region Sentry answers at once (no lookup). Only a
// 404 there makes the client look the organization up, once.
func TestRegionRoutingLooksUpUnknownOrganizationOnce(t *testing.T) {
	control, region, c := twoRegions(t)
	ctx := context.Background()
	for range 2 {
		if _, _, err := c.ListIssues(ctx, "acme", IssueQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := paths(control); strings.Join(got, " ") != "/api/0/organizations/acme/issues/ /api/0/organizations/acme/" {
		t.Errorf("control server saw %v, want the guess then one lookup", got)
	}
	if region.count() != 2 {
		t.Errorf("region server saw %v", paths(region))
	}
	if _, _, err := c.ListIssues(ctx, "local", IssueQuery{}); err != nil {
		t.Fatal(err)
	}
	if got := paths(control); len(got) != 3 || got[2] != "/api/0/organizations/local/issues/" {
		t.Errorf("an organization BaseURL serves cost more than its one request: %v", got)
	}
}

// A Regions shared by a principal's clients (one per tool call) keeps what
// one client learned for the next: no lookup, no guess.
func TestSharedRegionsAcrossClients(t *testing.T) {
	control, region, _ := twoRegions(t)
	shared := NewRegions(time.Minute)
	clock := time.Unix(1_700_000_000, 0)
	shared.now = func() time.Time { return clock }
	ctx := context.Background()
	newC := func() *Client {
		c, err := New(Options{BaseURL: control.URL, Token: StaticToken("tok"), Regions: shared})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, _, err := newC().ListIssues(ctx, "acme", IssueQuery{}); err != nil {
		t.Fatal(err)
	}
	control.reset()
	if _, _, err := newC().ListIssues(ctx, "acme", IssueQuery{}); err != nil {
		t.Fatal(err)
	}
	if control.count() != 0 || region.count() != 2 {
		t.Fatalf("second client: control %v, region %v; want straight to the region", paths(control), paths(region))
	}
	// After the TTL the region is learned again.
	clock = clock.Add(2 * time.Minute)
	if _, _, err := newC().ListIssues(ctx, "acme", IssueQuery{}); err != nil {
		t.Fatal(err)
	}
	if control.count() != 2 {
		t.Errorf("after the TTL: control %v, want the guess and a lookup", paths(control))
	}
}

func TestHostileRegionFromSentryIsNotFollowed(t *testing.T) {
	for name, hostile := range map[string]func(evil *fake) string{
		"other loopback host": func(evil *fake) string { return strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) },
		"path":                func(evil *fake) string { return evil.URL + "/api/0" },
		"userinfo":            func(evil *fake) string { return strings.Replace(evil.URL, "://", "://sentry.io@", 1) },
		"https downgrade":     func(evil *fake) string { return strings.Replace(evil.URL, "http://", "https://", 1) },
		"metadata service":    func(*fake) string { return "http://169.254.169.254" },
	} {
		t.Run(name, func(t *testing.T) {
			control, evil := newFake(t), newFake(t)
			evil.serve(t, "/", "issues.json", "")
			list := `[{"id": "9", "slug": "evil", "links": {"regionUrl": "` + hostile(evil) + `"}}]`
			control.handle("GET /api/0/organizations/{$}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(list)) })
			control.handle("GET /api/0/organizations/evil/{$}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(list[1 : len(list)-1])) })
			c, _ := newClient(t, control.URL)
			ctx := context.Background()

			orgs, _, err := c.ListOrganizations(ctx, ListOptions{})
			if err != nil || len(orgs) != 1 {
				t.Fatalf("ListOrganizations = %v, %v (a bad region must not break the listing)", orgs, err)
			}
			_, _, err = c.ListIssues(ctx, "evil", IssueQuery{})
			if !errors.Is(err, ErrUntrustedRegion) {
				t.Fatalf("ListIssues = %v, want ErrUntrustedRegion", err)
			}
			noToken(t, err)
			if evil.count() != 0 {
				t.Fatalf("hostile region received %v", evil.requests())
			}
		})
	}
}

func TestUseRegion(t *testing.T) {
	control, region, c := twoRegions(t)
	if err := c.UseRegion("acme", region.URL); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ListIssues(context.Background(), "acme", IssueQuery{}); err != nil || region.count() != 1 || control.count() != 0 {
		t.Fatalf("ListIssues = %v; control %v region %v", err, paths(control), paths(region))
	}
	err := c.UseRegion("acme", "https://evil.com")
	if !errors.Is(err, ErrInvalidArgument) || !errors.Is(err, ErrUntrustedRegion) {
		t.Errorf("UseRegion(evil) = %v", err)
	}
	if _, _, err := c.ListOrganizationsInRegion(context.Background(), "http://localhost:1", ListOptions{}); !errors.Is(err, ErrUntrustedRegion) {
		t.Errorf("ListOrganizationsInRegion(hostile) = %v", err)
	}
	if _, _, err := c.ListOrganizationsInRegion(context.Background(), region.URL, ListOptions{Limit: 5}); err == nil || region.requests()[1].Path != "/api/0/organizations/" {
		// The region fake has no organization list: a 404 proves the request went there.
		t.Errorf("ListOrganizationsInRegion(region) = %v, %v", err, paths(region))
	}
}

func TestOrganizationNotVisible(t *testing.T) {
	control := newFake(t)
	control.handle("GET /api/0/organizations/other/{$}", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, 404, "The requested resource does not exist")
	})
	c, _ := newClient(t, control.URL)
	_, _, err := c.ListIssues(context.Background(), "other", IssueQuery{})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `organization "other" is not one this Sentry account can see`) {
		t.Fatalf("err = %v", err)
	}
	if got := paths(control); strings.Join(got, " ") != "/api/0/organizations/other/issues/ /api/0/organizations/other/" {
		t.Errorf("requests = %v, want the call and one lookup", got)
	}
}

func TestDotSegmentsRefusedBeforeAnyRequest(t *testing.T) {
	f, c := newSeeded(t)
	ctx := context.Background()
	calls := map[string]func() error{
		"org ..":       func() error { _, _, err := c.ListIssues(ctx, "..", IssueQuery{}); return err },
		"org empty":    func() error { _, err := c.GetOrganization(ctx, ""); return err },
		"issue .":      func() error { _, err := c.GetIssue(ctx, "acme", "."); return err },
		"project ..":   func() error { _, err := c.GetProject(ctx, "acme", ".."); return err },
		"event empty":  func() error { _, err := c.GetIssueEvent(ctx, "acme", "API-41", ""); return err },
		"release ..":   func() error { _, err := c.GetRelease(ctx, "acme", ".."); return err },
		"trace .":      func() error { _, err := c.GetTrace(ctx, "acme", ".", TraceQuery{}); return err },
		"tag key ..":   func() error { _, err := c.GetIssueTagValues(ctx, "acme", "API-41", ".."); return err },
		"limit 101":    func() error { _, _, err := c.ListIssues(ctx, "acme", IssueQuery{Limit: 101}); return err },
		"region arg":   func() error { return c.UseRegion("..", "https://us.sentry.io") },
		"project slug": func() error { _, _, err := c.ListIssues(ctx, "acme", IssueQuery{Projects: []string{" "}}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if f.count() != 0 {
		t.Errorf("requests were sent: %v", paths(f))
	}
	// Escaped, odd but legal ids stay one segment.
	_, _ = c.GetIssue(ctx, "acme", "../x?y#z")
	if got := paths(f); !slices.Contains(got, "/api/0/organizations/acme/issues/..%2Fx%3Fy%23z/") {
		t.Errorf("escaped path = %v", got)
	}
}

func paths(f *fake) []string {
	var p []string
	for _, r := range f.requests() {
		p = append(p, r.Path)
	}
	return p
}
