package sentrytest

import "time"

// The in-memory world the fake serves. Seed builds it once per Fake; the
// API handlers read it (and the few write endpoints change it) under Fake.mu.
// Slices keep seed order so every listing is deterministic.

type world struct {
	users    []*user
	orgs     []*org
	issues   []*issue // every org, seed order
	spans    []*span  // every org
	logs     []*logItem
	nextNote int // activity ids for notes and status changes
	mgmt     *manageState
	inspect  map[*org]*inspectData // dashboards, alerts, replays... (seed_inspect.go)
}

type user struct {
	ID, Username, Name, Email string
	DateJoined                time.Time
}

type membership struct {
	userID string
	role   string // "owner" or "member"
}

type org struct {
	ID, Slug, Name string
	Region         string // "us" (main server) or "de"
	DateCreated    time.Time
	members        []membership
	teams          []*team
	projects       []*project
	releases       []*release // newest first
	monitors       []*monitor
}

type team struct {
	ID, Slug, Name string
	org            *org
	members        []string // user ids
	DateCreated    time.Time
}

type project struct {
	ID, Slug, Name string
	Platform       string
	org            *org
	team           *team
	DateCreated    time.Time
	KeyID          string
	KeyPublic      string
	KeySecret      string
	nextShortID    int
}

type deploy struct {
	ID, Environment, Name string
	DateStarted           time.Time
	DateFinished          time.Time
}

type release struct {
	ID           int64
	Version      string
	org          *org
	projects     []*project
	DateCreated  time.Time
	DateReleased time.Time
	CommitCount  int
	Ref          string
	lastDeploy   *deploy
	deployCount  int
}

type monitorEnv struct {
	ID, Name, Status string
	LastCheckIn      time.Time
	NextCheckIn      time.Time
}

type monitor struct {
	ID, Slug, Name, Status string
	project                *project
	owner                  *team
	DateCreated            time.Time
	ScheduleType           string // "crontab" or "interval"
	Crontab                string
	IntervalValue          int
	IntervalUnit           string
	CheckinMargin          int
	MaxRuntime             int
	envs                   []monitorEnv
}

// actor is an issue assignee: a user or a team.
type actor struct {
	kind string // "user" or "team"
	id   string
}

type tagValue struct {
	Value     string
	Name      string // display name; the value itself except for users
	Count     int
	FirstSeen time.Time
	LastSeen  time.Time
}

// tagStat is the distribution of one tag key over an issue's events.
type tagStat struct {
	Key          string
	Name         string
	TotalValues  int // events carrying the key
	UniqueValues int
	values       []*tagValue // most frequent first
}

type activity struct {
	ID          string
	Type        string
	userID      string // "" for system activity
	Data        map[string]any
	DateCreated time.Time
}

type frame struct {
	Filename, AbsPath, Module, Function string
	LineNo, ColNo                       int
	InApp                               bool
	Context                             [][2]any // [[lineNo, "source"], ...]
}

type breadcrumb struct {
	Timestamp time.Time
	Type      string
	Category  string
	Level     string
	Message   string
	Data      map[string]any
}

type issue struct {
	ID, ShortID string
	project     *project
	Title       string
	Culprit     string
	Level       string
	Status      string // unresolved, resolved, ignored
	Substatus   string // "" means null
	Platform    string
	Logger      string
	// ExcType/ExcValue describe the exception; both empty for message issues.
	ExcType, ExcValue string
	Message           string // message issues only
	Function          string
	Filename          string
	Count             int
	UserCount         int
	FirstSeen         time.Time
	LastSeen          time.Time
	assignee          *actor
	firstRelease      *release
	lastRelease       *release
	IsUnhandled       bool
	Priority          string
	HasSeen           bool
	IsBookmarked      bool
	ignore            map[string]int // conditions of an ignore: ignoreDuration, ignoreCount...
	events            []*event       // oldest first
	tags              []*tagStat
	activity          []*activity // oldest first
	stats24h          []int       // 24 hourly buckets, oldest first
	stats30d          []int       // 30 daily buckets, oldest first
}

type eventUser struct {
	ID, Email, Username, IPAddress string
	Country                        string
}

type eventRequest struct {
	Method, URL string
	Headers     [][2]string
}

type event struct {
	ID           string
	issue        *issue
	project      *project
	DateCreated  time.Time
	DateReceived time.Time
	Environment  string
	Release      *release
	TraceID      string
	SpanID       string
	Transaction  string
	Handled      bool
	Mechanism    string
	User         eventUser
	frames       []frame // oldest call first, crashing frame last
	breadcrumbs  []breadcrumb
	request      *eventRequest
	tags         [][2]string // sorted by key
	contexts     map[string]any
	SDKName      string
	SDKVersion   string
	Size         int
}

type span struct {
	SpanID       string
	ParentSpanID string // "" for the trace root
	TraceID      string
	project      *project
	Op           string
	Description  string
	Status       string
	Start, End   time.Time
	IsSegment    bool   // the root span of a transaction
	SegmentID    string // event id of the transaction this span belongs to
	Transaction  string
	SDKName      string
	Environment  string
	Release      string
	Tags         map[string]string
}

type logItem struct {
	ID          string
	project     *project
	Timestamp   time.Time
	Severity    string
	Message     string
	TraceID     string
	Logger      string
	Environment string
	Release     string
}
