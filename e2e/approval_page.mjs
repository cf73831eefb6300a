// approval_page.mjs: lookout's approval page in a real browser (Debian's
// headless Chromium driven by playwright-core), against `lookout serve` with
// the fake Sentry consenting at once.
//
//   node approval_page.mjs <base-url> --chromium /usr/bin/chromium \
//        --screenshots <dir> [--record <file>]
//
// Registers a client (DCR), opens an authorization URL with PKCE, checks the
// page (client name shown escaped, permissions, buttons, security headers,
// no CSP violation, the stylesheet applied), takes screenshots, clicks
// Approve and follows the browser to the client's loopback redirect URI with
// a code, which is then exchanged for tokens. Then: a second sign-in skips
// the page (approval remembered), and Deny on another client's page sends
// error=access_denied. Every response the browser saw goes to --record.
// Prints one JSON object on stdout; exits 1 on a failed check.

import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { assert, finish, log, parseArgs, pkce, Recorder, startCallbackServer } from './lib.mjs';

// The name carries markup: the page must show it as text.
const CLIENT_NAME = 'E2E <b>Chromium</b> client & "friends"';
const DENY_CLIENT_NAME = 'E2E deny-test client';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

const { positional, named } = parseArgs(process.argv.slice(2));
const result = { base: positional[0], screenshots: [] };
const recorder = new Recorder(named.record);

