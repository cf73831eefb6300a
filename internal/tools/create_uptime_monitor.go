package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type createUptimeMonitorInput struct {
	projectParams
	Name                   string     `json:"name" jsonschema:"The monitor's name (1 to 128 characters)."`
	URL                    string     `json:"url" jsonschema:"The http(s) URL to check, e.g. https://example.com/health."`
	IntervalSeconds        int        `json:"intervalSeconds" jsonschema:"Seconds between checks: 60, 300, 600, 1200, 1800 or 3600."`
	TimeoutMs              int        `json:"timeoutMs,omitempty" jsonschema:"How long a check may take, in milliseconds (1000 to 60000)."`
	Method                 string     `json:"method,omitempty" jsonschema:"The HTTP method of the check (default GET)."`
	Headers                [][]string `json:"headers,omitempty" jsonschema:"Request headers as [name, value] pairs, e.g. [[\"Accept\", \"application/json\"]]. Values are stored in Sentry and visible to project members."`
	Body                   *string    `json:"body,omitempty" jsonschema:"A request body, for methods that take one."`
	Status                 string     `json:"status,omitempty" jsonschema:"active (default) or disabled: a disabled monitor does not check and costs no quota."`
	Owner                  string     `json:"owner,omitempty" jsonschema:"Who owns it: user:<id> or team:<id> (find_teams, whoami)."`
	Environment            string     `json:"environment,omitempty" jsonschema:"The environment its issues are filed under (1 to 64 characters)."`
	TraceSampling          *bool      `json:"traceSampling,omitempty" jsonschema:"Let check requests be sampled for tracing."`
	ResponseCaptureEnabled *bool      `json:"responseCaptureEnabled,omitempty" jsonschema:"Capture the response of failed checks."`
	RecoveryThreshold      *int       `json:"recoveryThreshold,omitempty" jsonschema:"Successful checks in a row before a failing monitor counts as up again (at least 1)."`
	DowntimeThreshold      *int       `json:"downtimeThreshold,omitempty" jsonschema:"Failed checks in a row before the monitor counts as down (at least 1)."`
}

func createUptimeMonitorTool() Tool {
	return newTool(spec{
		Name:  "create_uptime_monitor",
		Title: "Create an uptime monitor",
		Description: `Create an HTTP uptime monitor: Sentry requests a URL at a fixed interval and opens an issue when it fails.

Use it when the user asks to monitor a URL. find_uptime_monitors shows what is monitored already.
Examples:
- create_uptime_monitor(organizationSlug='acme', projectSlug='api', name='API health', url='https://api.example.com/health', intervalSeconds=60)
- create_uptime_monitor(organizationSlug='acme', projectSlug='web', name='Checkout', url='https://example.com/checkout', intervalSeconds=300, timeoutMs=10000, environment='production')`,
		Permission: ProjectManagement,
		Writes:     true,
		Scopes:     []string{"project:write"},
		Schema: func(s *schemaT) {
			uptimeSchema(s)
			notNull(s, "body")
			setDefault(s, "timeoutMs", "5000")
		},
	}, func(ctx context.Context, env *Env, in createUptimeMonitorInput) (string, error) {
		const tool = "create_uptime_monitor"
		name := strings.TrimSpace(in.Name)
		if name == "" {
			return "", &InputError{Tool: tool, Problem: "name is blank"}
		}
		if in.Environment != "" && strings.TrimSpace(in.Environment) == "" {
			return "", &InputError{Tool: tool, Problem: "environment is blank: name one, e.g. production, or omit it"}
		}
		if err := checkUptimeFields(tool, name, in.URL, &in.IntervalSeconds, in.Headers); err != nil {
			return "", err
		}
		f := sentry.UptimeMonitorFields{Name: &name, URL: &in.URL, IntervalSeconds: &in.IntervalSeconds, TimeoutMs: &in.TimeoutMs,
			Body: in.Body, TraceSampling: in.TraceSampling, ResponseCaptureEnabled: in.ResponseCaptureEnabled,
			RecoveryThreshold: in.RecoveryThreshold, DowntimeThreshold: in.DowntimeThreshold}
		if in.Body != nil && *in.Body == "" {
			f.Body = nil
		}
		for _, opt := range []struct {
			v   string
			dst **string
		}{{in.Method, &f.Method}, {in.Status, &f.Status}, {in.Owner, &f.Owner}, {strings.TrimSpace(in.Environment), &f.Environment}} {
			if opt.v != "" {
				*opt.dst = &opt.v
			}
		}
		if in.Headers != nil {
			f.Headers = headerPairs(in.Headers)
		}
		org, project := in.OrganizationSlug, in.ProjectSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		m, err := env.Sentry.CreateUptimeMonitor(ctx, org, project, f)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Created uptime monitor **%s** in **%s/%s**\n\n", oneLine(m.Name), org, project)
		writeUptimeMonitor(&b, env, org, m)
		fmt.Fprintf(&b, "\nget_uptime_monitor_details(organizationSlug='%s', projectSlug='%s', uptimeMonitorId='%s') shows its checks once they run.\n", org, project, m.ID)
		return b.String(), nil
	})
}
