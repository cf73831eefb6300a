package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// A pinned organization (and project) answers a command that names none,
// instead of the question "which organization?"; a command that names
// one ignores the pin, project included.
func TestCommandPinnedDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID) // sees acme and globex: unpinned, she is asked
	a := f.agent(Options{})
	run := func(text, org, project string) Reply {
		t.Helper()
		r, err := a.Run(context.Background(), Turn{Principal: alice, Text: text, Org: org, Project: project})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	wantText(t, run("issues", "", ""), "Which organization")

	f.fake.ClearRequests()
	r := run("issues", "acme", "checkout")
	wantText(t, r, "Issues in **acme**", "CHECKOUT-1A")
	if strings.Contains(r.Text, "WEB-1") {
		t.Errorf("the pinned project was not applied:\n%s", r.Text)
	}
	for _, req := range f.fake.Requests() {
		if strings.Contains(req.Path, "/globex/") {
			t.Errorf("a pinned organization still looked into another: %s", req.Path)
		}
	}
	wantText(t, run("issue CHECKOUT-1A", "acme", ""), "PaymentGatewayTimeout")
	wantText(t, run("projects", "globex", ""), "mobile", "backend")

	// Named explicitly: the pin is not used, not even its project.
	r = run("issues globex", "acme", "checkout")
	wantText(t, r, "Issues in **globex**")
	if strings.Contains(r.Text, "project checkout") {
		t.Errorf("the pinned project leaked into another organization:\n%s", r.Text)
	}
}

func TestCommandSubject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.connect(bob, sentrytest.BobID)
	a := f.agent(Options{})

	for _, tt := range []struct {
		text string
		want *Subject
	}{
		{"issues acme/web level:error", &Subject{Kind: SubjectIssues, Org: "acme", Project: "web", Query: "level:error"}},
		{"issues", &Subject{Kind: SubjectIssues, Org: "acme"}}, // bob's one organization, resolved
		{"issue WEB-1A", &Subject{Kind: SubjectIssue, Org: "acme", Issue: "WEB-1A"}},
		{f.fake.URL + "/organizations/acme/issues/WEB-1A/", &Subject{Kind: SubjectIssue, URL: f.fake.URL + "/organizations/acme/issues/WEB-1A/"}},
		{"projects acme", nil},
		{"orgs", nil},
		{"issue acme NOPE-9Z", nil}, // not found: no subject to show
		{"issues globex", nil},      // no access: the explanation only
		{"help", nil},
	} {
		r := f.run(a, bob, tt.text)
		switch {
		case tt.want == nil && r.Subject != nil:
			t.Errorf("%q: subject %+v, want none (text %q)", tt.text, *r.Subject, r.Text)
		case tt.want != nil && (r.Subject == nil || *r.Subject != *tt.want):
			t.Errorf("%q: subject %+v, want %+v (text %q)", tt.text, r.Subject, *tt.want, r.Text)
		case tt.want != nil && r.Text == "":
			t.Errorf("%q: a subject without the text fallback", tt.text)
		}
	}
}

func TestModelModeKnowsDefaults(t *testing.T) {
	forEachProvider(t, func(t *testing.T, p provider) {
		f := newFixture(t)
		f.connect(alice, sentrytest.AliceID)
		ms := newModelServer(t, func(n int) any { return p.text("Looking at acme/web.") })
		a := f.agent(Options{Model: p.newModel(ms.URL)})
		r, err := a.Run(context.Background(), Turn{Principal: alice, Text: "what broke?", Org: "acme", Project: "web"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject != nil {
			t.Errorf("model mode set a subject: %+v", *r.Subject)
		}
		if body := string(ms.requests()[0].Body); !strings.Contains(body, "default organization is acme and project web") {
			t.Errorf("the model was not told the defaults:\n%s", body)
		}
	})
}
