package agent

import (
	"context"
	"errors"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

func TestCommandIssues(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	a := f.agent(Options{})

	r := f.run(a, alice, "issues acme/checkout")
	wantText(t, r, "CHECKOUT-1A", "Issues in **acme**")
	if strings.Contains(r.Text, "WEB-1") || strings.Contains(r.Text, "API-1") {
		t.Errorf("issues of other projects in the answer:\n%s", r.Text)
	}
	if u := f.users(); len(u) != 1 || u[sentrytest.AliceID] == 0 {
		t.Errorf("requests by user: %v, want alice's only", u)
	}
	if f.refreshes.Load() != 0 {
		t.Error("a valid grant was refreshed")
	}

	f.fake.ClearRequests()
	r = f.run(a, alice, "issues acme/checkout level:warning")
	wantText(t, r, "CHECKOUT-1H")
	if strings.Contains(r.Text, "CHECKOUT-1A ") {
		t.Errorf("the query was not applied:\n%s", r.Text)
	}
}

// help and text the grammar does not know answer without a grant and
// without asking Sentry anything.
func TestCommandHelpNeedsNoGrant(t *testing.T) {
	f := newFixture(t)
	a := f.agent(Options{})
	for _, text := range []string{"help", "", "what's the weather like?"} {
		r := f.run(a, nobody, text)
		if r.Auth != nil || r.Text == "" {
			t.Errorf("%q: reply %+v, want text", text, r)
		}
	}
	if r := f.run(a, nobody, "help"); !strings.Contains(r.Text, "issues <org>") {
		t.Errorf("help does not show the grammar:\n%s", r.Text)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("help made %d Sentry requests", n)
	}
	// Not even a vault is needed.
	if r, err := New(Options{}).Run(context.Background(), Turn{Principal: nobody, Text: "help"}); err != nil || r.Text != helpText {
		t.Errorf("help without a vault: %+v, %v", r, err)
	}
}

func TestCommandNoGrant(t *testing.T) {
	f := newFixture(t)
	a := f.agent(Options{})
	wantAuth(t, f.run(a, nobody, "issues acme"), ReasonNoGrant, "")
	wantAuth(t, f.run(a, nobody, "issue WEB-1A"), ReasonNoGrant, "")
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("%d Sentry requests without a grant", n)
	}
}

// A token the user revoked in Sentry: the client's refresh is refused, the
// grant is marked stale, and this turn and the next ask for a reconnect.
func TestCommandRevokedGrant(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	a := f.agent(Options{})
	f.fake.RevokeUserTokens(sentrytest.AliceID)

	wantAuth(t, f.run(a, alice, "issues acme"), ReasonStale, "")
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refresh attempts, want 1", n)
	}
	wantAuth(t, f.run(a, alice, "orgs"), ReasonStale, "")
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("a stale grant was refreshed again (%d attempts)", n)
	}
}

// Issue #9 §2: Sentry answers 401 and its token endpoint is down. That is
// not a dead grant: the user gets "try again in a minute" with a request
// id, no reconnect link, no internals, and the grant is not stale.
func TestCommandTransientRefreshFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	a := f.agent(Options{})
	f.fake.RevokeUserTokens(sentrytest.AliceID) // the API answers 401
	f.transient.Store(true)                     // and the refresh meets an outage

	r, err := a.Run(context.Background(), Turn{Principal: alice, Text: "issues acme"})
	if err == nil || r.Auth != nil {
		t.Fatalf("Run: reply %+v err %v; want an error, not a reconnect", r, err)
	}
	msg := Explain(err)
	if !strings.Contains(msg, "try again in a minute") || !regexp.MustCompile(`request id [0-9a-f]{16}`).MatchString(msg) {
		t.Fatalf("Explain: %q", msg)
	}
	for _, internal := range []string{"10.1.2.3", "503", "vault:", "sentry oauth"} {
		if strings.Contains(msg, internal) {
			t.Fatalf("Explain shows internals (%q): %q", internal, msg)
		}
	}
	if st, err := f.vault.Status(context.Background(), alice); err != nil || st.Stale {
		t.Fatalf("grant after a transient failure: stale=%t err=%v", st.Stale, err)
	}
}

