package sentrytest

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// What project management, uptime monitoring, Seer and onboarding add to
// the world: teams with access to each project, client keys, uptime
// monitors, connected repositories, autofix runs and onboarding runs, plus
// an audit log of every change made through the API.

// OnboardingRunToken is the seeded onboarding run of acme: what Sentry's
// onboarding UI hands an agent to report its progress with.
const OnboardingRunToken = "Rk7Tq2Wm9X"

// Seeded uptime monitors, for tests that name one.
const (
	UptimeStorefrontID = "4506000000003001" // acme/web, up
	UptimePublicAPIID  = "4506000000003002" // acme/api, failing, with secret headers and body
	UptimeStagingID    = "4506000000003003" // acme/checkout, disabled
	UptimeBackendID    = "4506000000004001" // globex/backend, up
)

// Autofix outcomes a script may end in.
const (
	AutofixCompleted         = "completed"
	AutofixError             = "error"
	AutofixAwaitingUserInput = "awaiting_user_input"
)

// AutofixScript says how a Seer autofix run started on an issue unfolds:
// it reports "processing" for Polls state reads after the start, then
// Outcome. The default is 2 polls, then completed.
type AutofixScript struct {
	Polls   int
	Outcome string // AutofixCompleted, AutofixError or AutofixAwaitingUserInput
}

// AuditEntry is one change made through the fake's API, by whom.
type AuditEntry struct {
	Time   time.Time
	Org    string // slug
	UserID string
	Event  string // team.create, project.create, project.edit, project.add-team, project.remove-team,
	// key.create, key.edit, code-mapping.create, uptime.create, uptime.edit, uptime.delete,
	// autofix.start, onboarding.status
	Target string // what changed: a slug, key id, monitor id, issue short id, run token
	Data   map[string]any
}

type clientKey struct {
	ID, Name, Public, Secret string
	IsActive                 bool
	rateLimit                *[2]int // window, count
	BrowserSDKVersion        string
	loader                   map[string]bool
	DateCreated              time.Time
}

type uptimeMonitor struct {
	ID, Name, URL, Method  string
	project                *project
	Status                 string // active, disabled
	UptimeStatus           int    // 1 ok, 2 failed
	Environment            string // "" means null
	owner                  *actor
	headers                [][2]string
	body                   *string
	IntervalSeconds        int
	TimeoutMs              int
	RecoveryThreshold      int
	DowntimeThreshold      int
	TraceSampling          bool
	ResponseCaptureEnabled bool
	DateCreated            time.Time
	checks                 []uptimeCheck // newest first
}

type uptimeCheck struct {
	ID, Status, Reason string
	At                 time.Time
	HTTPStatus         int // 0 means null
	DurationMs         int
	TraceID            string
	Incident           int
	Environment        string
}

type repo struct {
	ID, Name, Provider, ProviderName, IntegrationID string
}

type codeMapping struct {
	project *project
	repo    *repo
	userID  string
}

type autofixRun struct {
	ID          int
	Status      string
	instruction string
	polls       int // state reads since the start
	script      AutofixScript
	started     time.Time
	seeded      bool // a finished run present from the start
}

type onboardingRun struct {
	org                     *org
	RunID, ChannelID        string
	Sequence                int
	RunStatus               string // active, completed, failed
	Created, Updated, Until time.Time
	stages                  []onboardingStage
}

type onboardingStage struct {
	Stage, Status string
	EventNote     string
	extra         map[string]any
}

type manageState struct {
	projectTeams   map[*project][]*team
	keys           map[*project][]*clientKey
	uptime         []*uptimeMonitor
	repos          map[*org][]*repo
	codeMappings   []codeMapping
	autofix        map[*issue]*autofixRun
	autofixScripts map[*issue]AutofixScript
	onboarding     map[string]*onboardingRun
	audit          []AuditEntry
	nextID         int64 // for created teams, projects and monitors
	nextRun        int
}

