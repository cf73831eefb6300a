// Package e2e holds lookout's end-to-end tests: `lookout serve` (and
// `lookout demo`) built and run as a real process against the fake Sentry,
// driven by clients lookout did not write: the official MCP TypeScript SDK
// (sdk_flow.mjs), Debian's headless Chromium through playwright-core
// (approval_page.mjs, connections_page.mjs) and the MCP Inspector's CLI, with the versions pinned
// in package-lock.json. Every lookout log line and every HTTP exchange the
// clients saw is scanned for Sentry tokens and lookout's secrets.
// quickstart_test.go follows the README's quick start line by line in a
// fresh clone of the repository's HEAD.
//
// Running them:
//
//	npm ci --prefix e2e                 # once, and after package-lock.json changes
//	apt-get install -y chromium         # for the ...InChromium tests
//	go test ./e2e                       # part of go test ./...
//
// Without e2e/node_modules, Node 20+ (22.19+ for the Inspector), git or
// /usr/bin/chromium the tests skip, saying what to install; with
// LOOKOUT_E2E=1 (set by .ci/run) they fail instead. Other knobs:
// LOOKOUT_E2E_NODE (a node binary to use), LOOKOUT_E2E_CHROMIUM (a chromium
// binary), LOOKOUT_E2E_ARTIFACTS (a directory that keeps the screenshots
// and the recorded HTTP exchanges, one subdirectory per test). lookout is
// built with -race when the tests run with -race (the quick start builds
// it as the README says, without).
package e2e
