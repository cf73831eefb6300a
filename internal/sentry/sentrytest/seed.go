package sentrytest

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Well-known seed values, for tests that need to name a fixture.
const (
	AliceID = "1" // alice@example.com: member of acme (owner) and globex
	BobID   = "2" // bob@example.com: member of acme only
	CarolID = "3" // carol@example.com: a Sentry account with no organization

	OrgAcme   = "acme"   // region "us", served by the main server
	OrgGlobex = "globex" // region "de", served by the de server

	// TraceID is the seeded trace that crosses two projects (acme/web and
	// acme/checkout) and carries errors from both.
	TraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
)

// ReadScopes are the scopes lookout asks for to investigate; WriteScopes add
// what updating issues and posting notes needs.
var (
	ReadScopes  = []string{"org:read", "project:read", "team:read", "event:read"}
	WriteScopes = []string{"org:read", "project:read", "team:read", "event:read", "event:write"}
)

// DefaultNow anchors the seeded timestamps when Options.Now is zero.
var DefaultNow = time.Date(2026, time.November, 24, 12, 0, 0, 0, time.UTC)

// seedValue fixes the pseudo-random choices (counts, times, ids) so two
// fakes built with the same Options.Now serve byte-identical data.
const seedValue = 0x10c0_07ee

// seeder carries the state used while building the world.
type seeder struct {
	rnd         *rand.Rand
	now         time.Time
	w           *world
	activitySeq int
}

func newWorld(now time.Time) *world {
	s := &seeder{
		rnd: rand.New(rand.NewPCG(seedValue, seedValue>>3)),
		now: now.UTC().Truncate(time.Second),
		w:   &world{},
	}
	s.users()
	acme, globex := s.orgs()
	s.releases(acme, globex)
	s.monitors(acme, globex)
	s.issues()
	s.traces(acme, globex)
	s.manage(acme, globex)
	s.inspect(acme, globex)
	s.w.nextNote = 48000001
	return s.w
}

func (s *seeder) ago(d time.Duration) time.Time { return s.now.Add(-d) }

// hex returns n deterministic lowercase hex characters.
func (s *seeder) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[s.rnd.IntN(16)]
	}
	return string(b)
}

func (s *seeder) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rnd.Int64N(int64(hi-lo)))
}

func (s *seeder) users() {
	s.w.users = []*user{
		{ID: AliceID, Username: "alice", Name: "Alice Anderson", Email: "alice@example.com", DateJoined: s.ago(900 * 24 * time.Hour)},
		{ID: BobID, Username: "bob", Name: "Bob Brown", Email: "bob@example.com", DateJoined: s.ago(400 * 24 * time.Hour)},
		{ID: CarolID, Username: "carol", Name: "Carol Chen", Email: "carol@example.com", DateJoined: s.ago(30 * 24 * time.Hour)},
	}
}

func (s *seeder) orgs() (acme, globex *org) {
	acme = &org{
		ID: "4506000000000001", Slug: OrgAcme, Name: "Acme Corp", Region: "us",
		DateCreated: s.ago(800 * 24 * time.Hour),
		members:     []membership{{AliceID, "owner"}, {BobID, "member"}},
	}
	globex = &org{
		ID: "4506000000000002", Slug: OrgGlobex, Name: "Globex Corporation", Region: "de",
		DateCreated: s.ago(500 * 24 * time.Hour),
		members:     []membership{{AliceID, "member"}},
	}
	addTeam := func(o *org, id, slug, name string, members ...string) *team {
		t := &team{ID: id, Slug: slug, Name: name, org: o, members: members, DateCreated: o.DateCreated.Add(24 * time.Hour)}
		o.teams = append(o.teams, t)
		return t
	}
	frontend := addTeam(acme, "4506000000000011", "frontend", "Frontend", AliceID, BobID)
	payments := addTeam(acme, "4506000000000012", "payments", "Payments", AliceID)
	platform := addTeam(acme, "4506000000000013", "platform", "Platform", AliceID, BobID)
	apps := addTeam(globex, "4506000000000021", "apps", "Apps", AliceID)
	core := addTeam(globex, "4506000000000022", "core", "Core", AliceID)

	addProject := func(o *org, t *team, id, slug, name, platform string) {
		p := &project{
			ID: id, Slug: slug, Name: name, Platform: platform, org: o, team: t,
			DateCreated: o.DateCreated.Add(48 * time.Hour),
			KeyPublic:   s.hex(32), KeySecret: s.hex(32),
			nextShortID: 42, // base32 "1A": short ids start at WEB-1A
		}
		p.KeyID = p.KeyPublic
		o.projects = append(o.projects, p)
	}
	addProject(acme, frontend, "4506000000000101", "web", "web", "javascript-react")
	addProject(acme, payments, "4506000000000102", "checkout", "checkout", "python-django")
	addProject(acme, platform, "4506000000000103", "api", "api", "go")
	addProject(globex, apps, "4506000000000201", "mobile", "mobile", "apple-ios")
	addProject(globex, core, "4506000000000202", "backend", "backend", "java-spring-boot")

	s.w.orgs = []*org{acme, globex}
	return acme, globex
}

