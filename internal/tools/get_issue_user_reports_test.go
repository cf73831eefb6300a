package tools

import (
	"fmt"
	"testing"
)

func TestGetIssueUserReports(t *testing.T) {
	t.Parallel()
	runToolCase(t, toolCase{
		tool: "get_issue_user_reports",
		args: `{"organizationSlug":"acme","issueId":"WEB-1A"}`,
		want: []string{"# User reports of issue WEB-1A in **acme**", "by Dana Shopper <dana@shopper.example> (event `",
			"  > I clicked Pay and the cart disappeared. Was I charged?", "by anonymous (event `", "> The page went white after I paid."},
		scope:    "event:read",
		noAccess: `{"organizationSlug":"globex","issueId":"MOBILE-1A"}`,
		notFound: `{"organizationSlug":"acme","issueId":"WEB-ZZZZ"}`,
		badInput: []string{
			`{}`,
			`{"issueId":"WEB-1A"}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","limit":0}`,
			`{"organizationSlug":"acme","issueId":"WEB-1A","limit":101}`,
			`{"issueUrl":"https://evil.example/organizations/acme/issues/WEB-1A/"}`,
		},
	})
}

func TestGetIssueUserReportsPagesAndPins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := f.mustCall("get_issue_user_reports", `{"issueUrl":"`+f.fake.URL+`/organizations/acme/issues/WEB-1A/","limit":1}`)
	contains(t, "first page", out, "Dana Shopper")
	m := cursorRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no cursor:\n%s", out)
	}
	out = f.mustCall("get_issue_user_reports", fmt.Sprintf(`{"organizationSlug":"acme","issueId":"WEB-1A","limit":1,"cursor":%q}`, m[1]))
	contains(t, "second page", out, "cart total vanished")
	lacks(t, "second page", out, "Dana")
	contains(t, "none", f.mustCall("get_issue_user_reports", `{"organizationSlug":"acme","issueId":"CHECKOUT-1A"}`), "No user reports for this issue.")
	_, err := f.pinned("acme", "checkout", "get_issue_user_reports", `{"issueId":"WEB-1A"}`)
	isInputError(t, "another project's issue", err, `pinned to project "checkout"`)
}