async function register(base, name, redirectUri) {
  const res = await recorder.fetch(`${base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  const body = await res.json();
  assert(res.status === 201, `registration answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

function authorizeURL(base, clientId, redirectUri, scope = 'read') {
  const { verifier, challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  const u = new URL(`${base}/oauth/authorize`);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state,
    code_challenge: challenge, code_challenge_method: 'S256', scope, resource: `${base}/mcp`,
  }).toString();
  return { url: u.href, verifier, state };
}

async function main() {
  const base = positional[0];
  const executablePath = named.chromium ?? '/usr/bin/chromium';
  const shots = named.screenshots;
  assert(base && shots, 'usage: node approval_page.mjs <base-url> --screenshots <dir> [--chromium path] [--record file]');
  mkdirSync(shots, { recursive: true });
  const callback = await startCallbackServer();
  const client = await register(base, CLIENT_NAME, callback.url);
  result.clientIdPrefix = client.client_id.slice(0, 5);

  log(`chromium: launching ${executablePath}`);
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS, timeout: 60000 });
  try {
    result.chromiumVersion = browser.version();
    const context = await browser.newContext({ viewport: { width: 960, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    const consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()} (at ${m.location()?.url ?? '?'})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    const authorizeResponses = [];
    page.on('response', (r) => {
      const req = r.request();
      const entry = { via: 'chromium', method: req.method(), url: r.url(), status: r.status(), headers: [], body: null };
      recorder.addRaw(entry);
      if (new URL(r.url()).pathname === '/oauth/authorize') authorizeResponses.push(entry);
      recorder.pending.push((async () => {
        entry.headers = (await r.headersArray()).map((h) => [h.name, h.value]);
        try {
          entry.body = r.status() >= 300 && r.status() < 400 ? '' : await r.text();
        } catch (e) {
          entry.body = `<unavailable: ${e.message}>`;
        }
      })());
    });

    // 1. The approval page.
    const first = authorizeURL(base, client.client_id, callback.url);
    log('chromium: opening the authorization URL');
    const resp = await page.goto(first.url, { waitUntil: 'load' });
    assert(resp, 'no response for the authorization URL');
    const headers = await resp.allHeaders();
    const csp = headers['content-security-policy'] ?? '';
    result.page = {
      status: resp.status(),
      contentType: headers['content-type'],
      csp,
      xFrameOptions: headers['x-frame-options'],
      xContentTypeOptions: headers['x-content-type-options'],
      referrerPolicy: headers['referrer-policy'],
      cacheControl: headers['cache-control'],
      title: await page.title(),
      h1: (await page.locator('h1').textContent())?.trim(),
      boldElementsInHeading: await page.locator('h1 b').count(),
      permissions: (await page.locator('dd ul li').allTextContents()).map((s) => s.trim()),
      redirectTarget: (await page.locator('dd .mono').allTextContents()).map((s) => s.trim()),
      localRedirectWarning: await page.locator('p.warn').isVisible(),
      approveVisible: await page.getByRole('button', { name: 'Approve' }).isVisible(),
      denyVisible: await page.getByRole('button', { name: 'Deny' }).isVisible(),
      primaryButtonBackground: await page.locator('button.primary').evaluate((b) => getComputedStyle(b).backgroundColor),
      hiddenFields: await page.locator('form input[type=hidden]').evaluateAll((els) => els.map((e) => e.name)),
    };
    const p = result.page;
    assert(p.status === 200, `approval page status ${p.status}`);
    assert((p.contentType ?? '').startsWith('text/html'), `content-type ${p.contentType}`);
    assert(p.h1?.includes(CLIENT_NAME), `heading ${JSON.stringify(p.h1)} does not show the client name ${JSON.stringify(CLIENT_NAME)} as text`);
    assert(p.boldElementsInHeading === 0, 'the client name was rendered as markup');
    assert(p.permissions.some((s) => s.startsWith('Read your Sentry')), `permissions shown: ${JSON.stringify(p.permissions)}`);
    assert(!p.permissions.some((s) => s.startsWith('Update issues')), 'a read-only request shows write permissions');
    assert(p.approveVisible && p.denyVisible, 'Approve/Deny buttons not visible');
    assert(p.hiddenFields.includes('csrf_token'), `hidden fields: ${p.hiddenFields}`);
    assert(p.localRedirectWarning, 'no warning that the redirect goes to this computer');
    const port = new URL(callback.url).port;
    assert(p.redirectTarget.some((s) => s.includes('127.0.0.1') && s.includes(port)), `redirect target shown: ${JSON.stringify(p.redirectTarget)}`);
    // The inline stylesheet is allowed by its CSP hash: the primary button is #362d59.
    assert(p.primaryButtonBackground === 'rgb(54, 45, 89)', `primary button background ${p.primaryButtonBackground}: the stylesheet was blocked?`);
    assert(p.xFrameOptions === 'DENY', `X-Frame-Options ${p.xFrameOptions}`);
    for (const d of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", 'form-action ']) {
      assert(csp.includes(d), `CSP lacks ${d}: ${csp}`);
    }
    assert(!/script-src/.test(csp) && !/unsafe-inline/.test(csp), `CSP allows scripts or inline code: ${csp}`);
    assert(p.xContentTypeOptions === 'nosniff', `X-Content-Type-Options ${p.xContentTypeOptions}`);
    assert(p.referrerPolicy === 'no-referrer', `Referrer-Policy ${p.referrerPolicy}`);
    assert((p.cacheControl ?? '').includes('no-store'), `Cache-Control ${p.cacheControl}`);

    const approvalShot = join(shots, 'approval-page.png');
    await page.screenshot({ path: approvalShot, fullPage: true });
    result.screenshots.push(approvalShot);
    result.cookiesOnPage = (await context.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, path: c.path }));

    // 2. Approve: lookout -> Sentry (auto-consent) -> lookout callback ->
    // the client's redirect URI, all under the page's form-action CSP.
    log('chromium: clicking Approve');
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(callback.url), { waitUntil: 'load' }),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    const hit = await callback.next();
    const landed = new URL(page.url());
    result.approve = {
      landedOn: landed.origin + landed.pathname,
      hasCode: !!hit.query.code,
      stateMatches: hit.query.state === first.state,
      iss: hit.query.iss,
      error: hit.query.error,
      cookiesAfter: (await context.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, expires: c.expires > 0 ? Math.round(c.expires - Date.now() / 1000) : c.expires })),
    };
    assert(!hit.query.error, `Approve ended in error=${hit.query.error}: ${hit.query.error_description}`);
    assert(hit.query.code, 'no code at the redirect URI');
    assert(result.approve.stateMatches, 'state did not come back unchanged');
    assert(hit.query.iss === base, `iss ${hit.query.iss}, want ${base}`);
    const doneShot = join(shots, 'after-approve.png');
    await page.screenshot({ path: doneShot });
    result.screenshots.push(doneShot);

    // 3. The code the browser carried works at the token endpoint.
    const tok = await recorder.fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: hit.query.code, redirect_uri: callback.url,
        client_id: client.client_id, code_verifier: first.verifier, resource: `${base}/mcp`,
      }).toString(),
    });
    const tokBody = await tok.json();
    result.token = { status: tok.status, accessPrefix: String(tokBody.access_token ?? '').slice(0, 4), scope: tokBody.scope, error: tokBody.error };
    assert(tok.status === 200 && String(tokBody.access_token).startsWith('lka_'), `token exchange: ${tok.status} ${JSON.stringify(tokBody.error ?? '')}`);

    // 4. The approval is remembered in this browser: no page the second time.
    const second = authorizeURL(base, client.client_id, callback.url);
    const before = authorizeResponses.length;
    log('chromium: signing in again (approval remembered)');
    await page.goto(second.url, { waitUntil: 'load' });
    await page.waitForURL((u) => u.href.startsWith(callback.url));
    const hit2 = await callback.next();
    const again = authorizeResponses.slice(before);
    result.remembered = { authorizeStatuses: again.map((e) => e.status), hasCode: !!hit2.query.code, stateMatches: hit2.query.state === second.state };
    assert(again.length === 1 && again[0].status >= 300 && again[0].status < 400, `second sign-in showed a page: statuses ${again.map((e) => e.status)}`);
    assert(hit2.query.code && result.remembered.stateMatches, `second sign-in: ${JSON.stringify(hit2.query.error ?? 'no code')}`);

    // 5. Deny on another client's page.
    const other = await register(base, DENY_CLIENT_NAME, callback.url);
    const third = authorizeURL(base, other.client_id, callback.url);
    log('chromium: clicking Deny for another client');
    await page.goto(third.url, { waitUntil: 'load' });
    assert((await page.locator('h1').textContent())?.includes(DENY_CLIENT_NAME), 'the other client did not get its own approval page');
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(callback.url)),
      page.getByRole('button', { name: 'Deny' }).click(),
    ]);
    const hit3 = await callback.next();
    result.deny = { error: hit3.query.error, hasCode: !!hit3.query.code, stateMatches: hit3.query.state === third.state, iss: hit3.query.iss };
    assert(hit3.query.error === 'access_denied' && !hit3.query.code, `Deny: ${JSON.stringify(hit3.query)}`);
    assert(result.deny.stateMatches && hit3.query.iss === base, 'Deny: state or iss wrong');

    result.consoleErrors = consoleErrors.filter((m) => !/favicon/i.test(m));
    assert(result.consoleErrors.length === 0, `browser console errors (CSP violations?): ${result.consoleErrors.join(' | ')}`);
    await context.close();
  } finally {
    await browser.close();
    await callback.close();
  }
}

main().then(
  () => finish(recorder, result),
  (err) => finish(recorder, result, err),
);
