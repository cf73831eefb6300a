package slack

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/slack/slacktest"
)

// A connect link asks before it binds: GET names the Slack user it is for
// and spends nothing; only the confirmation POST from the page's own
// browser (cookie + CSRF token) goes on to Sentry.
func TestConnectLinkAsksBeforeBinding(t *testing.T) {
	h := newHarness(t, harnessOptions{slack: slacktest.Options{UserNames: map[string]string{alice: "Alice <Admin>"}}})
	h.running()
	h.mention(alice, channel, "", "connect sentry")
	link := h.linkIn(h.waitCalls("chat.postEphemeral", 1)[0].Get("text"))

	victim := h.browser()
	for range 2 { // looking twice spends nothing
		status, page := h.get(victim, link)
		if status != http.StatusOK || !strings.Contains(page, "Continue to Sentry") {
			t.Fatalf("confirmation page: %d\n%s", status, page)
		}
		if !strings.Contains(page, "Alice &lt;Admin&gt; ("+alice+")") || strings.Contains(page, "<Admin>") {
			t.Errorf("the page must name the Slack user, escaped:\n%s", page)
		}
	}
	resp, err := victim.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+h.sentry.URL) {
		t.Errorf("the form's redirect to Sentry must be allowed by form-action: %q", csp)
	}
	_, page := h.get(victim, link)
	form := url.Values{"s": {hiddenField(t, page, "s")}, "csrf": {hiddenField(t, page, "csrf")}}

	// A page elsewhere posting the form has no SameSite=Strict cookie.
	post := func(b *http.Client, f url.Values) int {
		t.Helper()
		resp, err := b.PostForm(h.base+ConnectPath, f)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(h.browser(), form); got != http.StatusForbidden {
		t.Errorf("confirmation without the page's cookie: %d, want 403", got)
	}
	// A token for another link, or none, is refused too.
	other := url.Values{"s": {hiddenField(t, page, "s") + "x"}, "csrf": form["csrf"]}
	if got := post(victim, other); got != http.StatusForbidden {
		t.Errorf("CSRF token of another link: %d, want 403", got)
	}
	if got := post(victim, url.Values{"s": form["s"]}); got != http.StatusForbidden {
		t.Errorf("no CSRF token: %d, want 403", got)
	}
	// The link survived all of that: confirming works, once.
	h.sentry.SetConsentUser(sentrytest.AliceID)
	resp, err = victim.PostForm(h.base+ConnectPath, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirmed: %d", resp.StatusCode)
	}
	if status, body := h.follow(link); status != http.StatusBadRequest || !strings.Contains(body, "already used") {
		t.Errorf("after use: %d\n%s", status, body)
	}
	h.assertNoLeaks()
}
