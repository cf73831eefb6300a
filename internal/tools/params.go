package tools

import "github.com/google/jsonschema-go/jsonschema"

// schemaT shortens the schema type in tool specs.
type schemaT = jsonschema.Schema

// Parameters many tools share, named as @sentry/mcp-server names them.

type orgParam struct {
	OrganizationSlug string `json:"organizationSlug" jsonschema:"Organization slug (find_organizations lists them)."`
}

type regionParam struct {
	RegionURL *string `json:"regionUrl,omitempty" jsonschema:"Usually omitted: lookout finds the organization's region."`
}

// region returns the regionUrl argument, or "".
func (r regionParam) region() string {
	if r.RegionURL == nil {
		return ""
	}
	return *r.RegionURL
}

// nullable makes property name accept null, as the reference server's
// optional parameters do, and defaults it to null.
func nullable(s *jsonschema.Schema, names ...string) {
	for _, name := range names {
		p := s.Properties[name]
		if p == nil {
			panic("tools: nullable: no property " + name)
		}
		if p.Type != "" {
			p.Types = []string{p.Type, "null"}
			p.Type = ""
		}
		p.Default = []byte("null")
	}
}

// setDefault sets the default of property name to the JSON value def.
func setDefault(s *jsonschema.Schema, name, def string) {
	p := s.Properties[name]
	if p == nil {
		panic("tools: setDefault: no property " + name)
	}
	p.Default = []byte(def)
}

// setEnum restricts property name to values.
func setEnum(s *jsonschema.Schema, name string, values ...string) {
	p := s.Properties[name]
	if p == nil {
		panic("tools: setEnum: no property " + name)
	}
	p.Enum = nil
	for _, v := range values {
		p.Enum = append(p.Enum, v)
	}
}
