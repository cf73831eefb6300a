package slack

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/agent"
)

func TestPlainText(t *testing.T) {
	for _, tc := range []struct {
		in      string
		bot     string
		mention bool
		want    string
	}{
		{"<@UBOT> issues acme/checkout", "UBOT", true, "issues acme/checkout"},
		{"<@UBOT|lookout>   issues   acme", "UBOT", true, "issues acme"},
		{"hey <@UBOT> look at <https://acme.sentry.io/issues/1/|this issue>", "UBOT", true, "hey look at https://acme.sentry.io/issues/1/"},
		{"<@UOTHER> <@UBOT> orgs", "", true, "<@UBOT> orgs"}, // unknown bot id: only a leading mention goes
		{"<@UBOT> orgs", "", true, "orgs"},
		{"ask <@UBOB> in <#C1|ops> &lt;now&gt; &amp; <!here>", "UBOT", false, "ask <@UBOB> in #ops <now> & @here"},
		{"mail <mailto:a@b.c|a@b.c>", "UBOT", false, "mail a@b.c"},
	} {
		if got := plainText(tc.in, tc.bot, tc.mention); got != tc.want {
			t.Errorf("plainText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMessageThreads(t *testing.T) {
	top := message{Team: "T", User: "U", Channel: "C", TS: "1.1"}
	if top.replyThread() != "1.1" || top.threadKey() != "slack-thread:T:C:1.1" {
		t.Errorf("top-level channel message: %q %q", top.replyThread(), top.threadKey())
	}
	reply := message{Team: "T", User: "U", Channel: "C", TS: "1.2", ThreadTS: "1.1"}
	if reply.replyThread() != "1.1" || reply.threadKey() != top.threadKey() {
		t.Errorf("reply: %q", reply.replyThread())
	}
	dm := message{Team: "T", User: "U", Channel: "D1", DM: true, TS: "1.3"}
	if dm.replyThread() != "" {
		t.Errorf("DM replies in a thread: %q", dm.replyThread())
	}
	shared := message{Team: "T", UserTeam: "T2", User: "U"}
	if shared.principal() != "slack:T2:U" || top.principal() != "slack:T:U" {
		t.Errorf("principals: %q %q", shared.principal(), top.principal())
	}
}

func TestCompareTS(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1700000000.000100", "1700000000.000099", 1},
		{"1700000000.1", "1700000000.000100", 1},
		{"1699999999.999999", "1700000000.000000", -1},
		{"1700000000.000100", "1700000000.0001", 0},
	} {
		if got := compareTS(tc.a, tc.b); got != tc.want {
			t.Errorf("compareTS(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestWordsHaveNoLink(t *testing.T) {
	for _, a := range []agent.AuthNeeded{{Reason: agent.ReasonNoGrant}, {Reason: agent.ReasonStale},
		{Reason: agent.ReasonMissingScope, Scope: "event:write"}, {Reason: agent.ReasonMissingScope}} {
		for _, s := range []string{threadNote(a), consentReason(a), stillMissingText(a, "q")} {
			if strings.Contains(s, "http") || strings.Contains(s, "<") {
				t.Errorf("%+v: %q", a, s)
			}
		}
		if l := linkText(a, "https://lookout.example/connect/sentry?s=x", false); !strings.Contains(l, "<https://lookout.example/connect/sentry?s=x|") {
			t.Errorf("%+v: link text %q", a, l)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	_, err := New(Config{})
	if err == nil {
		t.Fatal("New accepted an empty config")
	}
	for _, want := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "no store"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
