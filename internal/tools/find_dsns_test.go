package tools

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestFindDSNs(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "find_dsns",
		args:     `{"organizationSlug":"acme","projectSlug":"web"}`,
		want:     []string{"# DSNs of **acme/web**", "## Default", "- DSN: `http://", "/4506000000000101`", "- Key id: "},
		scope:    "project:read",
		notFound: `{"organizationSlug":"acme","projectSlug":"nope"}`,
		badInput: []string{`{"organizationSlug":"acme"}`, `{"projectSlug":"web"}`, `{"organizationSlug":"acme","projectSlug":null}`, `{"organizationSlug":"acme","projectSlug":"../web"}`},
	})
	t.Run("no access", func(t *testing.T) {
		expectNoAccessOnGlobex(t, "find_dsns", `{"organizationSlug":"globex","regionUrl":%q,"projectSlug":"mobile"}`)
	})
}

// Sentry's answer holds the secret key and a secret DSN; neither may reach
// the reply.
func TestFindDSNsNeverShowsSecrets(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("GET", f.fake.URL+"/api/0/projects/acme/web/keys/", nil)
	req.Header.Set("Authorization", "Bearer "+f.fake.IssueToken(sentrytest.AliceID, allScopes, 0))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var keys []struct {
		Secret string `json:"secret"`
		DSN    struct {
			Secret string `json:"secret"`
		} `json:"dsn"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil || len(keys) != 1 || keys[0].Secret == "" {
		t.Fatalf("raw keys: %+v, %v", keys, err)
	}
	out, err := f.call(f.env(sentrytest.AliceID, allScopes), "find_dsns", `{"organizationSlug":"acme","projectSlug":"web"}`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, keys[0].Secret) || strings.Contains(out, keys[0].DSN.Secret) {
		t.Errorf("secret key in output:\n%s", out)
	}
}

func TestPublicDSNDropsLegacySecret(t *testing.T) {
	for raw, want := range map[string]string{
		"https://pub:s3cret@o1.ingest.sentry.io/42": "https://pub@o1.ingest.sentry.io/42",
		"https://pub@o1.ingest.sentry.io/42":        "https://pub@o1.ingest.sentry.io/42",
		"://bad:s3cret@x":                           "(unreadable DSN)",
	} {
		if got := publicDSN(raw); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("publicDSN(%q) = %q, want %q", raw, got, want)
		}
	}
}
