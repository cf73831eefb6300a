package sentry

import (
	"net/url"
	"sync"
	"time"
)

// Regions remembers, for one principal, where each organization's API
// lives and which regions hold the principal's organizations. A Client
// lives for one tool call; without a Regions shared between a principal's
// clients, every call would first have to ask Sentry where the
// organization is. `lookout mcp` keeps one for the process (one token);
// the remote server keeps one per principal, with a TTL so a moved
// organization or a revoked membership is noticed.
//
// Only region URLs that passed ValidateRegionURL are stored, and every
// read validates again against the reading client's policy, so a Regions
// shared by mistake between two Sentry URLs can route nothing anywhere a
// client would not send it itself.
type Regions struct {
	ttl time.Duration
	now func() time.Time
	max int

	mu          sync.Mutex
	orgs        map[string]regionEntry // organization slug or id -> region
	userRegions []Region
	userAt      time.Time // when userRegions was stored; zero: never
}

type regionEntry struct {
	origin string // validated scheme://host[:port]
	at     time.Time
}

// maxRegionEntries bounds a Regions: a principal with more organizations
// than this simply looks some of them up again.
const maxRegionEntries = 1000

// NewRegions returns an empty cache whose entries live for ttl (0: for the
// cache's whole life).
func NewRegions(ttl time.Duration) *Regions {
	return &Regions{ttl: ttl, now: time.Now, max: maxRegionEntries, orgs: map[string]regionEntry{}}
}

func (r *Regions) fresh(at time.Time) bool {
	return r.ttl <= 0 || r.now().Sub(at) < r.ttl
}

// org returns the remembered region origin of org, or "".
func (r *Regions) org(org string) string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.orgs[org]
	if !ok {
		return ""
	}
	if !r.fresh(e.at) {
		delete(r.orgs, org)
		return ""
	}
	return e.origin
}

// setOrg remembers u as the region of every key (slug, id...).
func (r *Regions) setOrg(u *url.URL, keys ...string) {
	if r == nil || u == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.orgs)+len(keys) > r.max {
		clear(r.orgs)
	}
	e := regionEntry{origin: u.Scheme + "://" + u.Host, at: r.now()}
	for _, k := range keys {
		if k != "" {
			r.orgs[k] = e
		}
	}
}

// forget drops what is known of org, after Sentry said it is not there.
func (r *Regions) forget(org string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.orgs, org)
	r.mu.Unlock()
}

// regions returns the remembered list of the user's regions.
func (r *Regions) regions() ([]Region, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.userAt.IsZero() || !r.fresh(r.userAt) {
		return nil, false
	}
	return append([]Region(nil), r.userRegions...), true
}

func (r *Regions) setRegions(regions []Region) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.userRegions, r.userAt = append([]Region(nil), regions...), r.now()
	r.mu.Unlock()
}

// RegionCaches keeps one Regions per principal for a server that acts for
// many: bounded, each entry expiring after ttl, so memory stays flat
// whatever the number of users.
type RegionCaches struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu     sync.Mutex
	caches map[string]*regionsSlot
}

type regionsSlot struct {
	regions *Regions
	used    time.Time
}

// NewRegionCaches returns per-principal caches whose entries live for ttl,
// holding at most max principals (the least recently used is dropped).
func NewRegionCaches(ttl time.Duration, max int) *RegionCaches {
	if max <= 0 {
		max = 10000
	}
	return &RegionCaches{ttl: ttl, max: max, now: time.Now, caches: map[string]*regionsSlot{}}
}

// For returns the cache of principal, creating it if needed.
func (c *RegionCaches) For(principal string) *Regions {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if s, ok := c.caches[principal]; ok {
		s.used = now
		return s.regions
	}
	if len(c.caches) >= c.max {
		oldest, at := "", now
		for k, s := range c.caches {
			if !s.used.After(at) {
				oldest, at = k, s.used
			}
		}
		delete(c.caches, oldest)
	}
	r := NewRegions(c.ttl)
	r.now = c.now
	c.caches[principal] = &regionsSlot{regions: r, used: now}
	return r
}
