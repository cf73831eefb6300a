package tools

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

// InputError is input refused before anything was sent to Sentry.
type InputError struct {
	Tool    string
	Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid input for %s: %s", e.Tool, e.Problem)
}

// CallError is a tool call that failed at Sentry (or on the way there). It
// keeps the arguments so the message can say what was asked for.
type CallError struct {
	Tool string
	Args string // "organizationSlug=\"acme\" issueId=\"ACME-1\""
	Err  error
}

func (e *CallError) Error() string { return fmt.Sprintf("%s (%s): %v", e.Tool, e.Args, e.Err) }
func (e *CallError) Unwrap() error { return e.Err }

// Guide words error advice for one front door. The catalog knows what went
// wrong; the front door knows how its user gets a new grant.
type Guide struct {
	// Unauthorized is said when Sentry rejects the grant (401).
	Unauthorized string
	// MissingScope is said when the grant lacks scope (may be "").
	MissingScope func(scope string) string
	// SentryURL says how this front door's user sets the Sentry URL
	// ("--host or --url"), for failures to reach it. "" leaves it out.
	SentryURL string
	// PlainHTTP says how to talk to a Sentry served over plain http
	// ("use --insecure-http"). "" leaves it out.
	PlainHTTP string
}

// TokenGuide is the advice for a user who configured a Sentry token by hand
// (`lookout mcp --access-token`).
func TokenGuide(sentryURL string) Guide {
	page := strings.TrimSuffix(sentryURL, "/") + "/settings/account/api/auth-tokens/"
	return Guide{
		SentryURL: "Check --host / --url (SENTRY_HOST, SENTRY_URL) in your MCP client's configuration, and that Sentry is running there.",
		PlainHTTP: "Add --insecure-http (with --host=HOST:PORT) for a self-hosted Sentry served over plain http on a trusted network.",
		Unauthorized: "Sentry rejected the access token: it is invalid, expired or revoked. " +
			"Create a new token at " + page + " and restart lookout with it (--access-token or SENTRY_ACCESS_TOKEN).",
		MissingScope: func(scope string) string {
			if scope == "" {
				return "The access token lacks a scope this call needs. Create a token with the scopes " +
					"org:read, project:read, team:read and event:read (event:write to update issues) at " + page + "."
			}
			return "The access token lacks the scope " + scope + ". Create a token that includes " + scope + " at " + page + "."
		},
	}
}

// Explain turns a tool error into what the user should read: what
// happened and what to do next (docs/architecture.md, "Guidance"). It never includes a token:
// errors from the Sentry client carry none.
func (g Guide) Explain(err error) string {
	var (
		ie  *InputError
		ce  *CallError
		api *sentry.APIError
	)
	if errors.As(err, &ie) {
		return ie.Error() + ". Fix the arguments and call the tool again."
	}
	args := ""
	if errors.As(err, &ce) && ce.Args != "" {
		args = " (" + ce.Args + ")"
	}
	errors.As(err, &api)
	switch {
	case errors.Is(err, sentry.ErrUnauthorized):
		return g.Unauthorized
	case errors.Is(err, sentry.ErrMissingScope):
		scope := ""
		if api != nil {
			scope = api.Scope
		}
		return g.MissingScope(scope)
	case errors.Is(err, sentry.ErrNoAccess):
		return "Your Sentry account cannot access what was asked for" + args +
			". Check the organization and project slugs (find_organizations, find_projects), " +
			"ask an owner for access, or connect with another Sentry account."
	case errors.Is(err, sentry.ErrNotFound):
		return "Sentry found nothing for" + orDefault(args, " these arguments") +
			". Check the ids and slugs: find_organizations and find_projects list what you can see, " +
			"search_issues finds issue ids."
	case errors.Is(err, sentry.ErrRateLimited):
		wait := ""
		if api != nil && api.RetryAfter > 0 {
			wait = " Try again in " + api.RetryAfter.Round(time.Second).String() + "."
		}
		return "Sentry is rate limiting requests for this account." + wait
	case errors.Is(err, sentry.ErrUnavailable) && api != nil && api.Status == 0 && api.Cause != "":
		return g.unreachable(api)
	case errors.Is(err, sentry.ErrUnavailable):
		id := ""
		if api != nil && api.RequestID != "" {
			id = " (Sentry request id " + api.RequestID + ")"
		}
		return "Sentry is unavailable right now" + id + "; lookout retried and gave up. Try again in a minute."
	case errors.Is(err, sentry.ErrUntrustedRegion):
		return "The region URL is not an allowed Sentry region" + args +
			". Omit regionUrl, or use the one find_organizations reports."
	case errors.Is(err, sentry.ErrInvalidArgument):
		detail := ""
		if api != nil && api.Detail != "" {
			detail = ": " + api.Detail
		} else {
			detail = ": " + err.Error()
		}
		return "Sentry refused the request" + args + detail + ". Fix the arguments and try again."
	case errors.Is(err, sentry.ErrResponseTooLarge):
		return "Sentry's answer was too large to use" + args + ". Narrow the query or lower the limit."
	}
	return "The call failed" + args + ": " + errorText(err)
}

// unreachable words a failure to get any answer from Sentry: where lookout
// tried, why it failed, and what to change.
func (g Guide) unreachable(api *sentry.APIError) string {
	where := "Sentry"
	if api.URL != "" {
		where = "Sentry at " + api.URL
	}
	msg := "lookout could not reach " + where + ": " + api.Cause + "."
	hint := ""
	switch api.Cause {
	case sentry.CausePlainHTTP:
		hint = g.PlainHTTP
	case sentry.CauseRefused, sentry.CauseDNS, sentry.CauseTimeout:
		hint = g.SentryURL
	case sentry.CauseCertificate:
		hint = "Use the URL the certificate was issued for, or make the certificate's authority trusted on this machine (SSL_CERT_FILE)."
	case sentry.CauseReset, sentry.CauseRetryBudget:
		hint = "Sentry or a proxy in front of it dropped the connection; lookout retried and gave up. Try again; if it persists, check that proxy."
	case sentry.CauseTLS:
		hint = "Check that the URL's scheme and port are Sentry's (https on 443 unless configured otherwise)."
	}
	if hint != "" {
		msg += " " + hint
	}
	return msg
}

// errorText is an error's message without the tool prefix CallError adds.
func errorText(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Err.Error()
	}
	return err.Error()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
