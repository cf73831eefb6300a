package sentrytest

import "strings"

// scopeDescriptions are the scopes Sentry knows, with what the consent page
// says about them.
var scopeDescriptions = map[string]string{
	"org:read":             "Read organization details",
	"org:write":            "Change organization settings",
	"org:admin":            "Administer the organization",
	"org:integrations":     "Manage integrations",
	"member:read":          "Read members",
	"member:write":         "Change members",
	"member:admin":         "Administer members",
	"member:invite":        "Invite members",
	"team:read":            "Read teams",
	"team:write":           "Change teams",
	"team:admin":           "Administer teams",
	"project:read":         "Read projects, releases and DSNs",
	"project:write":        "Change projects",
	"project:admin":        "Administer projects",
	"project:releases":     "Manage releases",
	"project:distribution": "Manage distribution",
	"event:read":           "Read issues, events, traces and tags",
	"event:write":          "Update issues (resolve, assign) and add notes",
	"event:admin":          "Delete issues and events",
	"alerts:read":          "Read alerts",
	"alerts:write":         "Change alerts",
	"openid":               "Confirm your identity",
	"profile":              "Read your name",
	"email":                "Read your email address",
}

var levelRank = map[string]int{"read": 1, "write": 2, "admin": 3}

// hasScope reports whether granted scopes satisfy want. Like Sentry,
// "x:admin" implies "x:write" implies "x:read"; other scopes match exactly.
func hasScope(granted []string, want string) bool {
	wr, wl, _ := strings.Cut(want, ":")
	for _, g := range granted {
		if g == want {
			return true
		}
		gr, gl, _ := strings.Cut(g, ":")
		if gr == wr && levelRank[wl] > 0 && levelRank[gl] >= levelRank[wl] {
			return true
		}
	}
	return false
}

func hasAnyScope(granted, wants []string) bool {
	for _, w := range wants {
		if hasScope(granted, w) {
			return true
		}
	}
	return false
}
