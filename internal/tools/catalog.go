package tools

import (
	"maps"
	"slices"
	"sort"
)

// all lists every tool. Each group lives in its own catalog_*.go file.
func all() []Tool {
	var tools []Tool
	for _, group := range [][]Tool{orgTools(), issueTools(), eventTools(), triageTools(), projectManagementTools(), seerTools(), docsTools(), inspectTools()} {
		tools = append(tools, group...)
	}
	return tools
}

// Options select what one caller is offered.
type Options struct {
	// Permissions of the caller; Read is implied.
	Permissions []Permission
	// Org and Project pin the catalog: their parameters disappear from the
	// schemas (the Env fills them in) and the tools that only list
	// organizations or projects are hidden.
	Org, Project string
}

// Catalog returns the tools offered under opts, sorted by name.
func Catalog(opts Options) []Tool {
	var out []Tool
	for _, t := range all() {
		if t.Permission != Read && !slices.Contains(opts.Permissions, t.Permission) {
			continue
		}
		if (opts.Org != "" && t.Name == "find_organizations") || (opts.Project != "" && (t.Name == "find_projects" || t.Name == "create_project")) {
			continue
		}
		out = append(out, t.pinned(opts.Org, opts.Project))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
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
	if len(drop) == 0 {
		return t
	}
	// CloneSchemas shares slices with the original; build new ones so the
	// full schema, which validation uses, keeps its required list.
	s := t.schema.CloneSchemas()
	s.Properties = maps.Clone(s.Properties)
	keep := func(name string) bool { return !slices.Contains(drop, name) }
	s.Required = filter(s.Required, keep)
	s.PropertyOrder = filter(s.PropertyOrder, keep)
	for _, name := range drop {
		delete(s.Properties, name)
	}
	t.schema = s
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
