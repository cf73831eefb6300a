// Package tools is lookout's investigation catalog: one file per tool, each
// a typed input struct, a description written for a model, and a handler
// that answers in concise markdown. The same catalog serves MCP clients and
// the Slack bot, so it knows nothing of either; a handler gets the Sentry
// client bound to the turn's principal and never sees a token.
//
// Tool names and parameters follow @sentry/mcp-server 0.39.0, so prompts
// written for it work unchanged (compat_test.go holds us to that).
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// Permission gates which tools a caller is offered.
type Permission string

const (
	// Read tools only look. Every caller has them.
	Read Permission = "read"
	// Triage tools change issues (status, assignee, notes). Offered only
	// when the caller's permissions include triage.
	Triage Permission = "triage"
	// Seer tools run Sentry's AI analysis (Seer autofix).
	Seer Permission = "seer"
	// Docs tools search and read Sentry's documentation (not Sentry's API).
	Docs Permission = "docs"
	// ProjectManagement tools create and change projects, teams, DSNs and
	// uptime monitors.
	ProjectManagement Permission = "project-management"
)

// AllPermissions lists every permission, read first.
var AllPermissions = []Permission{Read, Triage, Seer, Docs, ProjectManagement}

// ParsePermissions reads a comma list such as "read,triage". Read is
// always included.
func ParsePermissions(s string) ([]Permission, error) {
	var ps []Permission
	for _, f := range strings.Split(s, ",") {
		switch p := Permission(strings.TrimSpace(f)); {
		case p == "":
		case slices.Contains(AllPermissions, p):
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		default:
			return nil, fmt.Errorf("unknown permission %q: use a comma list of %s", f, permissionList())
		}
	}
	if !slices.Contains(ps, Read) {
		ps = append([]Permission{Read}, ps...)
	}
	return ps, nil
}