// Issue #9 §4: one lookup slower than the tool budget ends the turn with a
// plain message instead of holding it for minutes.
func TestCommandToolBudget(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	a := f.agent(Options{ToolTimeout: 300 * time.Millisecond})
	f.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/", Latency: 30 * time.Second})
	start := time.Now()
	_, err := a.Run(context.Background(), Turn{Principal: alice, Text: "orgs"})
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the turn took %v with a 300ms tool budget", d)
	}
	if !errors.Is(err, ErrSlow) || !strings.Contains(Explain(err), "try again in a minute") {
		t.Fatalf("err = %v (%q), want ErrSlow", err, Explain(err))
	}
}

func TestCommandMissingScope(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID, "org:read", "project:read", "team:read") // no event:read
	a := f.agent(Options{})
	wantAuth(t, f.run(a, alice, "issues acme"), ReasonMissingScope, "event:read")
	// What the grant covers still works.
	wantText(t, f.run(a, alice, "projects acme"), "checkout")
}

func TestCommandIssueResolvesOrg(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	f.connect(bob, sentrytest.BobID)
	a := f.agent(Options{})

	// bob sees one organization: it is the one.
	r := f.run(a, bob, "issue WEB-1A")
	wantText(t, r, "WEB-1A", "TypeError")
	if strings.Contains(r.Text, "Next steps") || strings.Contains(r.Text, "organizationSlug=") {
		t.Errorf("a command answer suggests tool calls to a person:\n%s", r.Text)
	}
	// alice sees two, and only acme has a project "web".
	wantText(t, f.run(a, alice, "issue WEB-1A"), "WEB-1A", "TypeError")
	wantText(t, f.run(a, alice, "issue MOBILE-1A"), "MOBILE-1A", "NSInvalidArgumentException")

	// Ambiguous for alice: she is asked, with both organizations listed,
	// and no issue is looked up in either.
	for _, text := range []string{"issue NOPE-1A", "issue 6916805731", "issues is:unresolved", "projects"} {
		f.fake.ClearRequests()
		r := f.run(a, alice, text)
		wantText(t, r, "**acme**", "**globex**", "Which organization")
		for _, req := range f.fake.Requests() {
			if strings.Contains(req.Path, "/issues/") {
				t.Errorf("%q: guessed an organization: %s %s", text, req.Method, req.Path)
			}
		}
	}
	// The example in the question works.
	r = f.run(a, alice, "issue NOPE-1A")
	if !strings.Contains(r.Text, "`issue acme NOPE-1A`") {
		t.Errorf("no usable example in:\n%s", r.Text)
	}
	// Naming the organization answers.
	wantText(t, f.run(a, alice, "issue globex MOBILE-1A"), "MOBILE-1A")
	// bob's one organization needs no question.
	wantText(t, f.run(a, bob, "projects"), "checkout", "web")
}

func TestCommandIssueURL(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	a := f.agent(Options{})

	link := f.fake.URL + "/organizations/acme/issues/CHECKOUT-1A/"
	wantText(t, f.run(a, alice, "can you look at <"+link+"|this one>?"), "CHECKOUT-1A", "PaymentGatewayTimeout")

	f.fake.ClearRequests()
	wantText(t, f.run(a, alice, "https://github.com/acme/web/issues/7"), "does not point at your Sentry")
	wantText(t, f.run(a, nobody, "https://github.com/acme/web/issues/7"), "does not point at your Sentry")
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("a foreign link made %d Sentry requests", n)
	}
}

// Errors other than consent become advice in command words.
func TestCommandErrors(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	f.connect(bob, sentrytest.BobID)
	a := f.agent(Options{})

	wantText(t, f.run(a, alice, "issue acme NOPE-1ZZ"), "found nothing for issue NOPE-1ZZ in acme")
	r := f.run(a, bob, "issues globex")
	if !strings.Contains(r.Text, "globex") || strings.Contains(r.Text, "find_organizations") {
		t.Errorf("bob asking about globex:\n%s", r.Text)
	}
	wantText(t, f.run(a, alice, "issue"), "Which issue?")
	wantText(t, f.run(a, alice, "trace acme"), "Which trace?")
	wantText(t, f.run(a, alice, "trace acme "+sentrytest.TraceID), sentrytest.TraceID)
	wantText(t, f.run(a, alice, "whoami"), "alice@example.com")
	wantText(t, f.run(a, alice, "orgs"), "acme", "globex")
	wantText(t, f.run(a, alice, "teams acme"), "payments")
	wantText(t, f.run(a, alice, "releases acme/checkout"), "checkout@2.0.0")
	wantText(t, f.run(a, alice, "events acme level:error"), "acme")
}

