package tools

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestCreateDSN(t *testing.T) {
	runToolCase(t, toolCase{
		tool:     "create_dsn",
		args:     `{"organizationSlug":"acme","projectSlug":"web","name":"Mobile app"}`,
		want:     []string{"# Created DSN **Mobile app** in **acme/web**", "- DSN: `http://", "/4506000000000101`", "- Key id: "},
		scope:    "project:write",
		noAccess: `{"organizationSlug":"acme","projectSlug":"web","name":"Bob's"}`,
		notFound: `{"organizationSlug":"acme","projectSlug":"nope","name":"x"}`,
		badInput: []string{
			`{"organizationSlug":"acme","projectSlug":"web"}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":""}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"  "}`,
			`{"organizationSlug":"acme","projectSlug":"web","name":"` + strings.Repeat("k", 65) + `"}`,
			`{"organizationSlug":"acme","name":"x"}`,
		},
	})
}

// The new key is listed next to the old one, and no secret is shown.
func TestCreateDSNIsListed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.env(sentrytest.AliceID, allScopes)
	out, err := f.call(env, "create_dsn", `{"organizationSlug":"acme","projectSlug":"web","name":"Mobile app"}`)
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.call(env, "find_dsns", `{"organizationSlug":"acme","projectSlug":"web"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, list, "## Default", "## Mobile app")
	a := auditEvents(f, "key.create")
	if len(a) != 1 || a[0].UserID != sentrytest.AliceID || !strings.Contains(out, a[0].Target) {
		t.Fatalf("audit = %+v", a)
	}
	for _, secret := range rawKeySecrets(t, f, "acme", "web") {
		if strings.Contains(out, secret) || strings.Contains(list, secret) {
			t.Errorf("a secret key reached the output:\n%s\n%s", out, list)
		}
	}
}

// rawKeySecrets reads the secret keys and secret DSNs Sentry sends for a
// project's keys, which no output may show.
func rawKeySecrets(t *testing.T, f *fixture, org, project string) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", f.fake.URL+"/api/0/projects/"+org+"/"+project+"/keys/", nil)
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
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil || len(keys) == 0 {
		t.Fatalf("raw keys: %v", err)
	}
	var out []string
	for _, k := range keys {
		if k.Secret == "" || k.DSN.Secret == "" {
			t.Fatalf("raw key without secret: %+v", k)
		}
		out = append(out, k.Secret, k.DSN.Secret)
	}
	return out
}
