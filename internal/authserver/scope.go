package authserver

import (
	"errors"
	"slices"
	"strings"
)

// lookout's scopes. "read" is the default; "triage" adds the tools that
// change issues and implies "read".
const (
	ScopeRead   = "read"
	ScopeTriage = "triage"
)

// sentryReadScopes are asked of Sentry for "read"; "triage" adds event:write.
var sentryReadScopes = []string{"org:read", "project:read", "team:read", "event:read"}

const sentryTriageScope = "event:write"

// maxScopeLen bounds a scope parameter.
const maxScopeLen = 256

var errUnknownScope = errors.New(`scope must be "read" or "read triage"`)

// parseScope returns the canonical form of a requested scope: "read" or
// "read triage". Empty means "read".
func parseScope(raw string) (string, error) {
	if len(raw) > maxScopeLen {
		return "", errUnknownScope
	}
	triage := false
	for _, f := range strings.Fields(raw) {
		switch f {
		case ScopeRead:
		case ScopeTriage:
			triage = true
		default:
			return "", errUnknownScope
		}
	}
	if triage {
		return ScopeRead + " " + ScopeTriage, nil
	}
	return ScopeRead, nil
}

// scopeCovers reports whether granted (canonical) includes every scope of
// requested (canonical).
func scopeCovers(granted, requested string) bool {
	have := strings.Fields(granted)
	for _, s := range strings.Fields(requested) {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// SentryScopes maps a lookout scope to the Sentry scopes asked for at
// consent: "read" -> org:read project:read team:read event:read, and
// "triage" anywhere in it adds event:write. Unknown words are ignored.
func (s *Server) SentryScopes(scope string) []string {
	out := slices.Clone(sentryReadScopes)
	if slices.Contains(strings.Fields(scope), ScopeTriage) {
		out = append(out, sentryTriageScope)
	}
	return out
}

// grantedScope narrows a requested lookout scope to what Sentry granted:
// "triage" needs event:write. Sentry may not list scopes in its answer, in
// which case the request stands.
func grantedScope(requested string, sentryScopes []string) string {
	if len(sentryScopes) == 0 || !strings.Contains(requested, ScopeTriage) {
		return requested
	}
	for _, g := range sentryScopes {
		if g == sentryTriageScope || g == "event:admin" {
			return requested
		}
	}
	return ScopeRead
}