// Two principals in one test: each turn reaches Sentry with its own user's
// token, one after the other and at the same time.
func TestCommandTwoPrincipals(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	f.connect(bob, sentrytest.BobID)
	a := f.agent(Options{})

	for _, c := range []struct{ principal, user string }{{alice, sentrytest.AliceID}, {bob, sentrytest.BobID}, {alice, sentrytest.AliceID}} {
		f.fake.ClearRequests()
		wantText(t, f.run(a, c.principal, "issues acme/checkout"), "CHECKOUT-1A")
		if u := f.users(); len(u) != 1 || u[c.user] == 0 {
			t.Errorf("turn of %s reached Sentry as %v, want only user %s", c.principal, u, c.user)
		}
	}
	// globex is alice's, not bob's.
	wantText(t, f.run(a, alice, "issues globex"), "MOBILE-1")
	if r := f.run(a, bob, "issues globex"); strings.Contains(r.Text, "MOBILE-1") {
		t.Errorf("bob saw globex issues:\n%s", r.Text)
	}

	f.fake.ClearRequests()
	var wg sync.WaitGroup
	replies := map[string]Reply{}
	var mu sync.Mutex
	for _, p := range []string{alice, bob, alice, bob} {
		wg.Go(func() {
			r, err := a.Run(context.Background(), Turn{Principal: p, Text: "issues acme/checkout"})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			replies[p] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	for p, r := range replies {
		if !strings.Contains(r.Text, "CHECKOUT-1A") {
			t.Errorf("concurrent turn of %s: %q", p, r.Text)
		}
	}
	if u := f.users(); !maps.Equal(map[string]bool{sentrytest.AliceID: u[sentrytest.AliceID] > 0, sentrytest.BobID: u[sentrytest.BobID] > 0},
		map[string]bool{sentrytest.AliceID: true, sentrytest.BobID: true}) || len(u) != 2 {
		t.Errorf("concurrent turns reached Sentry as %v", u)
	}
}

func TestBound(t *testing.T) {
	if got := bound("  short  ", 100); got != "short" {
		t.Errorf("bound(short) = %q", got)
	}
	long := strings.Repeat("line of text\n", 50) + "```\n" + strings.Repeat("code line\n", 400) + "```\n"
	got := bound(long, MaxReplyChars)
	if n := len([]rune(got)); n > MaxReplyChars {
		t.Errorf("bounded to %d characters, limit %d", n, MaxReplyChars)
	}
	if !strings.Contains(got, "cut short") {
		t.Error("no note that the answer was cut")
	}
	if strings.Count(got, "```")%2 != 0 {
		t.Errorf("a code block is left open:\n%s", got[len(got)-200:])
	}
	multi := strings.Repeat("é", 5000)
	if got := bound(multi, 100); len([]rune(got)) > 100 || !strings.Contains(got, "cut short") {
		t.Errorf("bound of multi-byte text: %d runes", len([]rune(got)))
	}
	if got := truncateForModel(strings.Repeat("x", 20000)); len(got) > maxToolResultBytes+200 || !strings.Contains(got, "truncated") {
		t.Errorf("truncateForModel: %d bytes", len(got))
	}
}

// A slow Sentry: the command turn ends at Timeout with ErrTimeout, not with
// an answer made of the context error.
func TestCommandTimeout(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	f.fake.Inject(sentrytest.Fault{PathPrefix: "/api/0/", Latency: 5 * time.Second})
	a := f.agent(Options{Timeout: 200 * time.Millisecond})
	start := time.Now()
	r, err := a.Run(context.Background(), Turn{Principal: alice, Text: "issues acme"})
	if !errors.Is(err, ErrTimeout) || r.Text != "" {
		t.Fatalf("Run = %+v, %v; want ErrTimeout", r, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the turn took %s with a 200ms timeout", d)
	}
}
