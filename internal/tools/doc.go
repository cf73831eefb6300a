package tools

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// Doc renders the whole catalog as the markdown of docs/tools.md.
func Doc() string {
	var b strings.Builder
	b.WriteString("# Tools\n\n")
	b.WriteString("<!-- Generated from internal/tools by `go test ./internal/tools -run TestToolsDoc -update`. Do not edit. -->\n\n")
	b.WriteString("lookout's tool catalog, shared by the MCP server and the Slack bot. Names and parameters are those of\n")
	b.WriteString("`@sentry/mcp-server` 0.39.0, so prompts written for it work.\n\n")
	b.WriteString("**Listed and reachable.** An MCP client's `tools/list` shows the tools marked *listed* below (the ones\n")
	b.WriteString("investigations start with) and the two wrappers; every other tool of the session is found with\n")
	b.WriteString("`search_sentry_tools` and run with `execute_sentry_tool`, or called by name. That keeps the tool list a\n")
	b.WriteString("model loads small without losing any tool.\n\n")
	b.WriteString("**Permissions and skills.** Read-only tools are always offered. The others need a permission:\n")
	b.WriteString("`triage` (update issues, add notes), `seer`, `docs`, `project-management`. `lookout mcp` takes them as\n")
	b.WriteString("`--permissions=read,triage` or as the reference's skills (`--skills=inspect,triage`, `MCP_SKILLS`,\n")
	b.WriteString("`--all-skills`, `--disable-skills`): inspect = read and docs, triage, seer, project-management and docs\n")
	b.WriteString("map to the permission of the same name. Without any of them a session is read-only (inspect). Over\n")
	b.WriteString("OAuth the `triage` scope grants triage. Calling a tool the session's permissions hide answers with the\n")
	b.WriteString("permission it needs and how to enable it.\n\n")
	b.WriteString("**Pins.** Pinning an organization or project (`--organization-slug`, `--project-slug`, or an MCP URL\n")
	b.WriteString("`/mcp/{org}[/{project}]`) removes those parameters and fills them in.\n\n")
	catalog := Catalog(Options{Permissions: AllPermissions})
	b.WriteString("| tool | listed | kind | permission (skill) | Sentry scopes |\n| --- | --- | --- | --- | --- |\n")
	for _, t := range catalog {
		listed := ""
		if t.Listed {
			listed = "listed"
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s (%s) | %s |\n", t.Name, t.Name, listed, kindOf(t), t.Permission, SkillOf(t.Permission), strings.Join(t.Scopes, " "))
	}
	for _, t := range catalog {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Name)
		fmt.Fprintf(&b, "%s. %s\n\n", t.Title, firstParagraph(t.Description))
		s := t.InputSchema()
		if len(s.Properties) == 0 {
			b.WriteString("No parameters.\n")
			continue
		}
		b.WriteString("| parameter | type | required | description |\n| --- | --- | --- | --- |\n")
		for _, name := range paramOrder(s) {
			p := s.Properties[name]
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, typeDoc(p), yesNo(slices.Contains(s.Required, name)), cell(describe(p)))
		}
	}
	return b.String()
}

func kindOf(t Tool) string {
	switch {
	case t.ReadOnly && t.Permission == Read:
		return "read-only"
	case t.ReadOnly:
		return "read-only (" + string(t.Permission) + ")"
	case t.Permission == Read:
		return "write (read)"
	}
	return "write (" + string(t.Permission) + ")"
}

func firstParagraph(s string) string {
	p, _, _ := strings.Cut(s, "\n\n")
	return strings.Join(strings.Fields(p), " ")
}

// paramOrder is the struct's field order, then any others by name.
func paramOrder(s *jsonschema.Schema) []string {
	var names []string
	for _, n := range s.PropertyOrder {
		if _, ok := s.Properties[n]; ok {
			names = append(names, n)
		}
	}
	for _, n := range sortedNames(s.Properties) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func sortedNames(m map[string]*jsonschema.Schema) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func typeDoc(p *jsonschema.Schema) string {
	var types []string
	add := func(t string) {
		if t == "array" && p.Items != nil {
			t = typeDoc(p.Items) + "[]"
		}
		if t != "" && t != "null" && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	add(p.Type)
	for _, t := range p.Types {
		add(t)
	}
	for _, b := range p.AnyOf {
		add(typeDoc(b))
	}
	out := strings.Join(types, " or ")
	if len(p.Enum) > 0 {
		var vals []string
		for _, v := range p.Enum {
			vals = append(vals, fmt.Sprintf("`%v`", v))
		}
		out += ": " + strings.Join(vals, ", ")
	}
	return out
}

func describe(p *jsonschema.Schema) string {
	d := p.Description
	if len(p.Default) > 0 && string(p.Default) != "null" {
		d += " Default: `" + string(p.Default) + "`."
	}
	return d
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