func (o *org) project(slug string) *project {
	for _, p := range o.projects {
		if p.Slug == slug {
			return p
		}
	}
	return nil
}

func (s *seeder) releases(acme, globex *org) {
	id := int64(1402755000)
	add := func(o *org, proj, version string, age time.Duration, commits int) {
		id++
		r := &release{
			ID: id, Version: version, org: o, projects: []*project{o.project(proj)},
			DateCreated: s.ago(age + 20*time.Minute), DateReleased: s.ago(age),
			CommitCount: commits, Ref: s.hex(40),
		}
		r.lastDeploy = &deploy{
			ID: fmt.Sprint(98700 + id%1000), Environment: "production", Name: "deploy " + version,
			DateStarted: r.DateReleased.Add(-6 * time.Minute), DateFinished: r.DateReleased,
		}
		r.deployCount = 1 + int(id%3)
		o.releases = append(o.releases, r)
	}
	day := 24 * time.Hour
	// Newest first, as /releases/ lists them.
	add(acme, "checkout", "checkout@2.0.0", 1*day, 14)
	add(acme, "web", "web@1.2.3+build.4", 2*day, 9)
	add(acme, "api", "api@release/3.4", 3*day, 21)
	add(acme, "web", "web@1.2.2+build.9", 9*day, 5)
	add(acme, "checkout", "checkout@1.9.1", 12*day, 3)
	add(acme, "api", "api@3.3.2", 20*day, 11)
	add(globex, "backend", "backend@2.3.0", 2*day, 17)
	add(globex, "mobile", "mobile@4.1.0+412", 4*day, 26)
	add(globex, "backend", "backend@2.2.5", 16*day, 4)
	add(globex, "mobile", "mobile@4.0.2+398", 25*day, 12)
}

// projectReleases returns the project's releases, newest first.
func (p *project) releases() []*release {
	var out []*release
	for _, r := range p.org.releases {
		for _, rp := range r.projects {
			if rp == p {
				out = append(out, r)
			}
		}
	}
	return out
}

func (s *seeder) monitors(acme, globex *org) {
	day := 24 * time.Hour
	lastNight := s.now.Truncate(day).Add(2 * time.Hour)
	if lastNight.After(s.now) {
		lastNight = lastNight.Add(-day)
	}
	acme.monitors = []*monitor{
		{
			ID: "4506000000001001", Slug: "nightly-import", Name: "Nightly Import", Status: "ok",
			project: acme.project("checkout"), owner: acme.teams[1], DateCreated: s.ago(120 * day),
			ScheduleType: "crontab", Crontab: "0 2 * * *", CheckinMargin: 5, MaxRuntime: 30,
			envs: []monitorEnv{
				{ID: "1", Name: "production", Status: "ok", LastCheckIn: lastNight.Add(13 * time.Second), NextCheckIn: lastNight.Add(day)},
				{ID: "2", Name: "staging", Status: "missed_checkin", LastCheckIn: lastNight.Add(-day + 18*time.Second), NextCheckIn: lastNight},
			},
		},
		{
			ID: "4506000000001002", Slug: "cache-warmup", Name: "Cache Warmup", Status: "error",
			project: acme.project("api"), owner: acme.teams[2], DateCreated: s.ago(60 * day),
			ScheduleType: "interval", IntervalValue: 15, IntervalUnit: "minute", CheckinMargin: 2, MaxRuntime: 10,
			envs: []monitorEnv{
				{ID: "3", Name: "production", Status: "error", LastCheckIn: s.ago(7 * time.Minute), NextCheckIn: s.ago(7 * time.Minute).Add(15 * time.Minute)},
			},
		},
	}
	weekly := lastNight.Add(90 * time.Minute)
	globex.monitors = []*monitor{
		{
			ID: "4506000000002001", Slug: "data-retention", Name: "Data Retention Sweep", Status: "ok",
			project: globex.project("backend"), owner: globex.teams[1], DateCreated: s.ago(200 * day),
			ScheduleType: "crontab", Crontab: "30 3 * * 0", CheckinMargin: 10, MaxRuntime: 120,
			envs: []monitorEnv{
				{ID: "4", Name: "production", Status: "ok", LastCheckIn: weekly.Add(-3 * day), NextCheckIn: weekly.Add(4 * day)},
			},
		},
	}
}
