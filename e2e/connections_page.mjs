// connections_page.mjs: lookout's connections page in a real browser
// (Debian's headless Chromium driven by playwright-core), against `lookout
// serve` with the fake Sentry consenting at once.
//
//   node connections_page.mjs <base-url> --chromium /usr/bin/chromium \
//        --screenshots <dir> [--record <file>]
//
// An MCP client (its name carries markup) signs in through the approval
// page and gets a lookout access token that works on /mcp. Then, in a new
// browser profile, the same person opens /connections, signs in with
// Sentry, sees that client (name shown as text, the security headers, no
// CSP violation, the session cookie's attributes), clicks Revoke, sees it
// gone, and the client's token is refused by /mcp. Every response the
// browser and the script saw goes to --record for the Go test's leak scan.
// Prints one JSON object on stdout; exits 1 on a failed check.

import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { assert, finish, log, parseArgs, pkce, Recorder, startCallbackServer } from './lib.mjs';

const CLIENT_NAME = 'E2E <i>Connections</i> client & "co"';
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
      client_name: name, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none',
    }),
  });
  const body = await res.json();
  assert(res.status === 201, `registration answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

// toolsList asks /mcp for its tools with token and returns the status.
async function toolsList(base, token) {
  const res = await recorder.fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  await res.text();
  return res.status;
}

// record makes every response a Playwright page sees part of the record.
function recordPage(page) {
  page.on('response', (r) => {
    const req = r.request();
    const entry = { via: 'chromium', method: req.method(), url: r.url(), status: r.status(), headers: [], body: null };
    recorder.addRaw(entry);
    recorder.pending.push((async () => {
      entry.headers = (await r.headersArray()).map((h) => [h.name, h.value]);
      try {
        entry.body = r.status() >= 300 && r.status() < 400 ? '' : await r.text();
      } catch (e) {
        entry.body = `<unavailable: ${e.message}>`;
      }
    })());
  });
}

function watchConsole(page, into) {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') into.push(`${m.type()}: ${m.text()} (at ${m.location()?.url ?? '?'})`);
  });
  page.on('pageerror', (e) => into.push(`pageerror: ${e.message}`));
}

async function main() {
  const base = positional[0];
  const executablePath = named.chromium ?? '/usr/bin/chromium';
  const shots = named.screenshots;
  assert(base && shots, 'usage: node connections_page.mjs <base-url> --screenshots <dir> [--chromium path] [--record file]');
  mkdirSync(shots, { recursive: true });
  const callback = await startCallbackServer();
  const client = await register(base, CLIENT_NAME, callback.url);
  result.clientId = client.client_id;

  log(`chromium: launching ${executablePath}`);
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS, timeout: 60000 });
  try {
    result.chromiumVersion = browser.version();
    const consoleErrors = [];

    // 1. The MCP client signs in: approval page, Sentry, its redirect URI.
    const signinCtx = await browser.newContext();
    const signinPage = await signinCtx.newPage();
    signinPage.setDefaultTimeout(30000);
    recordPage(signinPage);
    watchConsole(signinPage, consoleErrors);
    const { verifier, challenge } = pkce();
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL(`${base}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code', client_id: client.client_id, redirect_uri: callback.url, state,
      code_challenge: challenge, code_challenge_method: 'S256', scope: 'read', resource: `${base}/mcp`,
    }).toString();
    log('chromium: the MCP client signs in');
    await signinPage.goto(authorize.href, { waitUntil: 'load' });
    await Promise.all([
      signinPage.waitForURL((u) => u.href.startsWith(callback.url), { waitUntil: 'load' }),
      signinPage.getByRole('button', { name: 'Approve' }).click(),
    ]);
    const hit = await callback.next();
    assert(hit.query.code && hit.query.state === state, `sign-in ended with ${JSON.stringify(hit.query.error ?? 'no code')}`);
    const tok = await recorder.fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: hit.query.code, redirect_uri: callback.url,
        client_id: client.client_id, code_verifier: verifier, resource: `${base}/mcp`,
      }).toString(),
    });
    const tokBody = await tok.json();
    assert(tok.status === 200 && String(tokBody.access_token).startsWith('lka_'), `token exchange: ${tok.status}`);
    result.before = { mcpStatus: await toolsList(base, tokBody.access_token) };
    assert(result.before.mcpStatus === 200, `/mcp with the new token: ${result.before.mcpStatus}`);
    await signinCtx.close();

    // 2. The person, in another browser profile, opens /connections.
    const context = await browser.newContext({ viewport: { width: 960, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    recordPage(page);
    watchConsole(page, consoleErrors);
    log('chromium: opening /connections');
    const first = await page.goto(`${base}/connections`, { waitUntil: 'load' });
    const firstHeaders = await first.allHeaders();
    result.signinPage = {
      status: first.status(),
      h1: (await page.locator('h1').textContent())?.trim(),
      csp: firstHeaders['content-security-policy'] ?? '',
      button: await page.getByRole('button', { name: 'Sign in with Sentry' }).isVisible(),
    };
    assert(result.signinPage.status === 200 && result.signinPage.button, `sign-in page: ${JSON.stringify(result.signinPage)}`);
    log('chromium: signing in with Sentry');
    // Sentry consents at once and sends the browser to lookout's callback,
    // which signs it in and redirects to the listing.
    const [callbackResponse] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/oauth/callback/sentry'),
      page.getByRole('button', { name: 'Sign in with Sentry' }).click(),
    ]);
    result.callback = { status: callbackResponse.status(), location: (await callbackResponse.allHeaders()).location };
    assert(result.callback.status === 303 && result.callback.location === '/connections', `callback: ${JSON.stringify(result.callback)}`);
    await page.waitForLoadState('load');
    const listed = await page.goto(`${base}/connections`, { waitUntil: 'load' });
    const headers = await listed.allHeaders();
    const cards = page.locator('div.connection');
    result.page = {
      status: listed.status(),
      csp: headers['content-security-policy'] ?? '',
      xFrameOptions: headers['x-frame-options'],
      referrerPolicy: headers['referrer-policy'],
      cacheControl: headers['cache-control'],
      signedInAs: (await page.locator('p strong').first().textContent())?.trim(),
      clientNames: (await page.locator('dd.client-name').allTextContents()).map((s) => s.trim()),
      italicElements: await page.locator('dd.client-name i').count(),
      connections: await cards.count(),
      revokeButtons: await page.getByRole('button', { name: 'Revoke' }).count(),
      buttonBorder: await page.getByRole('button', { name: 'Revoke' }).first().evaluate((b) => getComputedStyle(b).borderTopLeftRadius),
      cookies: (await context.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite,
        expiresIn: c.expires > 0 ? Math.round(c.expires - Date.now() / 1000) : c.expires })),
    };
    const p = result.page;
    assert(p.status === 200, `connections page status ${p.status}`);
    assert(p.clientNames.some((n) => n.includes(CLIENT_NAME)), `client names shown: ${JSON.stringify(p.clientNames)}`);
    assert(p.italicElements === 0, 'the client name was rendered as markup');
    assert(p.connections >= 1 && p.revokeButtons === p.connections, `connections ${p.connections}, revoke buttons ${p.revokeButtons}`);
    assert(p.xFrameOptions === 'DENY' && p.referrerPolicy === 'no-referrer' && (p.cacheControl ?? '').includes('no-store'), `headers: ${JSON.stringify(headers)}`);
    assert(!/script-src/.test(p.csp) && !/unsafe-inline/.test(p.csp) && p.csp.includes("form-action 'self'"), `CSP ${p.csp}`);
    assert(p.buttonBorder === '6px', `button border radius ${p.buttonBorder}: the stylesheet was blocked?`);
    const shot = join(shots, 'connections-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    result.screenshots.push(shot);

    // 3. Revoke the client.
    log('chromium: revoking the MCP client');
    const card = cards.filter({ hasText: CLIENT_NAME });
    assert((await card.count()) === 1, 'no card for the client');
    await Promise.all([
      page.waitForURL((u) => u.search === '?done=revoked', { waitUntil: 'load' }),
      card.getByRole('button', { name: 'Revoke' }).click(),
    ]);
    result.after = {
      notice: (await page.locator('p.box').first().textContent())?.trim(),
      clientNames: (await page.locator('dd.client-name').allTextContents()).map((s) => s.trim()),
      connections: await page.locator('div.connection').count(),
    };
    assert(result.after.notice?.startsWith('Revoked.'), `after revoke: ${JSON.stringify(result.after)}`);
    assert(!result.after.clientNames.some((n) => n.includes(CLIENT_NAME)), 'the revoked client is still listed');
    const afterShot = join(shots, 'after-revoke.png');
    await page.screenshot({ path: afterShot, fullPage: true });
    result.screenshots.push(afterShot);

    // 4. Its token is refused.
    result.after.mcpStatus = await toolsList(base, tokBody.access_token);
    assert(result.after.mcpStatus === 401, `/mcp with the revoked token: ${result.after.mcpStatus}, want 401`);

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
