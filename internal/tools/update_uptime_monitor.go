package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type updateUptimeMonitorInput struct {
	projectParams
	UptimeMonitorID        string     `json:"uptimeMonitorId" jsonschema:"The monitor's id (find_uptime_monitors lists them)."`
	Name                   string     `json:"name,omitempty" jsonschema:"The new name (1 to 128 characters)."`
	URL                    string     `json:"url,omitempty" jsonschema:"The new http(s) URL to check."`
	IntervalSeconds        *int       `json:"intervalSeconds,omitempty" jsonschema:"Seconds between checks: 60, 300, 600, 1200, 1800 or 3600."`
	TimeoutMs              *int       `json:"timeoutMs,omitempty" jsonschema:"How long a check may take, in milliseconds (1000 to 60000)."`
	Method                 string     `json:"method,omitempty" jsonschema:"The HTTP method of the check."`
	Headers                [][]string `json:"headers,omitempty" jsonschema:"Replaces the request headers: [name, value] pairs; [] removes them all."`
	Body                   clearable  `json:"body" jsonschema:"The new request body; null removes it."`
	Status                 string     `json:"status,omitempty" jsonschema:"active, or disabled to stop checking (no quota used)."`
	Owner                  clearable  `json:"owner" jsonschema:"The new owner, user:<id> or team:<id>; null removes it."`
	Environment            clearable  `json:"environment" jsonschema:"The environment its issues are filed under; null removes it."`
	TraceSampling          *bool      `json:"traceSampling,omitempty" jsonschema:"Let check requests be sampled for tracing."`
	ResponseCaptureEnabled *bool      `json:"responseCaptureEnabled,omitempty" jsonschema:"Capture the response of failed checks."`
	RecoveryThreshold      *int       `json:"recoveryThreshold,omitempty" jsonschema:"Successful checks in a row before it counts as up again (at least 1)."`
	DowntimeThreshold      *int       `json:"downtimeThreshold,omitempty" jsonschema:"Failed checks in a row before it counts as down (at least 1)."`
}

// clearable is an optional string argument that null clears: absent leaves
// the setting alone, null removes it, a string sets it.
type clearable struct {
	set   bool
	value *string // nil with set: clear
}

// UnmarshalJSON implements json.Unmarshaler; it runs only for a key that is
// present, null included.
func (c *clearable) UnmarshalJSON(b []byte) error {
	c.set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		c.value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	c.value = &s
	return nil
}

// field returns the value for UptimeMonitorFields: nil when absent, a
// pointer to "" to clear.
func (c clearable) field() *string {
	switch {
	case !c.set:
		return nil
	case c.value == nil:
		empty := ""
		return &empty
	}
	v := strings.TrimSpace(*c.value)
	return &v
}

// clearableSchema is a string property that also takes null, with no
// default: absent and null must stay apart.
func clearableSchema(s *schemaT, name string, str *schemaT) {
	p := s.Properties[name]
	str.Type = "string"
	s.Properties[name] = &jsonschema.Schema{Description: p.Description, AnyOf: []*jsonschema.Schema{str, {Type: "null"}}}
}

func updateUptimeMonitorTool() Tool {
	return newTool(spec{
		Name:  "update_uptime_monitor",
		Title: "Update an uptime monitor",
		Description: `Change an uptime monitor: its URL, interval, timeout, method, headers, body, owner, environment or thresholds, or disable it (status='disabled').

Use it only when the user asks. Give only what changes; null removes the body, owner or environment.
Examples:
- update_uptime_monitor(organizationSlug='acme', projectSlug='api', uptimeMonitorId='4506000000003002', intervalSeconds=60)
- update_uptime_monitor(organizationSlug='acme', projectSlug='api', uptimeMonitorId='4506000000003002', status='disabled')`,
		Permission:  ProjectManagement,
		Writes:      true,
		Destructive: true,
		Idempotent:  true,
		Scopes:      []string{"project:write"},
		Schema: func(s *schemaT) {
			notNull(s, "intervalSeconds", "timeoutMs")
			uptimeSchema(s)
			one, most := 1, 64
			s.Properties["uptimeMonitorId"].MinLength = &one
			s.Properties["uptimeMonitorId"].Pattern = `^[A-Za-z0-9_-]+$`
			s.Properties["body"] = &jsonschema.Schema{Description: s.Properties["body"].Description, Types: []string{"string", "null"}}
			clearableSchema(s, "owner", &jsonschema.Schema{MinLength: &one, Pattern: ownerPattern})
			clearableSchema(s, "environment", &jsonschema.Schema{MinLength: &one, MaxLength: &most})
			s.Required = []string{"organizationSlug", "projectSlug", "uptimeMonitorId"}
		},
	}, updateUptimeMonitor)
}

