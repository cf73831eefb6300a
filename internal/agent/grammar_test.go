package agent

import "testing"

// rawCommand prints as its fields, not as command.String.
type rawCommand command

func TestParseCommand(t *testing.T) {
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	cases := []struct {
		text string
		want command
	}{
		// help, and nothing at all
		{"help", command{Kind: cmdHelp}},
		{"HELP!", command{Kind: cmdHelp}},
		{"can you please help", command{Kind: cmdHelp}},
		{"?", command{Kind: cmdHelp}},
		{"", command{Kind: cmdHelp}},
		{"   ", command{Kind: cmdHelp}},

		// account and organizations
		{"whoami", command{Kind: cmdWhoami}},
		{"Who am I?", command{Kind: cmdWhoami}},
		{"orgs", command{Kind: cmdOrgs}},
		{"Organizations", command{Kind: cmdOrgs}},
		{"show me my orgs", command{Kind: cmdOrgs}},
		{"list organisations please", command{Kind: cmdOrgs}},

		// org listings
		{"projects acme", command{Kind: cmdProjects, Org: "acme"}},
		{"Projects in ACME", command{Kind: cmdProjects, Org: "acme"}},
		{"projects for org acme?", command{Kind: cmdProjects, Org: "acme"}},
		{"projects", command{Kind: cmdProjects}},
		{"projects acme/web", command{Kind: cmdProjects, Org: "acme"}}, // a project makes no sense here
		{"teams acme", command{Kind: cmdTeams, Org: "acme"}},
		{"releases acme", command{Kind: cmdReleases, Org: "acme"}},
		{"releases acme/web", command{Kind: cmdReleases, Org: "acme", Project: "web"}},
		{"show the latest releases of acme/web", command{Kind: cmdReleases, Org: "acme", Project: "web"}},

		// issue search
		{"issues acme", command{Kind: cmdIssues, Org: "acme"}},
		{"issues acme/checkout", command{Kind: cmdIssues, Org: "acme", Project: "checkout"}},
		{"issues acme/checkout is:unresolved level:error", command{Kind: cmdIssues, Org: "acme", Project: "checkout", Query: "is:unresolved level:error"}},
		{"Issues ACME/Checkout is:unresolved", command{Kind: cmdIssues, Org: "acme", Project: "checkout", Query: "is:unresolved"}},
		{"show me the issues in acme/checkout", command{Kind: cmdIssues, Org: "acme", Project: "checkout"}},
		{"issues   acme   release:web@1.2.3+build.4   assigned:me", command{Kind: cmdIssues, Org: "acme", Query: "release:web@1.2.3+build.4 assigned:me"}},
		{"issues is:unresolved", command{Kind: cmdIssues, Query: "is:unresolved"}},
		{"issues", command{Kind: cmdIssues}},
		{"issues acme times_seen:&gt;100", command{Kind: cmdIssues, Org: "acme", Query: "times_seen:>100"}},
		{"issues acme message:\u201cpayment timeout\u201d", command{Kind: cmdIssues, Org: "acme", Query: `message:"payment timeout"`}},
		{"`issues acme/checkout`", command{Kind: cmdIssues, Org: "acme", Project: "checkout"}},
		{"<@U0BOT> issues acme", command{Kind: cmdIssues, Org: "acme"}},

		// one issue
		{"issue WEB-1A", command{Kind: cmdIssue, Issue: "WEB-1A"}},
		{"issue web-1a", command{Kind: cmdIssue, Issue: "WEB-1A"}},
		{"issue WEB-1A?", command{Kind: cmdIssue, Issue: "WEB-1A"}},
		{"issue acme WEB-1A", command{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"}},
		{"issue ACME web-1a", command{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"}},
		{"issue acme/WEB-1A", command{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"}},
		{"issue WEB-1A in acme", command{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"}},
		{"issue WEB-1A acme", command{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"}},
		{"issue my-org WEB-1A", command{Kind: cmdIssue, Org: "my-org", Issue: "WEB-1A"}},
		{"issue MY-APP-1A", command{Kind: cmdIssue, Issue: "MY-APP-1A"}},
		{"issue acme 6916805731", command{Kind: cmdIssue, Org: "acme", Issue: "6916805731"}},
		{"issue 6916805731", command{Kind: cmdIssue, Issue: "6916805731"}},
		{"issue", command{Kind: cmdIssue}},
		{"issue please", command{Kind: cmdIssue}},
		{"WEB-1A", command{Kind: cmdIssue, Issue: "WEB-1A"}},
		{"explain CHECKOUT-1A please", command{Kind: cmdIssue, Issue: "CHECKOUT-1A"}},
		{"issue WEB-1A in acme, thanks", command{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"}},
		{"please issue WEB-1A acme", command{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"}},
		{"WEB-1A is broken", command{Kind: cmdIssue, Issue: "WEB-1A"}},
		{"what is WEB-1A?", command{Kind: cmdIssue, Issue: "WEB-1A"}},

		// issue URLs win wherever they are
		{"what about <https://acme.sentry.io/issues/WEB-1A/|WEB-1A>?", command{Kind: cmdIssue, IssueURL: "https://acme.sentry.io/issues/WEB-1A/"}},
		{"<https://sentry.io/organizations/acme/issues/123/>", command{Kind: cmdIssue, IssueURL: "https://sentry.io/organizations/acme/issues/123/"}},
		{"issues acme look at https://acme.sentry.io/issues/WEB-1A/events/latest/.", command{Kind: cmdIssue, IssueURL: "https://acme.sentry.io/issues/WEB-1A/events/latest/"}},
		{"https://github.com/acme/web/issues/7", command{Kind: cmdIssue, IssueURL: "https://github.com/acme/web/issues/7"}}, // host is checked when run
		{"https://acme.sentry.io/settings/", command{Kind: cmdUnknown}},

		// events and traces
		{"events acme level:error", command{Kind: cmdEvents, Org: "acme", Query: "level:error"}},
		{"events acme/web", command{Kind: cmdEvents, Org: "acme", Project: "web"}},
		{"trace acme " + trace, command{Kind: cmdTrace, Org: "acme", Trace: trace}},
		{"trace acme 4BF92F3577B34DA6A3CE929D0E0E4736", command{Kind: cmdTrace, Org: "acme", Trace: trace}},
		{"trace " + trace + " in acme", command{Kind: cmdTrace, Org: "acme", Trace: trace}},
		{"trace " + trace, command{Kind: cmdTrace, Trace: trace}},
		{"trace acme", command{Kind: cmdTrace, Org: "acme"}},
		{"trace acme abc", command{Kind: cmdTrace, Org: "acme"}},

		// not commands: no guessing
		{"what are the top unresolved issues in acme/checkout since the last release?", command{Kind: cmdUnknown}},
		{"deploy the thing", command{Kind: cmdUnknown}},
		{"web-1a", command{Kind: cmdUnknown}}, // a short id is typed in capitals
		{"connect sentry", command{Kind: cmdUnknown}},
	}
	for _, c := range cases {
		if got := parseCommand(c.text); got != c.want {
			t.Errorf("parseCommand(%q)\n got %+v\nwant %+v", c.text, rawCommand(got), rawCommand(c.want))
		}
	}
}

// The canonical form of a complete command parses back to it: the examples
// lookout gives in its questions work when typed.
func TestCommandStringRoundTrip(t *testing.T) {
	for _, c := range []command{
		{Kind: cmdHelp}, {Kind: cmdWhoami}, {Kind: cmdOrgs},
		{Kind: cmdProjects, Org: "acme"}, {Kind: cmdTeams, Org: "acme"},
		{Kind: cmdReleases, Org: "acme", Project: "web"},
		{Kind: cmdIssues, Org: "acme", Project: "checkout", Query: "is:unresolved level:error"},
		{Kind: cmdIssue, Org: "acme", Issue: "WEB-1A"},
		{Kind: cmdIssue, Org: "my-org", Issue: "MY-APP-1A"},
		{Kind: cmdIssue, IssueURL: "https://acme.sentry.io/issues/WEB-1A/"},
		{Kind: cmdEvents, Org: "acme", Query: "level:error"},
		{Kind: cmdTrace, Org: "acme", Trace: "4bf92f3577b34da6a3ce929d0e0e4736"},
	} {
		if got := parseCommand(c.String()); got != c {
			t.Errorf("parseCommand(%q) = %+v, want %+v", c.String(), rawCommand(got), rawCommand(c))
		}
	}
}
