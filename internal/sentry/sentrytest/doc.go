// Package sentrytest is a fake Sentry that speaks raw HTTP and JSON the way
// sentry.io does. It backs lookout's test suites and the `lookout demo`
// command, so it stands alone: it imports nothing of lookout.
//
// It serves two regions, like multi-region Sentry: the main server (region
// "us", also answering /auth/, /users/me/regions/ and /organizations/) and a
// "de" server. An organization's endpoints answer only on its own region's
// server; elsewhere they are a 404, as in Sentry.
//
//	f := sentrytest.NewServer(t, sentrytest.Options{
//		AutoConsent:  true,
//		RedirectURIs: []string{base + "/api/oauth/callback/sentry"},
//	})
//	// f.URL is the Sentry URL; f.RegionURL("de") the second region.
//	tok := f.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)
//
// What it covers:
//   - OAuth: /oauth/authorize/ (auto-consent for tests, a consent page for the
//     demo), /oauth/token/ with authorization_code (PKCE S256, single-use
//     codes bound to client and redirect URI) and refresh_token (rotation:
//     the previous access and refresh tokens stop working at once, as with
//     Sentry's ApiToken.refresh()).
//   - The REST API under /api/0/ that lookout's tool catalog uses, with
//     bearer tokens, per-user organization access and per-endpoint scopes.
//   - Fault injection (Inject), a request log naming the user and a token
//     fingerprint (Requests), token-endpoint call counts (TokenCalls), and a
//     clock that tests can move (Advance, ExpireTokens).
//
// # Seeded data
//
// Generated from a fixed seed, with every timestamp relative to Options.Now
// (default DefaultNow), so two fakes with the same Now serve identical
// bytes.
//
// Users: alice (id "1", alice@example.com) is owner of acme and member of
// globex; bob ("2", bob@example.com) is a member of acme only; carol ("3",
// carol@example.com) belongs to no organization.
//
// Organizations: acme (Acme Corp, region "us") with teams frontend,
// payments, platform and projects web (javascript-react), checkout
// (python-django), api (go); globex (Globex Corporation, region "de") with
// teams apps, core and projects mobile (apple-ios), backend
// (java-spring-boot). Each project has one DSN key.
//
// Issues: 50, short ids from <PROJECT>-1A on in Sentry's base32 (WEB-1A …
// WEB-1N, CHECKOUT-1A … CHECKOUT-1K, API-1A … API-1K, MOBILE-1A … MOBILE-1J,
// BACKEND-1A … BACKEND-1J; I, L, O and U are skipped). Each has 3 to 5
// error events with stack traces, breadcrumbs, tags and contexts, tag value
// distributions and activity. Fixed ones for tests and the demo script:
//   - WEB-1A TypeError in CartSummary, since web@1.2.3+build.4, unassigned,
//     a note by bob; its latest event is in the seeded trace.
//   - CHECKOUT-1A PaymentGatewayTimeout, since checkout@2.0.0, assigned to
//     alice, with a note; one event is in the seeded trace.
//   - CHECKOUT-1H "Coupon service degraded" (a message event, warning): the
//     trace's standalone error.
//   - API-1A nil pointer panic (fatal), assigned to team platform.
//   - MOBILE-1A NSInvalidArgumentException (fatal), assigned to alice.
//   - BACKEND-1A NullPointerException.
//
// Trace: TraceID crosses acme/web (a click transaction) and acme/checkout
// (POST /api/checkout/pay, 10 s waiting on the payment provider), with 9
// spans, the errors above and 5 logs.
//
// Releases (newest first): acme checkout@2.0.0, web@1.2.3+build.4,
// api@release/3.4 (a "/" in the version, for path-escaping tests),
// web@1.2.2+build.9, checkout@1.9.1, api@3.3.2; globex backend@2.3.0,
// mobile@4.1.0+412, backend@2.2.5, mobile@4.0.2+398.
//
// Monitors: acme nightly-import (ok; staging missed a check-in) and
// cache-warmup (error); globex data-retention (ok).
//
// Project management: web is shared by teams frontend and platform (the
// other projects have one team each). Writes (teams, projects, team
// access, client keys, uptime monitors, code mappings, Seer runs,
// onboarding updates) check the member's role as well as the token's
// scopes (a member may not create teams or change projects; an owner may)
// and are recorded in AuditLog with the user who made them.
//
// Uptime monitors (with 12 checks each): acme Storefront (web, up), Public
// API (api, failing for its last 4 checks, with credential headers and a
// body), Checkout (staging) (checkout, disabled); globex Backend health.
// Repositories: acme/web-frontend, acme/checkout-service, acme-labs/api;
// globex/mobile-ios. Seer: CHECKOUT-1A has a finished autofix run; a run
// started on any other issue follows ScriptAutofix (default: processing for
// 2 reads, then completed). Onboarding: acme's run OnboardingRunToken.
//
// Docs (NewDocs) fakes the docs search of mcp.sentry.dev and the markdown
// pages of docs.sentry.io on its own server.
//
// Inspect data (seed_inspect.go; ids exported as constants): dashboards
// (acme Errors Overview, Checkout Health, Company KPIs, API Latency; globex
// Mobile Crashes); issue alert rules as workflows (one a draft without
// detectors) and metric alert rules, with "API errors" in both families;
// cron check-ins and stats derived from the monitors above; user reports on
// WEB-1A and MOBILE-1A; replays (ReplayID, of the shopper in TraceID, with
// a recording; an archived one; GlobexReplayID); attachments on the latest
// events of WEB-1A (a PNG, a log), CHECKOUT-1A (binary, one of 5 MiB) and
// MOBILE-1A; a flamegraph of acme/checkout "POST /api/checkout/pay" (slower
// in the last 7 days than over longer periods), ProfileID and a
// continuous-profile chunk of ProfilerID; preprod snapshots (SnapshotID
// with a changed image whose files are served, an added image hosted
// elsewhere, BaseSnapshotID for AppID, GlobexSnapshotID); agent
// conversations ConversationID and GlobexConversationID.
//
// Counts in issues and tags are Sentry-sized (CHECKOUT-1A has 5210 events);
// only the few sample events are stored, so Discover's count() counts
// samples.
package sentrytest