func updateUptimeMonitor(ctx context.Context, env *Env, in updateUptimeMonitorInput) (string, error) {
	const tool = "update_uptime_monitor"
	if in.Name != "" && strings.TrimSpace(in.Name) == "" {
		return "", &InputError{Tool: tool, Problem: "name is blank"}
	}
	if in.Environment.set && in.Environment.value != nil && strings.TrimSpace(*in.Environment.value) == "" {
		return "", &InputError{Tool: tool, Problem: "environment is blank: name one, or pass null to remove it"}
	}
	if err := checkUptimeFields(tool, in.Name, in.URL, in.IntervalSeconds, in.Headers); err != nil {
		return "", err
	}
	f := sentry.UptimeMonitorFields{IntervalSeconds: in.IntervalSeconds, TimeoutMs: in.TimeoutMs,
		Body: in.Body.field(), Owner: in.Owner.field(), Environment: in.Environment.field(),
		TraceSampling: in.TraceSampling, ResponseCaptureEnabled: in.ResponseCaptureEnabled,
		RecoveryThreshold: in.RecoveryThreshold, DowntimeThreshold: in.DowntimeThreshold}
	if in.Body.set && in.Body.value != nil {
		f.Body = in.Body.value // bodies keep their whitespace
	}
	var changed []string
	for _, opt := range []struct {
		name, v string
		dst     **string
	}{{"name", strings.TrimSpace(in.Name), &f.Name}, {"url", in.URL, &f.URL}, {"method", in.Method, &f.Method}, {"status", in.Status, &f.Status}} {
		if opt.v != "" {
			*opt.dst = &opt.v
			changed = append(changed, opt.name)
		}
	}
	if in.Headers != nil {
		f.Headers = headerPairs(in.Headers)
		changed = append(changed, "headers")
	}
	for _, opt := range []struct {
		name string
		set  bool
	}{{"interval", in.IntervalSeconds != nil}, {"timeout", in.TimeoutMs != nil}, {"body", in.Body.set}, {"owner", in.Owner.set},
		{"environment", in.Environment.set}, {"trace sampling", in.TraceSampling != nil}, {"response capture", in.ResponseCaptureEnabled != nil},
		{"recovery threshold", in.RecoveryThreshold != nil}, {"downtime threshold", in.DowntimeThreshold != nil}} {
		if opt.set {
			changed = append(changed, opt.name)
		}
	}
	if len(changed) == 0 {
		return "", &InputError{Tool: tool, Problem: "give at least one setting to change (name, url, intervalSeconds, timeoutMs, method, headers, body, status, owner, environment, traceSampling, responseCaptureEnabled, recoveryThreshold, downtimeThreshold)"}
	}
	org, project := in.OrganizationSlug, in.ProjectSlug
	if err := useRegionArg(env, org, in.regionParam); err != nil {
		return "", err
	}
	m, err := env.Sentry.UpdateUptimeMonitor(ctx, org, project, in.UptimeMonitorID, f)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Updated uptime monitor **%s** in **%s/%s**\n\n", oneLine(m.Name), org, project)
	writeUptimeMonitor(&b, env, org, m)
	fmt.Fprintf(&b, "\nChanged: %s.\n", strings.Join(changed, ", "))
	return b.String(), nil
}