func permissionList() string {
	names := make([]string, len(AllPermissions))
	for i, p := range AllPermissions {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// Env is what one tool call may use.
type Env struct {
	// Sentry is bound to the turn's principal.
	Sentry *sentry.Client
	// Org and Project pin the call to one organization (and project): the
	// pinned parameters are filled in and may not be overridden.
	Org, Project string
	// Docs reads Sentry's documentation for search_docs and get_doc; nil
	// means the public services (https://mcp.sentry.dev, docs.sentry.io).
	Docs *sentry.DocsClient
	// Seer paces analyze_issue_with_seer's polling; the zero value is the
	// reference server's pacing.
	Seer SeerPolling
}

// Tool is one entry of the catalog.
type Tool struct {
	Name        string
	Title       string
	Description string // written for a model: when to use it, examples
	Permission  Permission
	// Listed tools are offered by name in an MCP tools/list; the others
	// are found with search_sentry_tools and run with execute_sentry_tool
	// (or called by name), which keeps the list a client loads small.
	Listed      bool
	ReadOnly    bool // readOnlyHint
	Destructive bool // destructiveHint
	Idempotent  bool // idempotentHint
	// Scopes are the Sentry scopes the tool needs: what a reconnect must ask
	// for when Sentry says one is missing.
	Scopes []string
	// Experimental marks the tools the reference server hides under its
	// --experimental flag (the profiling tools). lookout offers them always;
	// the mark is documentation (docs/tools.md's parity table).
	Experimental bool

	// input is the full input schema, built on first use; unadvertised
	// are the parameters a pinned catalog leaves out of what it shows.
	input        *inputSchema
	unadvertised []string
	call         func(ctx context.Context, env *Env, args map[string]any) (Result, error)
}

// inputSchema is a tool's input schema, inferred from its input struct
// and resolved on first use, not when the catalog is built: that is most
// of a catalog's cost (46,000 allocations, 6 ms for all the tools), and a
// session lists a few tools and calls fewer. The catalog is immutable, so
// the schema is built once per process.
type inputSchema struct {
	once     sync.Once
	build    func() (*jsonschema.Schema, *jsonschema.Resolved)
	schema   *jsonschema.Schema
	resolved *jsonschema.Resolved
}

func (in *inputSchema) get() (*jsonschema.Schema, *jsonschema.Resolved) {
	in.once.Do(func() {
		in.schema, in.resolved = in.build()
		in.build = nil
	})
	return in.schema, in.resolved
}

// spec is what a tool file declares; newTool adds the schema and the
// decoding around its handler.
type spec struct {
	Name, Title, Description string
	Permission               Permission
	// Listed: offered by name in tools/list (see Tool.Listed). Keep it for
	// the few tools most investigations start with.
	Listed bool
	// Writes: the tool changes something in Sentry (readOnlyHint false).
	Writes                  bool
	Destructive, Idempotent bool
	Scopes                  []string
	Experimental            bool
	// Schema adjusts the schema inferred from the input struct: defaults,
	// enums, patterns, nullable types.
	Schema func(s *jsonschema.Schema)
}

// newTool builds a Tool whose input is In. The JSON Schema is inferred from
// In's json and jsonschema tags, then adjusted by s.Schema.
func newTool[In any](s spec, handler func(ctx context.Context, env *Env, in In) (string, error)) Tool {
	return newMediaTool(s, func(ctx context.Context, env *Env, in In) (Result, error) {
		text, err := handler(ctx, env, in)
		return Result{Text: text}, err
	})
}

// newMediaTool is newTool for the few tools that return images or files
// besides their text (see Result).
func newMediaTool[In any](s spec, handler func(ctx context.Context, env *Env, in In) (Result, error)) Tool {
	if s.Permission == "" {
		s.Permission = Read
	}
	build := func() (*jsonschema.Schema, *jsonschema.Resolved) {
		schema, err := jsonschema.For[In](nil)
		if err != nil {
			panic(fmt.Sprintf("tools: schema of %s: %v", s.Name, err)) // TestEverySchemaBuilds
		}
		schema.AdditionalProperties = nil // like the reference server: ignore extra keys
		if s.Schema != nil {
			s.Schema(schema)
		}
		resolved, err := schema.Resolve(nil)
		if err != nil {
			panic(fmt.Sprintf("tools: resolve schema of %s: %v", s.Name, err))
		}
		return schema, resolved
	}
	return Tool{
		Name: s.Name, Title: s.Title, Description: strings.TrimSpace(s.Description),
		Permission: s.Permission, Listed: s.Listed, ReadOnly: !s.Writes,
		Destructive: s.Destructive, Idempotent: s.Idempotent, Scopes: s.Scopes, Experimental: s.Experimental,
		input: &inputSchema{build: build},
		call: func(ctx context.Context, env *Env, args map[string]any) (Result, error) {
			var in In
			if err := decode(args, &in); err != nil {
				return Result{}, &InputError{Tool: s.Name, Problem: err.Error()}
			}
			return handler(ctx, env, in)
		},
	}
}

// InputSchema returns a copy of the tool's JSON Schema, as advertised: a
// pinned catalog leaves the pinned parameters out.
func (t Tool) InputSchema() *jsonschema.Schema {
	full, _ := t.input.get()
	s := full.CloneSchemas()
	if len(t.unadvertised) == 0 {
		return s
	}
	// CloneSchemas shares slices and maps with the original; build new
	// ones so the full schema, which validation uses, keeps its lists.
	s.Properties = maps.Clone(s.Properties)
	keep := func(name string) bool { return !slices.Contains(t.unadvertised, name) }
	s.Required = filter(s.Required, keep)
	s.PropertyOrder = filter(s.PropertyOrder, keep)
	for _, name := range t.unadvertised {
		delete(s.Properties, name)
	}
	return s
}

// Call validates args against the schema (after filling in env's pins and
// defaults) and runs the tool. Nothing reaches Sentry unless the input is
// valid. Errors are *InputError for bad input, or a *CallError wrapping
// what Sentry said, with the arguments used. The answer is the text only:
// it describes any media, which front doors that can carry them get from
// CallResult.
func (t Tool) Call(ctx context.Context, env *Env, raw json.RawMessage) (string, error) {
	res, err := t.CallResult(ctx, env, raw)
	return res.Text, err
}

// CallResult is Call with the images and files a tool returned (for MCP).
func (t Tool) CallResult(ctx context.Context, env *Env, raw json.RawMessage) (Result, error) {
	// Decoded once, as a client would have sent it (numbers as float64,
	// the only number type the validator knows); the handler's input is
	// decoded from the validated map.
	instance := map[string]any{}
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) {
		if err := json.Unmarshal(trimmed, &instance); err != nil {
			return Result{}, &InputError{Tool: t.Name, Problem: "arguments must be a JSON object: " + err.Error()}
		}
	}
	return t.callArgs(ctx, env, instance)
}

// callArgs is CallResult with the arguments decoded (execute_sentry_tool
// has them decoded already). It fills pins and defaults into instance.
func (t Tool) callArgs(ctx context.Context, env *Env, instance map[string]any) (Result, error) {
	if instance == nil {
		instance = map[string]any{}
	}
	if err := t.pin(env, instance); err != nil {
		return Result{}, err
	}
	// What the caller gave (and the pins), for messages: the defaults
	// added below are noise in "found nothing for ...".
	given := argSummary(instance)
	_, resolved := t.input.get()
	if err := resolved.ApplyDefaults(&instance); err != nil {
		return Result{}, &InputError{Tool: t.Name, Problem: err.Error()}
	}
	if err := resolved.Validate(instance); err != nil {
		return Result{}, &InputError{Tool: t.Name, Problem: explainInvalid(resolved.Schema(), instance, err)}
	}
	out, err := t.call(ctx, env, instance)
	if err != nil {
		var (
			ie *InputError
			ce *CallError
		)
		if errors.As(err, &ie) || errors.As(err, &ce) { // ce: a tool execute_sentry_tool ran
			return Result{}, err
		}
		return Result{}, &CallError{Tool: t.Name, Args: given, Err: err}
	}
	out.Text = truncate(out.Text, maxOutput)
	return out, nil
}

// Pinned parameter names, as the reference server names them.
const (
	paramOrg             = "organizationSlug"
	paramProject         = "projectSlug"
	paramProjectSlugOrID = "projectSlugOrId"
)

// pin fills the pinned organization and project into args, refusing a
// different value: a connection pinned to one org never reaches another.
func (t Tool) pin(env *Env, args map[string]any) error {
	if env == nil {
		return nil
	}
	set := func(name, value, what string) error {
		if value == "" {
			return nil
		}
		if full, _ := t.input.get(); full.Properties[name] == nil {
			return nil
		}
		if v, ok := args[name]; ok && v != nil && v != "" && v != value {
			return &InputError{Tool: t.Name, Problem: fmt.Sprintf(
				"this connection is pinned to %s %q; %s=%v is outside it. Connect without the pin to use other %ss.",
				what, value, name, v, what)}
		}
		args[name] = value
		return nil
	}
	if err := set(paramOrg, env.Org, "organization"); err != nil {
		return err
	}
	if err := set(paramProject, env.Project, "project"); err != nil {
		return err
	}
	return set(paramProjectSlugOrID, env.Project, "project")
}

// decode turns validated arguments into the handler's input struct.
func decode(args map[string]any, into any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// cleanValidation shortens the validator's message to what a caller can
// act on.
func cleanValidation(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "validating root: "); i >= 0 {
		msg = msg[i+len("validating root: "):]
	}
	return msg
}

// argSummary lists the arguments used, for error messages ("404 for
// organizationSlug=acme issueId=ACME-1").
func argSummary(args map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(args)) {
		if k == "body" { // an uptime check's request body may hold credentials
			continue
		}
		switch v := args[k].(type) {
		case nil:
		case string:
			if v != "" {
				parts = append(parts, fmt.Sprintf("%s=%q", k, shorten(v, 80)))
			}
		case bool, float64:
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return strings.Join(parts, " ")
}
