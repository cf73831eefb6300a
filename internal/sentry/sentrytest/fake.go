package sentrytest

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Default OAuth application credentials, used when Options leaves them empty.
const (
	DefaultClientID     = "sentrytest-client-id"
	DefaultClientSecret = "sentrytest-client-secret"
)

// DefaultAccessTokenTTL is how long an OAuth access token lives unless
// Options.AccessTokenTTL says otherwise; Sentry's own tokens last 30 days.
const DefaultAccessTokenTTL = 30 * 24 * time.Hour

// Regions served by the fake. The main server is region "us" and also
// answers the region-independent endpoints (/auth/, /organizations/ ...).
const (
	RegionUS = "us"
	RegionDE = "de"
)

// Options configures a Fake. The zero value is a working fake with the
// default OAuth client, no allowed redirect URIs, and data anchored at
// DefaultNow.
type Options struct {
	// OAuth application registered in the fake.
	ClientID     string   // default DefaultClientID
	ClientSecret string   // default DefaultClientSecret
	AppName      string   // shown on the consent page; default "lookout"
	RedirectURIs []string // exact-match allow list; see also SetRedirectURIs

	// AutoConsent makes /oauth/authorize/ approve at once as the consent
	// user (tests). Without it the fake shows a consent page (demo).
	AutoConsent bool

	// AccessTokenTTL is the lifetime of OAuth access tokens; default
	// DefaultAccessTokenTTL.
	AccessTokenTTL time.Duration

	// Now anchors every seeded timestamp ("last seen 12 minutes ago" is
	// relative to it). Zero means DefaultNow, which keeps data byte-identical
	// between runs; `lookout demo` passes time.Now().
	Now time.Time

	// Clock tells the time for token expiry and the request log; default
	// time.Now. Advance moves the fake's view of it forward.
	Clock func() time.Time

	// TLS makes NewServer start HTTPS servers (httptest's certificate; use
	// Fake.Client). Start ignores it.
	TLS bool

	// Addr and RegionAddr are the listen addresses Start uses for the main
	// ("us") and "de" servers; default 127.0.0.1:0.
	Addr       string
	RegionAddr string
}

// Fake is a fake Sentry: OAuth endpoints, the REST API under /api/0/ for the
// seeded organizations, fault injection and a request log. It is an
// http.Handler for the main ("us") region; RegionHandler serves the others.
// All methods are safe for concurrent use.
type Fake struct {
	// URL is the main server's base URL (no trailing slash) once NewServer or
	// Start has run, or after SetRegionURL(RegionUS, ...).
	URL string

	opts     Options
	handlers map[string]http.Handler // by region
	closers  []func()
	client   *http.Client
	cert     []byte // PEM, with Options.TLS

	mu           sync.Mutex
	started      time.Time     // opts.Clock() when New ran
	offset       time.Duration // added to opts.Clock by Advance
	w            *world
	regionURLs   map[string]string
	redirectURIs []string
	consentUser  string
	deny         bool
	tokens       map[string]*token // access token value -> token
	issued       []string          // every access and refresh token ever handed out, for leak scans
	refresh      map[string]*token // refresh token value -> token
	codes        map[string]*authCode
	consents     map[string]*pendingConsent // form token -> pending request
	tokenCalls   map[string]int
	faults       []*faultState
	requests     []Request
}

// New returns a fake serving the seeded data. Use NewServer in tests and
// Start for `lookout demo`; with New alone, mount the handlers yourself and
// call SetRegionURL for each region so links point at the right place.
func New(opts Options) *Fake {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.AppName == "" {
		opts.AppName = "lookout"
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if opts.Now.IsZero() {
		opts.Now = DefaultNow
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	f := &Fake{
		opts:         opts,
		started:      opts.Clock(),
		w:            newWorld(opts.Now),
		regionURLs:   map[string]string{},
		redirectURIs: append([]string(nil), opts.RedirectURIs...),
		consentUser:  AliceID,
		tokens:       map[string]*token{},
		refresh:      map[string]*token{},
		codes:        map[string]*authCode{},
		consents:     map[string]*pendingConsent{},
		tokenCalls:   map[string]int{},
	}
	f.handlers = map[string]http.Handler{
		RegionUS: f.newMux(RegionUS),
		RegionDE: f.newMux(RegionDE),
	}
	return f
}

// ServeHTTP serves the main ("us") region.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.handlers[RegionUS].ServeHTTP(w, r)
}

// RegionHandler returns the handler for a region ("us" or "de"), or nil.
func (f *Fake) RegionHandler(region string) http.Handler { return f.handlers[region] }

// SetRegionURL records where a region is served; organizations in that
// region report it as links.regionUrl. Setting RegionUS also sets f.URL.
func (f *Fake) SetRegionURL(region, url string) {
	url = strings.TrimSuffix(url, "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regionURLs[region] = url
	if region == RegionUS {
		f.URL = url
	}
}

// RegionURL returns a region's base URL ("" if not yet known).
// RegionURL("us") is f.URL.
func (f *Fake) RegionURL(region string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.regionURLs[region]
}

// Client returns an HTTP client for the fake's servers (it trusts their
// certificate when Options.TLS is set).
func (f *Fake) Client() *http.Client {
	if f.client != nil {
		return f.client
	}
	return http.DefaultClient
}

// now is the fake's clock; callers hold f.mu.
func (f *Fake) now() time.Time { return f.opts.Clock().Add(f.offset) }

// Now returns the fake's current time (Options.Clock plus any Advance).
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now()
}

// Advance moves the fake's clock forward, so tokens can expire without
// waiting.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offset += d
}

