package slack

import (
	"context"
	"strings"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/requestid"
)

// What the bot says about Sentry access and about its own state
// (docs/architecture.md, "Guidance", in Slack words). The link only ever goes
// into private texts (linkText, connectText, staleText); thread texts never
// hold one.

// workingText is the status message of a turn that takes a while; the
// answer replaces it.
const workingText = "Looking at Sentry…"

// busyText is the status message of a question recorded while every
// worker was busy; the answer replaces it.
const busyText = "I'm busy with other questions right now; yours is queued and I'll answer here."

// giveUpText says a question will not be answered after all.
func giveUpText(ctx context.Context) string {
	return "I couldn't answer this after several tries (Slack or lookout kept failing). Please ask again" + requestid.Suffix(ctx) + "."
}

// staleText is the private notice that a grant died, with a fresh link.
func staleText(account, link string) string {
	return "Your Sentry connection (" + account + ") expired or was revoked, so I can no longer use it. Reconnect here: <" + link +
		"|Reconnect Sentry>. The link is yours alone, works once and expires in 10 minutes; after that, say `connect sentry` for a new one."
}

// consentReason says why the user must (re)connect, as a sentence.
func consentReason(a agent.AuthNeeded) string {
	switch a.Reason {
	case agent.ReasonStale:
		return "Your Sentry connection expired or was revoked, so I can't use it any more."
	case agent.ReasonMissingScope:
		if a.Scope != "" {
			return "Your Sentry connection lacks the `" + a.Scope + "` permission this needs."
		}
		return "Your Sentry connection lacks a permission this needs."
	}
	return "I need to use your own Sentry access for this."
}

// threadNote tells the thread the answer waits for the user's consent.
func threadNote(a agent.AuthNeeded) string {
	switch a.Reason {
	case agent.ReasonStale:
		return "your Sentry connection expired or was revoked. I've sent you a private link to reconnect; I'll answer here as soon as you do."
	case agent.ReasonMissingScope:
		what := "a Sentry permission this needs"
		if a.Scope != "" {
			what = "the Sentry permission `" + a.Scope + "` this needs"
		}
		return "your Sentry connection lacks " + what + ". I've sent you a private link to reconnect with it; I'll answer here as soon as you do."
	}
	return "I need to use your own Sentry access for this. I've sent you a private link to connect; I'll answer here as soon as you do."
}

// linkText is the private message carrying the connect link.
func linkText(a agent.AuthNeeded, link string, dm bool) string {
	var b strings.Builder
	switch a.Reason {
	case agent.ReasonStale:
		b.WriteString("Your Sentry connection expired or was revoked (Sentry no longer accepts it). Reconnect here: <" + link + "|Reconnect Sentry>.")
	case agent.ReasonMissingScope:
		if a.Scope != "" {
			b.WriteString("Your Sentry connection lacks the `" + a.Scope + "` permission. Reconnect and allow it here: <" + link + "|Reconnect Sentry>.")
		} else {
			b.WriteString("Your Sentry connection lacks a permission this needs. Reconnect here: <" + link + "|Reconnect Sentry>.")
		}
	default:
		b.WriteString("To answer with your own Sentry access, I need you to connect your Sentry account: <" + link + "|Connect Sentry>.")
	}
	b.WriteString(" The link is yours alone, works once and expires in 10 minutes.")
	if dm {
		b.WriteString(" I'll answer here as soon as you've connected.")
	} else {
		b.WriteString(" I'll answer in the thread as soon as you've connected.")
	}
	return b.String()
}

// connectText is the private answer to "connect sentry".
func connectText(link string, connectedAs string) string {
	s := "Connect your Sentry account here: <" + link + "|Connect Sentry>. The link is yours alone, works once and expires in 10 minutes."
	if connectedAs != "" {
		s += " You're connected as " + connectedAs + " now; connecting again replaces that connection (use it to switch accounts)."
	}
	return s
}

// stillMissingText tells the user privately that the resumed question
// still could not be answered, without sending another link (no loops).
func stillMissingText(a agent.AuthNeeded, question string) string {
	s := "You connected Sentry, but I still can't answer " + quote(question) + ": "
	switch a.Reason {
	case agent.ReasonMissingScope:
		if a.Scope != "" {
			s += "your connection still lacks the `" + a.Scope + "` permission. Your Sentry role may not allow it; ask an owner or manager of the organization, then ask me again."
		} else {
			s += "your connection still lacks a permission this needs. Ask an owner or manager of the Sentry organization, then ask me again."
		}
	case agent.ReasonStale:
		s += "Sentry doesn't accept the new connection either. Say `connect sentry` to try once more, then ask again."
	default:
		s += "you're not connected any more (did you disconnect?). Say `connect sentry`, then ask again."
	}
	return s
}

// newerText explains why a resumed question is not answered.
func newerText(question string) string {
	return "you're connected to Sentry now, but you've asked something newer here since, so I won't answer your earlier question " +
		quote(question) + ". Ask it again if you still need it."
}

// quote shows a question briefly, in quotes.
func quote(q string) string {
	r := []rune(strings.TrimSpace(q))
	if len(r) > 80 {
		r = append(r[:77], '.', '.', '.')
	}
	return "“" + escapeText(string(r)) + "”"
}

// clickLinkText is the private message asking a clicker to connect (or
// reconnect, or allow changes) before their click is carried out.
func clickLinkText(a agent.AuthNeeded, link string) string {
	var b strings.Builder
	switch a.Reason {
	case agent.ReasonStale:
		b.WriteString("Your Sentry connection expired or was revoked. Reconnect here: <" + link + "|Reconnect Sentry>.")
	case agent.ReasonMissingScope:
		scope := orDefault(a.Scope, "a permission")
		b.WriteString("To change issues for you, I need your Sentry connection to allow `" + scope + "`. Reconnect and allow it here: <" + link + "|Reconnect Sentry>.")
	default:
		b.WriteString("I act in Sentry as you, with your own access, so I need you to connect your Sentry account first: <" + link + "|Connect Sentry>.")
	}
	b.WriteString(" The link is yours alone, works once and expires in 10 minutes. I'll do what you clicked as soon as you've connected.")
	return b.String()
}

// clickStillMissing tells a clicker, after consent, why their click still
// could not be carried out (no new link: no loops).
func clickStillMissing(a agent.AuthNeeded) string {
	switch {
	case a.Reason == agent.ReasonMissingScope:
		return "You connected Sentry, but your connection still lacks `" + orDefault(a.Scope, "a permission this needs") +
			"`, so nothing changed. Your Sentry role may not allow it; ask an owner or manager of the organization."
	case a.Reason == agent.ReasonStale:
		return "You connected Sentry, but Sentry doesn't accept the new connection either, so nothing changed. Say `connect sentry` to try once more."
	}
	return "You're not connected to Sentry any more (did you disconnect?), so nothing changed. Say `connect sentry`, then click again."
}

// slashLinkText is the private answer to a command that needs consent.
func slashLinkText(a agent.AuthNeeded, link string) string {
	s := linkText(a, link, true)
	return strings.Replace(s, "I'll answer here as soon as you've connected.", "I'll answer you (privately) as soon as you've connected.", 1)
}
