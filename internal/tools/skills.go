package tools

import (
	"fmt"
	"slices"
	"strings"
)

// Skills are @sentry/mcp-server's names for what a session may do
// (--skills, MCP_SKILLS). lookout maps each onto its permissions:
//
//	inspect             read and docs (the reference's inspect holds its
//	                    docs tools too)
//	seer                seer
//	triage              triage
//	project-management  project-management
//	docs                docs (deprecated in the reference, still accepted)
//
// Read is always granted: every session may look. Unlike the reference,
// whose stdio default is every active skill, lookout's default is
// read-only (DefaultSkills); write skills are granted only when asked for.
var skillPermissions = map[string][]Permission{
	"inspect":            {Read, Docs},
	"seer":               {Seer},
	"triage":             {Triage},
	"project-management": {ProjectManagement},
	"docs":               {Docs},
}

// Skills lists every skill name, in the reference's order.
var Skills = []string{"inspect", "seer", "docs", "triage", "project-management"}

// ActiveSkills are what --all-skills grants: every skill but the
// deprecated docs (whose tools inspect includes).
var ActiveSkills = []string{"inspect", "seer", "triage", "project-management"}

// DefaultSkills are granted when no skill or permission is asked for.
var DefaultSkills = []string{"inspect"}

// SkillOf names the skill that grants p.
func SkillOf(p Permission) string {
	if p == Read {
		return "inspect"
	}
	for _, s := range Skills {
		if slices.Contains(skillPermissions[s], p) && s != "inspect" {
			return s
		}
	}
	return string(p)
}

// ParseSkills reads a comma list of skill names ("inspect,triage"). An
// unknown name is an error that names the closest skill.
func ParseSkills(list string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		s := strings.ToLower(strings.TrimSpace(f))
		switch {
		case s == "":
		case skillPermissions[s] != nil:
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		default:
			hint := ""
			if c := Closest(s, Skills); c != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", c)
			}
			return nil, fmt.Errorf("unknown skill %q%s: the skills are %s", strings.TrimSpace(f), hint, strings.Join(Skills, ", "))
		}
	}
	return out, nil
}

// SkillPermissions returns the permissions skills grant, read always
// included, in AllPermissions order.
func SkillPermissions(skills []string) []Permission {
	out := []Permission{Read}
	for _, p := range AllPermissions {
		for _, s := range skills {
			if slices.Contains(skillPermissions[s], p) && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// Closest returns the candidate nearest to word by edit distance, or ""
// when none is near enough to be a likely typo. Messages use it to
// suggest a name: skills here, flags in cmd/lookout.
func Closest(word string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(best)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
