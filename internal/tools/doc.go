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
	b.WriteString("`@sentry/mcp-server` 0.39.0. Tools of the `read` permission are always offered; the others only to callers\n")
	b.WriteString("whose permissions include theirs: `triage` (`lookout mcp --permissions=read,triage`, or the `triage` scope over\n")
	b.WriteString("OAuth), `seer`, `docs` or `project-management`.\n")
	b.WriteString("Pinning an organization or project (`--organization-slug`, `--project-slug`, or an MCP URL\n")
	b.WriteString("`/mcp/{org}[/{project}]`) removes those parameters and fills them in.\n\n")
	catalog := Catalog(Options{Permissions: everyPermission})
	b.WriteString("| tool | kind | Sentry scopes |\n| --- | --- | --- |\n")
	for _, t := range catalog {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", t.Name, t.Name, kindOf(t), strings.Join(t.Scopes, " "))
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
