package tools

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// What the uptime tools share: the parameters create and update take, their
// checks, and how a monitor is shown without its secrets.

// uptimeIntervals are the check intervals Sentry accepts, in seconds.
var uptimeIntervals = []int{60, 300, 600, 1200, 1800, 3600}

var uptimeMethods = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"}

// uptimeSchema sets the constraints create_uptime_monitor and
// update_uptime_monitor share.
func uptimeSchema(s *schemaT) {
	nullable(s, "regionUrl")
	notNull(s, "headers", "traceSampling", "responseCaptureEnabled", "recoveryThreshold", "downtimeThreshold")
	withSlugPattern(s, "organizationSlug", "projectSlug")
	one, name, env := 1, 128, 64
	s.Properties["name"].MinLength, s.Properties["name"].MaxLength = &one, &name
	s.Properties["url"].Format = "uri"
	setEnum(s, "method", uptimeMethods...)
	setEnum(s, "status", "active", "disabled")
	lo, hi := 1000.0, 60000.0
	s.Properties["timeoutMs"].Minimum, s.Properties["timeoutMs"].Maximum = &lo, &hi
	least := 1.0
	s.Properties["recoveryThreshold"].Minimum = &least
	s.Properties["downtimeThreshold"].Minimum = &least
	two := 2
	pair := s.Properties["headers"].Items
	pair.MinItems, pair.MaxItems = &two, &two
	if p := s.Properties["environment"]; p.Type == "string" {
		p.MinLength, p.MaxLength = &one, &env
	}
	if p := s.Properties["owner"]; p.Type == "string" {
		p.MinLength, p.Pattern = &one, ownerPattern
	}
}

// ownerPattern is an uptime monitor's owner: user:<id> or team:<id>.
const ownerPattern = `^(user|team):.+$`

// checkUptimeFields checks what the schema cannot: the interval, the URL
// and the headers. Zero values are not given.
func checkUptimeFields(tool string, name, rawURL string, interval *int, headers [][]string) error {
	bad := func(p string) error { return &InputError{Tool: tool, Problem: p} }
	if name != "" && strings.TrimSpace(name) == "" {
		return bad("name is blank")
	}
	if rawURL != "" {
		u, err := url.Parse(rawURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return bad(fmt.Sprintf("url %q is not an http(s) URL like https://example.com/health", rawURL))
		case u.User != nil:
			return bad("url must not hold credentials: send them as a header (they are then stored as Sentry headers, visible to project members)")
		}
	}
	if interval != nil && !slices.Contains(uptimeIntervals, *interval) {
		return bad(fmt.Sprintf("intervalSeconds %d is not allowed: use 60, 300, 600, 1200, 1800 or 3600", *interval))
	}
	for _, h := range headers {
		if len(h) != 2 || strings.TrimSpace(h[0]) == "" {
			return bad(`each header is a [name, value] pair with a name, e.g. ["Accept", "application/json"]`)
		}
		if strings.ContainsAny(h[0]+h[1], "\r\n") || strings.ContainsAny(h[0], ": ") {
			return bad(fmt.Sprintf("header %q is malformed: no line breaks, and no ':' or spaces in the name", h[0]))
		}
	}
	return nil
}

func headerPairs(hs [][]string) [][2]string {
	out := make([][2]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, [2]string{strings.TrimSpace(h[0]), h[1]})
	}
	return out
}

// sensitiveHeader reports whether a header's value must not be shown:
// credentials, cookies, API keys.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "cookie", "set-cookie", "x-csrf-token", "x-sentry-auth", "x-auth-token":
		return true
	}
	for _, part := range []string{"authorization", "api-key", "apikey", "token", "secret", "password", "session"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// uptimeStatusText names an uptime status as Sentry reports it: 1 up, 2
// failing.
func uptimeStatusText(s sentry.FlexInt) string {
	switch s {
	case 1:
		return "up"
	case 2:
		return "failing"
	}
	return "unknown"
}

func seconds(n sentry.FlexInt) string {
	d := time.Duration(n) * time.Second
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d s", n)
}

func millis(n sentry.FlexInt) string {
	if n%1000 == 0 {
		return fmt.Sprintf("%d s", n/1000)
	}
	return fmt.Sprintf("%d ms", n)
}

// uptimeWebURL links a monitor's page in Sentry.
func uptimeWebURL(env *Env, org string, m *sentry.UptimeMonitor) string {
	return orgWebURL(env, org, "alerts", "rules", "uptime", orDefault(m.ProjectSlug, "-"), string(m.ID), "details")
}

// writeUptimeMonitor renders a monitor's configuration. Header values that
// look like credentials and the request body are never shown.
func writeUptimeMonitor(b *strings.Builder, env *Env, org string, m *sentry.UptimeMonitor) {
	fmt.Fprintf(b, "- Id: %s · Project: %s · Status: %s · Currently: %s\n", m.ID, orDefault(m.ProjectSlug, "unknown"),
		orDefault(m.Status, "unknown"), uptimeStatusText(m.UptimeStatus))
	fmt.Fprintf(b, "- Checks %s %s every %s, timeout %s\n", orDefault(m.Method, "GET"), m.URL, seconds(m.IntervalSeconds),
		millis(m.TimeoutMs))
	if m.DowntimeThreshold > 0 || m.RecoveryThreshold > 0 {
		fmt.Fprintf(b, "- Thresholds: down after %d failures in a row, up again after %d successes\n", max(m.DowntimeThreshold, 1), max(m.RecoveryThreshold, 1))
	}
	fmt.Fprintf(b, "- Owner: %s · Environment: %s\n", ownerText(m.Owner), orDefault(m.Environment, "none"))
	if len(m.Headers) > 0 {
		var hs []string
		for _, h := range m.Headers {
			v := h[1]
			if sensitiveHeader(h[0]) {
				v = "[REDACTED]"
			}
			hs = append(hs, oneLine(h[0])+": "+shorten(oneLine(v), 80))
		}
		fmt.Fprintf(b, "- Headers: %s\n", strings.Join(hs, "; "))
	}
	if m.Body != nil && *m.Body != "" {
		fmt.Fprintf(b, "- Body: set (%d bytes, not shown)\n", len(*m.Body))
	}
	fmt.Fprintf(b, "- Trace sampling: %s · Response capture on failure: %s\n", onOff(m.TraceSampling), onOff(m.ResponseCaptureEnabled))
	fmt.Fprintf(b, "- Link: %s\n", uptimeWebURL(env, org, m))
}

func ownerText(a *sentry.Actor) string {
	if a == nil || a.ID == "" {
		return "none"
	}
	return fmt.Sprintf("%s:%s (%s)", orDefault(a.Type, "user"), a.ID, oneLine(orDefault(a.Name, a.Email)))
}