// manage seeds the state above. It runs last in newWorld and draws from
// the generator only after everything else, so the other seeded data is
// the same with or without it.
func (s *seeder) manage(acme, globex *org) {
	m := &manageState{
		projectTeams: map[*project][]*team{}, keys: map[*project][]*clientKey{}, repos: map[*org][]*repo{},
		autofix: map[*issue]*autofixRun{}, autofixScripts: map[*issue]AutofixScript{},
		onboarding: map[string]*onboardingRun{}, nextID: 4506000000005001, nextRun: 21832,
	}
	s.w.mgmt = m
	for _, o := range []*org{acme, globex} {
		for _, p := range o.projects {
			m.projectTeams[p] = []*team{p.team}
			m.keys[p] = []*clientKey{{
				ID: p.KeyID, Name: "Default", Public: p.KeyPublic, Secret: p.KeySecret, IsActive: true,
				BrowserSDKVersion: "9.x", loader: map[string]bool{"hasReplay": true, "hasPerformance": true, "hasDebug": false},
				DateCreated: p.DateCreated,
			}}
		}
	}
	// web is shared with platform, so removing a team is not removing the last one.
	m.projectTeams[acme.project("web")] = append(m.projectTeams[acme.project("web")], acme.teamByRef("platform"))

	day := 24 * time.Hour
	body := `{"probe":true,"token":"uptime-body-secret"}`
	m.uptime = []*uptimeMonitor{
		{ID: UptimeStorefrontID, Name: "Storefront", URL: "https://shop.acme.example/health", Method: "GET",
			project: acme.project("web"), Status: "active", UptimeStatus: 1, Environment: "production",
			owner: &actor{"team", acme.teamByRef("frontend").ID}, headers: [][2]string{{"Accept", "text/html"}},
			IntervalSeconds: 60, TimeoutMs: 5000, RecoveryThreshold: 1, DowntimeThreshold: 3, ResponseCaptureEnabled: true,
			DateCreated: s.ago(90 * day)},
		{ID: UptimePublicAPIID, Name: "Public API", URL: "https://api.acme.example/v1/status", Method: "POST",
			project: acme.project("api"), Status: "active", UptimeStatus: 2, Environment: "production",
			owner:   &actor{"team", acme.teamByRef("platform").ID},
			headers: [][2]string{{"Accept", "application/json"}, {"Authorization", "Bearer uptime-header-secret"}, {"X-Api-Key", "uptime-key-secret"}},
			body:    &body, IntervalSeconds: 300, TimeoutMs: 10000, RecoveryThreshold: 2, DowntimeThreshold: 3,
			TraceSampling: true, ResponseCaptureEnabled: true, DateCreated: s.ago(40 * day)},
		{ID: UptimeStagingID, Name: "Checkout (staging)", URL: "https://staging.acme.example/checkout", Method: "GET",
			project: acme.project("checkout"), Status: "disabled", UptimeStatus: 1, Environment: "staging",
			IntervalSeconds: 600, TimeoutMs: 5000, RecoveryThreshold: 1, DowntimeThreshold: 3, DateCreated: s.ago(20 * day)},
		{ID: UptimeBackendID, Name: "Backend health", URL: "https://backend.globex.example/healthz", Method: "GET",
			project: globex.project("backend"), Status: "active", UptimeStatus: 1, Environment: "production",
			owner: &actor{"team", globex.teamByRef("core").ID}, IntervalSeconds: 60, TimeoutMs: 3000,
			RecoveryThreshold: 1, DowntimeThreshold: 2, DateCreated: s.ago(200 * day)},
	}
	for _, u := range m.uptime {
		s.uptimeChecks(u)
	}

	m.repos[acme] = []*repo{
		{ID: "101", Name: "acme/web-frontend", Provider: "integrations:github", ProviderName: "GitHub", IntegrationID: "1"},
		{ID: "102", Name: "acme/checkout-service", Provider: "integrations:github", ProviderName: "GitHub", IntegrationID: "1"},
		{ID: "103", Name: "acme-labs/api", Provider: "integrations:gitlab", ProviderName: "GitLab", IntegrationID: "2"},
	}
	m.repos[globex] = []*repo{
		{ID: "201", Name: "globex/mobile-ios", Provider: "integrations:github", ProviderName: "GitHub", IntegrationID: "3"},
	}

	if is := s.w.issueInOrg(acme, "CHECKOUT-1A"); is != nil {
		m.autofix[is] = &autofixRun{ID: 21831, Status: AutofixCompleted, started: s.ago(20 * time.Hour), seeded: true}
	}

	m.onboarding[OnboardingRunToken] = &onboardingRun{
		org: acme, RunID: "2d27f6654b754dcaa2d26af18274d142", ChannelID: "6835652362204cb1b10719783c26983a",
		RunStatus: "active", Created: s.ago(10 * time.Minute), Updated: s.ago(10 * time.Minute), Until: s.ago(10 * time.Minute).Add(day),
	}
}