// dataNow is the seeded data's "now": statsPeriod and friends count back
// from it.
func (f *Fake) dataNow() time.Time { return f.opts.Now.UTC().Truncate(time.Second) }

// dataClock dates what happens to the data while the fake runs (notes,
// status changes): Options.Now plus the time since New, so new activity
// sorts after the seeded activity. Callers hold f.mu.
func (f *Fake) dataClock() time.Time { return f.dataNow().Add(f.now().Sub(f.started)) }

// newMux routes one region's server.
func (f *Fake) newMux(region string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize/{$}", f.handleAuthorize)
	mux.HandleFunc("POST /oauth/authorize/{$}", f.handleAuthorizeDecision)
	mux.HandleFunc("POST /oauth/token/{$}", f.handleToken)
	mux.HandleFunc("GET /organizations/{org}/issues/{issue}/{$}", f.handleIssuePage)

	api := func(pattern string, h apiHandler, scopes ...string) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" /api/0"+path, f.api(region, h, scopes))
	}
	f.routes(api)
	mux.HandleFunc("/api/0/", func(w http.ResponseWriter, r *http.Request) {
		f.apiFallback(mux, w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found (lookout's demo Sentry)", http.StatusNotFound)
	})
	return f.withFaults(region, mux)
}

// routes lists every API endpoint with the scopes it needs (any one of
// them will do; the first is named when none is present).
func (f *Fake) routes(api func(string, apiHandler, ...string)) {
	api("GET /auth/{$}", f.getAuth)
	api("GET /users/me/regions/{$}", f.getRegions)
	api("GET /organizations/{$}", f.listOrgs, "org:read")
	api("GET /organizations/{org}/{$}", f.getOrg, "org:read")
	api("GET /organizations/{org}/teams/{$}", f.listTeams, "team:read")
	api("GET /organizations/{org}/projects/{$}", f.listProjects, "project:read")
	api("GET /organizations/{org}/monitors/{$}", f.listMonitors, "org:read")
	api("GET /organizations/{org}/tags/{$}", f.listOrgTags, "event:read")
	api("GET /projects/{org}/{project}/{$}", f.getProject, "project:read")
	api("GET /projects/{org}/{project}/keys/{$}", f.listKeys, "project:read")
	api("GET /projects/{org}/{project}/events/{event}/{$}", f.getProjectEvent, "event:read")

	api("GET /organizations/{org}/releases/{$}", f.listReleases, "project:read", "project:releases")
	api("GET /organizations/{org}/releases/{version}/{$}", f.getRelease, "project:read", "project:releases")
	api("GET /organizations/{org}/releases/{version}/deploys/{$}", f.listReleaseDeploys, "project:read", "project:releases")
	api("GET /organizations/{org}/releases/{version}/commits/{$}", f.listReleaseCommits, "project:read", "project:releases")
	api("GET /projects/{org}/{project}/releases/{version}/{$}", f.getProjectRelease, "project:read", "project:releases")

	api("GET /organizations/{org}/issues/{$}", f.listIssues, "event:read")
	api("GET /organizations/{org}/issues/{issue}/{$}", f.getIssue, "event:read")
	api("PUT /organizations/{org}/issues/{issue}/{$}", f.updateIssue, "event:write")
	api("GET /organizations/{org}/issues/{issue}/activities/{$}", f.listActivities, "event:read")
	api("GET /organizations/{org}/issues/{issue}/notes/{$}", f.listNotes, "event:read")
	api("POST /organizations/{org}/issues/{issue}/notes/{$}", f.createNote, "event:write")
	api("GET /organizations/{org}/issues/{issue}/tags/{$}", f.listIssueTags, "event:read")
	api("GET /organizations/{org}/issues/{issue}/tags/{key}/{$}", f.getIssueTag, "event:read")
	api("GET /organizations/{org}/issues/{issue}/tags/{key}/values/{$}", f.listIssueTagValues, "event:read")
	for _, prefix := range []string{"/organizations/{org}/issues/{issue}", "/issues/{issue}"} {
		api("GET "+prefix+"/events/{$}", f.listIssueEvents, "event:read")
		api("GET "+prefix+"/events/{event}/{$}", f.getIssueEvent, "event:read")
	}

	api("GET /organizations/{org}/events/{$}", f.discover, "event:read")
	api("GET /organizations/{org}/trace-meta/{trace}/{$}", f.getTraceMeta, "event:read")
	api("GET /organizations/{org}/trace/{trace}/{$}", f.getTrace, "event:read")

	f.manageRoutes(api)
	f.inspectRoutes(api)
}
