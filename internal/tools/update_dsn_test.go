package tools

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// webKeyID is the id of acme/web's seeded key (the same in every fake).
func webKeyID(t *testing.T) string {
	t.Helper()
	f := newFixture(t)
	keys, _, err := f.env(sentrytest.AliceID, allScopes).Sentry.ListProjectKeys(context.Background(), "acme", "web", sentry.ListOptions{})
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	return keys[0].ID
}

func TestUpdateDSN(t *testing.T) {
	key := webKeyID(t)
	args := func(extra string) string {
		return fmt.Sprintf(`{"organizationSlug":"acme","projectSlug":"web","keyId":%q%s}`, key, extra)
	}
	runToolCase(t, toolCase{
		tool:     "update_dsn",
		args:     args(`,"name":"Browser","rateLimitWindow":3600,"rateLimitCount":500`),
		want:     []string{"# Updated DSN **Browser** in **acme/web**", "- Rate limit: 500 events per 3600 s", "- Status: active", "Changed: name, rate limit."},
		scope:    "project:write",
		noAccess: args(`,"isActive":false`),
		notFound: `{"organizationSlug":"acme","projectSlug":"web","keyId":"0000","isActive":false}`,
		badInput: []string{
			args(``),
			args(`,"rateLimitWindow":60`),
			args(`,"rateLimitCount":10`),
			args(`,"rateLimitWindow":60,"rateLimitCount":10,"disableRateLimit":true`),
			args(`,"disableRateLimit":false`),
			args(`,"rateLimitWindow":86401,"rateLimitCount":10`),
			args(`,"rateLimitWindow":60,"rateLimitCount":-1`),
			args(`,"name":"` + strings.Repeat("n", 65) + `"`),
			args(`,"name":"  "`),
			args(`,"browserSdkVersion":""`),
			args(`,"isActive":"no"`),
			`{"organizationSlug":"acme","projectSlug":"web","keyId":"../keys","isActive":false}`,
		},
	})
}

// Rate limits: a window and count set one; a zero in either, or
// disableRateLimit, removes it (rateLimit: null).
func TestUpdateDSNRateLimitRules(t *testing.T) {
	t.Parallel()
	key := webKeyID(t)
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	call := func(extra string) string {
		t.Helper()
		out, err := f.call(env, "update_dsn", fmt.Sprintf(`{"organizationSlug":"acme","projectSlug":"web","keyId":%q%s}`, key, extra))
		if err != nil {
			t.Fatalf("%s: %v", extra, err)
		}
		return out
	}
	lastRateLimit := func() any {
		a := auditEvents(f, "key.edit")
		v, ok := a[len(a)-1].Data["rateLimit"]
		if !ok {
			t.Fatal("the last edit sent no rateLimit")
		}
		return v
	}
	wantContains(t, call(`,"rateLimitWindow":60,"rateLimitCount":100`), "Rate limit: 100 events per 60 s")
	if rl := fmt.Sprint(lastRateLimit()); rl != "map[count:100 window:60]" {
		t.Errorf("sent rateLimit %s", rl)
	}
	wantContains(t, call(`,"rateLimitWindow":60,"rateLimitCount":0`), "Rate limit: none")
	if rl := lastRateLimit(); rl != nil {
		t.Errorf("a zero count sent rateLimit %v, want null", rl)
	}
	call(`,"rateLimitWindow":60,"rateLimitCount":100`)
	wantContains(t, call(`,"disableRateLimit":true`), "Rate limit: none", "Changed: rate limit.")
	if rl := lastRateLimit(); rl != nil {
		t.Errorf("disableRateLimit sent rateLimit %v, want null", rl)
	}
}

// Disabling shows in find_dsns; loader options are applied as given.
func TestUpdateDSNStatusAndLoader(t *testing.T) {
	t.Parallel()
	key := webKeyID(t)
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "update_dsn", fmt.Sprintf(`{"organizationSlug":"acme","projectSlug":"web","keyId":%q,"isActive":false,"browserSdkVersion":"8.x","loaderHasDebug":true,"loaderHasReplay":false}`, key))
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out, "**disabled**", "Loader script: SDK 8.x; Debug on, Performance on, Replay off", "Changed: status, browser SDK version, loader options.")
	list, err := f.call(env, "find_dsns", `{"organizationSlug":"acme","projectSlug":"web"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, list, "(disabled: events sent with it are dropped)")
	a := auditEvents(f, "key.edit")
	if len(a) != 1 || a[0].UserID != sentrytest.AliceID || a[0].Target != key || a[0].Data["hasDebug"] != true || a[0].Data["hasReplay"] != false {
		t.Errorf("audit = %+v", a)
	}
	// Sentry refuses an SDK version it does not offer; the reason reaches
	// the user.
	_, err = f.call(env, "update_dsn", fmt.Sprintf(`{"organizationSlug":"acme","projectSlug":"web","keyId":%q,"browserSdkVersion":"6.x"}`, key))
	if msg := TokenGuide(f.fake.URL).Explain(err); !strings.Contains(msg, "not a valid choice") {
		t.Errorf("guidance = %q", msg)
	}
}
