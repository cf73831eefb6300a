package version

import (
	"strings"
	"testing"
)

func TestUserAgent(t *testing.T) {
	if ua := UserAgent(); !strings.HasPrefix(ua, "lookout/"+String()+" ") {
		t.Errorf("UserAgent() = %q, want it to name version %q", ua, String())
	}
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.9.9"
	if ua := UserAgent(); ua != "lookout/v9.9.9 (+https://github.com/lookout-hq/lookout)" {
		t.Errorf("UserAgent() with Version set = %q", ua)
	}
	// Built once per process, not per Sentry request.
	if n := testing.AllocsPerRun(100, func() { _ = UserAgent() }); n != 0 {
		t.Errorf("UserAgent allocates %v times per call, want 0", n)
	}
	Version = ""
	if n := testing.AllocsPerRun(100, func() { _ = UserAgent() }); n != 0 {
		t.Errorf("UserAgent from the build info allocates %v times per call, want 0", n)
	}
}
