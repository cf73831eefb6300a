package sentrytest

import (
	"maps"
	"net/url"
	"slices"
	"time"
)

// Request is one API call the fake received (paths under /api/0/). It
// names the caller by user id and token fingerprint, never by token.
type Request struct {
	Time             time.Time
	Region           string // server that received it: "us" or "de"
	Method           string
	Path             string // unescaped, e.g. /api/0/organizations/acme/releases/web@1.2.3+build.4/
	Query            url.Values
	UserID           string // "" when the token was missing or unknown
	TokenFingerprint string // Fingerprint(token); "" without a bearer token
	Status           int    // 0 when a Reset fault dropped the connection
	Fault            bool   // answered by an injected fault
}

// Requests returns the API requests received so far, in completion order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.requests)
	for i := range out {
		out[i].Query = maps.Clone(out[i].Query)
	}
	return out
}

// ClearRequests empties the request log.
func (f *Fake) ClearRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}