// uptimeChecks seeds a monitor's last 12 checks: a failing monitor has
// been timing out for its last four.
func (s *seeder) uptimeChecks(u *uptimeMonitor) {
	every := time.Duration(u.IntervalSeconds) * time.Second
	last := s.now.Truncate(every).Add(-every)
	for i := range 12 {
		at := last.Add(-time.Duration(i) * every)
		c := uptimeCheck{ID: fmt.Sprintf("chk_%s_%02d", u.ID[len(u.ID)-4:], i), Status: "success", At: at.Add(13 * time.Second),
			HTTPStatus: 200, DurationMs: 80 + s.rnd.IntN(120), TraceID: s.hex(32), Environment: u.Environment}
		if u.UptimeStatus == 2 && i < 4 {
			c.Status, c.Reason, c.HTTPStatus, c.DurationMs, c.Incident = "failure_incident", "timeout", 0, u.TimeoutMs, 1
		}
		u.checks = append(u.checks, c)
	}
}

// teamsOf lists the teams with access to p, its owning team first.
func (w *world) teamsOf(p *project) []*team {
	if ts := w.mgmt.projectTeams[p]; len(ts) > 0 {
		return ts
	}
	return []*team{p.team}
}

func (w *world) setTeams(p *project, ts []*team) {
	w.mgmt.projectTeams[p] = ts
	if len(ts) > 0 {
		p.team = ts[0]
	}
}

func (w *world) projectHasTeam(p *project, t *team) bool { return slices.Contains(w.teamsOf(p), t) }

func (w *world) newID() string {
	id := w.mgmt.nextID
	w.mgmt.nextID++
	return fmt.Sprint(id)
}

// audit records a change; callers hold Fake.mu.
func (f *Fake) audit(c *call, event, target string, data map[string]any) {
	f.w.mgmt.audit = append(f.w.mgmt.audit, AuditEntry{
		Time: f.dataClock(), Org: c.org.Slug, UserID: c.user.ID, Event: event, Target: target, Data: maps.Clone(data),
	})
}

// AuditLog returns the changes made through the API so far, oldest first.
func (f *Fake) AuditLog() []AuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.w.mgmt.audit)
	for i := range out {
		out[i].Data = maps.Clone(out[i].Data)
	}
	return out
}

// ScriptAutofix sets how the next Seer autofix run started on an issue (by
// short id or numeric id) unfolds, and forgets any run it has, so the next
// state read answers {"autofix": null}.
func (f *Fake) ScriptAutofix(org, issue string, s AutofixScript) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.w.org(org)
	if o == nil {
		return fmt.Errorf("sentrytest: ScriptAutofix: no organization %q", org)
	}
	is := f.w.issueInOrg(o, issue)
	if is == nil {
		return fmt.Errorf("sentrytest: ScriptAutofix: no issue %q in %s", issue, org)
	}
	f.w.mgmt.autofixScripts[is] = s
	delete(f.w.mgmt.autofix, is)
	return nil
}

// teamRefs are the short forms of the teams with access to p.
func (f *Fake) teamRefs(p *project) []obj {
	refs := []obj{}
	for _, t := range f.w.teamsOf(p) {
		refs = append(refs, teamRef(t))
	}
	return refs
}
