package tools

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// all lists every tool. Each group lives in its own catalog_*.go file.
// The list is built once, on first use (schemas inferred and resolved,
// patterns compiled): the tools are immutable, and building them is far
// dearer than any call, so nothing on a call's path may build them again.
// Callers must not modify the tools' schemas (pinned clones them).
func all() []Tool { return catalog() }

var catalog = sync.OnceValue(func() []Tool {
	var tools []Tool
	for _, group := range [][]Tool{orgTools(), issueTools(), eventTools(), triageTools(), projectManagementTools(), seerTools(), docsTools(), inspectTools()} {
		tools = append(tools, group...)
	}
	return slices.Clip(tools)
})

// byName indexes all() for Unavailable, which runs on calls of tools a
// session does not serve.
var byName = sync.OnceValue(func() map[string]Tool {
	m := make(map[string]Tool, len(all()))
	for _, t := range all() {
		m[t.Name] = t
	}
	return m
})

// Options select what one caller is offered.
type Options struct {
	// Permissions of the caller; Read is implied.
	Permissions []Permission
	// Org and Project pin the catalog: their parameters disappear from the
	// schemas (the Env fills them in) and the tools that only list
	// organizations or projects are hidden.
	Org, Project string
	// HowToEnable says how a user of this front door gets a permission
	// they lack ("restart lookout mcp with --skills=..."), for the answer
	// to a call of a tool their permissions hide. Nil: a generic sentence.
	HowToEnable func(Permission) string
}

// Catalog returns the tools offered under opts, sorted by name: the tools
// the permissions and pins allow, and the two wrappers search_sentry_tools
// and execute_sentry_tool, which reach every one of them (Listed or not).
func Catalog(opts Options) []Tool {
	var out []Tool
	for _, t := range all() {
		if hiddenBy(opts, t) != "" {
			continue
		}
		out = append(out, t.pinned(opts.Org, opts.Project))
	}
	out = append(out, wrapperTools(slices.Clone(out), opts)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// hiddenBy says why opts hide t: "permission", "pin", or "" when t is
// offered.
func hiddenBy(opts Options, t Tool) string {
	switch {
	case t.Permission != Read && !slices.Contains(opts.Permissions, t.Permission):
		return "permission"
	case (opts.Org != "" && t.Name == "find_organizations") || (opts.Project != "" && (t.Name == "find_projects" || t.Name == "create_project")):
		return "pin"
	}
	return ""
}

// Unavailable explains why the tool named name is not in Catalog(opts): the
// permission it needs and how to get it, or the pin that makes it
// pointless. ok is false when no catalog has a tool of that name.
func Unavailable(opts Options, name string) (why string, ok bool) {
	if t, found := byName()[name]; found {
		switch hiddenBy(opts, t) {
		case "pin":
			if name == "find_organizations" {
				return fmt.Sprintf("%s is not offered on this connection: it is pinned to organization %q, which every tool uses.", name, opts.Org), true
			}
			return fmt.Sprintf("%s is not offered on this connection: it is pinned to project %q, which every tool uses.", name, opts.Project), true
		case "permission":
			how := "Ask whoever set up lookout for it."
			if opts.HowToEnable != nil {
				how = opts.HowToEnable(t.Permission)
			}
			return fmt.Sprintf("%s is not enabled in this session: it needs the %s permission (skill %s), which this session does not have. %s",
				name, t.Permission, SkillOf(t.Permission), how), true
		}
		return "", false
	}
	return "", false
}

// Find returns the tool named name from a catalog.
func Find(catalog []Tool, name string) (Tool, bool) {
	i := slices.IndexFunc(catalog, func(t Tool) bool { return t.Name == name })
	if i < 0 {
		return Tool{}, false
	}
	return catalog[i], true
}

// pinned returns t advertising a schema without the pinned parameters.
// Validation still runs against the full schema once the pins are filled.
func (t Tool) pinned(org, project string) Tool {
	var drop []string
	if org != "" {
		drop = append(drop, paramOrg)
	}
	if project != "" {
		drop = append(drop, paramProject, paramProjectSlugOrID)
	}
	if len(drop) > 0 {
		t.unadvertised = drop
	}
	return t
}

func filter(in []string, keep func(string) bool) []string {
	var out []string
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
