package tools

import "testing"

func TestParseResourceURL(t *testing.T) {
	const cloud = "https://sentry.io"
	good := []struct {
		url, base string
		want      resource
	}{
		{"https://acme.sentry.io/issues/WEB-1A/", cloud, resource{Kind: "issue", Org: "acme", IssueID: "WEB-1A"}},
		{"https://acme.sentry.io/issues/6916805731/?project=45&query=is%3Aunresolved", cloud, resource{Kind: "issue", Org: "acme", IssueID: "6916805731"}},
		{"https://sentry.io/organizations/acme/issues/123/", cloud, resource{Kind: "issue", Org: "acme", IssueID: "123"}},
		{"https://ACME.Sentry.io/issues/123/events/c49541c747cb4d8aa3efb70ca5aba243/", cloud, resource{Kind: "event", Org: "acme", IssueID: "123", EventID: "c49541c747cb4d8aa3efb70ca5aba243"}},
		{"https://acme.sentry.io/performance/trace/4bf92f3577b34da6a3ce929d0e0e4736/", cloud, resource{Kind: "trace", Org: "acme", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}},
		{"https://acme.sentry.io/explore/traces/trace/4BF92F3577B34DA6A3CE929D0E0E4736/", cloud, resource{Kind: "trace", Org: "acme", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}},
		{"https://sentry.io/organizations/acme/releases/web%401.2.3%2Bbuild.4/", cloud, resource{Kind: "release", Org: "acme", Release: "web@1.2.3+build.4"}},
		{"https://sentry.io/organizations/acme/releases/api%40release%2F3.4/", cloud, resource{Kind: "release", Org: "acme", Release: "api@release/3.4"}},
		{"https://us.sentry.io/organizations/acme/issues/1/", cloud, resource{Kind: "issue", Org: "acme", IssueID: "1"}},
		{"http://127.0.0.1:9000/organizations/acme/issues/42/", "http://127.0.0.1:9000", resource{Kind: "issue", Org: "acme", IssueID: "42"}},
		{"https://sentry.example.com/organizations/acme/projects/web/", "https://sentry.example.com", resource{Kind: "project", Org: "acme", Project: "web"}},
	}
	for _, c := range good {
		got, err := parseResourceURL(c.url, c.base)
		if err != nil || got != c.want {
			t.Errorf("parseResourceURL(%q) = %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
	bad := []string{
		"",
		"WEB-1A",
		"/organizations/acme/issues/1/",
		"ftp://sentry.io/organizations/acme/issues/1/",
		"https://evil.com/organizations/acme/issues/1/",
		"https://sentry.io.evil.com/organizations/acme/issues/1/",
		"https://evilsentry.io/organizations/acme/issues/1/",
		"https://sentry.io@evil.com/organizations/acme/issues/1/",
		"https://user@sentry.io/organizations/acme/issues/1/",
		"https://sentry.io:8443/organizations/acme/issues/1/",
		"http://sentry.io/organizations/acme/issues/1/",
		"https://a.b.sentry.io/issues/1/",
		"https://sentry.io/issues/1/", // no organization
		"https://acme.sentry.io/organizations/other/issues/1/",
		"https://acme.sentry.io/issues/../../api/0/",
		"https://acme.sentry.io/issues/%2e%2e/",
		"https://acme.sentry.io/issues/1%2F2/",
		"https://acme.sentry.io/issues/1/events/not-an-id/",
		"https://acme.sentry.io/performance/trace/xyz/",
		"https://acme.sentry.io/settings/",
		"https://acme.sentry.io/issues/<script>/",
	}
	for _, raw := range bad {
		if got, err := parseResourceURL(raw, cloud); err == nil {
			t.Errorf("parseResourceURL(%q) = %+v, want an error", raw, got)
		}
	}
}

func TestParseSentryLink(t *testing.T) {
	t.Parallel()
	const base = "https://sentry.io"
	for _, tt := range []struct {
		raw  string
		want SentryLink
		bad  bool
	}{
		{raw: "https://sentry.io/organizations/acme/issues/WEB-1A/", want: SentryLink{Kind: "issue", Org: "acme", IssueID: "WEB-1A"}},
		{raw: "https://acme.sentry.io/issues/123/events/0123456789abcdef0123456789abcdef/", want: SentryLink{Kind: "event", Org: "acme", IssueID: "123", EventID: "0123456789abcdef0123456789abcdef"}},
		{raw: "https://acme.sentry.io/performance/trace/0123456789ABCDEF0123456789abcdef/", want: SentryLink{Kind: "trace", Org: "acme", TraceID: "0123456789abcdef0123456789abcdef"}},
		{raw: "https://sentry.io.evil.example/organizations/acme/issues/1/", bad: true},
		{raw: "https://user@sentry.io/organizations/acme/issues/1/", bad: true},
	} {
		got, err := ParseSentryLink(tt.raw, base)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: accepted as %+v", tt.raw, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.raw, got, err, tt.want)
		}
	}
}
