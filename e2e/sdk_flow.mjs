// sdk_flow.mjs: the whole remote-MCP sign-in, driven by a client we did not
// write, the official MCP TypeScript SDK (Client, StreamableHTTPClientTransport
// and its OAuth support), against `lookout serve` with the fake Sentry.
//
//   node sdk_flow.mjs <mcp-url> [--record <file>] [--control <url>]
//
// The "browser" is a cookie-jar fetch that follows redirects by hand: the
// approval page is parsed and its form posted like a browser would.
// --record: every HTTP response seen (status, headers, body) is written there
// for the Go test's leak scan. --control: the Go test's control server for
// the fake Sentry; with it the script also checks lookout's upstream refresh
// (POST <control>/expire-sentry-tokens: Sentry's access tokens expire) and
// the new sign-in after Sentry revoked the grant (POST
// <control>/revoke-sentry-grant).
// Prints one JSON object (the result) on stdout; exits 1 on a failed check.

import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { assert, CookieJar, decodeEntities, finish, formBody, log, parseArgs, parseForms, Recorder, startCallbackServer } from './lib.mjs';

const CLIENT_NAME = 'lookout e2e (MCP TypeScript SDK)';
const SHORT_ID = /\b(?:WEB|CHECKOUT)-[0-9A-Z]+\b/g;

const { positional, named } = parseArgs(process.argv.slice(2));
const result = { mcpUrl: positional[0], signIns: [] };
const recorder = new Recorder(named.record);

// MemoryProvider is an OAuthClientProvider that keeps everything in memory
// and counts what the SDK asks of it.
class MemoryProvider {
  constructor(redirectUrl, signIn) {
    this._redirectUrl = redirectUrl;
    this._signIn = signIn;
    this._client = undefined;
    this._tokens = undefined;
    this._verifier = undefined;
    this.lastState = undefined;
    this.savedClients = [];
    this.savedTokens = [];
    this.authorizationUrls = [];
    this.invalidated = [];
    this.code = undefined;
  }

  get redirectUrl() {
    return this._redirectUrl;
  }

  get clientMetadata() {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state() {
    this.lastState = randomBytes(16).toString('base64url');
    return this.lastState;
  }

  clientInformation() {
    return this._client;
  }

  saveClientInformation(info) {
    this.savedClients.push(info);
    this._client = info;
  }

  tokens() {
    return this._tokens;
  }

  saveTokens(tokens) {
    this.savedTokens.push(tokens);
    this._tokens = tokens;
  }

  async redirectToAuthorization(url) {
    this.authorizationUrls.push(url.href);
    this.code = await this._signIn(url, this.lastState);
  }

  // invalidateCredentials is what the SDK calls when the server refuses
  // a refresh (invalid_grant): forget the tokens, as a real client does.
  invalidateCredentials(scope) {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'client') this._client = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._verifier = undefined;
  }

  saveCodeVerifier(v) {
    this._verifier = v;
  }

  codeVerifier() {
    if (!this._verifier) throw new Error('no code verifier saved');
    return this._verifier;
  }
}

// Browser is the user agent: cookies, manual redirects, form posts.
class Browser {
  constructor() {
    this.jar = new CookieJar();
    this.hops = [];
  }

  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    headers.set('accept', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
    headers.set('user-agent', 'lookout-e2e-browser/1.0');
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await recorder.fetch(url, { ...init, headers, redirect: 'manual' });
    this.jar.store(url, res);
    const u = new URL(url);
    this.hops.push({ method: init.method ?? 'GET', url: u.origin + u.pathname, status: res.status, sentCookies: cookie ? cookie.split('; ').map((c) => c.split('=')[0]) : [] });
    return res;
  }

  // follow follows redirects from res (a response to url) until a
  // non-redirect answer; every hop is a GET, as after a form post.
  async follow(url, res) {
    for (let i = 0; i < 10; i++) {
      if (res.status < 300 || res.status > 399) return { url, res };
      const loc = res.headers.get('location');
      assert(loc, `${res.status} from ${url} has no Location`);
      await res.body?.cancel();
      url = new URL(loc, url).href;
      res = await this.fetch(url);
    }
    throw new Error('more than 10 redirects');
  }
}

async function main() {
  const mcpUrl = positional[0];
  assert(mcpUrl, 'usage: node sdk_flow.mjs <mcp-url> [--record file] [--control url]');
  const base = new URL(mcpUrl).origin;
  const callback = await startCallbackServer();
  const browser = new Browser();

  // signIn is what the user does in the browser after the SDK opened the
  // authorization URL: approve on lookout's page, consent on Sentry (the
  // fake consents at once), land on the client's loopback redirect URI.
  const signIn = async (authorizationUrl, sentState) => {
    log(`browser: opening ${authorizationUrl.origin}${authorizationUrl.pathname}`);
    const q = authorizationUrl.searchParams;
    result.authorizationRequest = {
      endpoint: authorizationUrl.origin + authorizationUrl.pathname,
      response_type: q.get('response_type'),
      code_challenge_method: q.get('code_challenge_method'),
      has_code_challenge: !!q.get('code_challenge'),
      scope: q.get('scope'),
      resource: q.get('resource'),
      redirect_uri: q.get('redirect_uri'),
      has_state: !!q.get('state'),
    };
    const hopsBefore = browser.hops.length;
    let url = authorizationUrl.href;
    let res = await browser.fetch(url);
    ({ url, res } = await browser.follow(url, res));
    const atClient = (u) => { const x = new URL(u); return x.origin + x.pathname === callback.url; };
    // Pages on the way: lookout's approval page (unless this browser
    // approved the client before), and a consent page on Sentry's side
    // (the fake with AutoConsent has none; `lookout demo`'s has one).
    let approvalPage = false;
    const consentPages = [];
    for (let pages = 1; !atClient(url); pages++) {
      const here = new URL(url);
      const html = await res.text();
      assert(pages <= 3, `more than 3 pages before reaching the client; now at ${here.origin}${here.pathname}`);
      assert(res.status === 200, `${here.origin}${here.pathname} answered ${res.status} on the way to the client: ${html.slice(0, 400)}`);
      assert((res.headers.get('content-type') ?? '').startsWith('text/html'), `${here.pathname}: content-type ${res.headers.get('content-type')}`);
      const form = parseForms(html).find((f) => f.buttons.some((b) => b.value === 'approve'));
      assert(form, `no form with an Approve button at ${here.origin}${here.pathname}: ${html.slice(0, 800)}`);
      const approve = form.buttons.find((b) => b.value === 'approve');
      let origin = here.origin;
      if (here.origin === base && here.pathname === '/oauth/authorize') {
        approvalPage = true;
        result.approvalPage = {
          url: here.origin + here.pathname,
          status: res.status,
          showsClientName: html.includes(CLIENT_NAME),
          access: decodeEntities((html.match(/<dt>In<\/dt><dd>([^<]*)<\/dd>/) ?? [])[1] ?? ''),
          csp: res.headers.get('content-security-policy'),
          xFrameOptions: res.headers.get('x-frame-options'),
          formMethod: form.method,
          formAction: form.action,
          hiddenFields: form.inputs.filter((i) => i.type === 'hidden').map((i) => i.name),
          buttons: form.buttons.map((b) => `${b.name}=${b.value} (${b.text})`),
          cookiesAfterPage: browser.jar.names(),
        };
        assert(form.method === 'post', `approval form method ${form.method}`);
        assert(form.inputs.some((i) => i.name === 'csrf_token' && i.value), 'approval form has no csrf_token');
        // Chrome sends Origin: null here: the page has Referrer-Policy: no-referrer.
        origin = 'null';
      } else {
        consentPages.push(here.origin + here.pathname);
      }
      const action = new URL(form.action || url, url).href;
      log(`browser: approving on ${here.origin}${here.pathname} (${form.method.toUpperCase()} ${new URL(action).pathname})`);
      res = await browser.fetch(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: formBody(form, approve).toString(),
      });
      ({ url, res } = await browser.follow(action, res));
    }
    await res.body?.cancel();
    result.signIns.push({ approvalPage, consentPages, hops: browser.hops.slice(hopsBefore).map((h) => `${h.method} ${h.url} ${h.status}`) });
    result.browser = { hops: browser.hops.slice(), rejectedCookies: browser.jar.rejected, cookies: browser.jar.names() };
    return await landedAtClient(sentState);
  };

  // landedAtClient checks the authorization response that reached the
  // client's redirect URI and returns the code.
  const landedAtClient = async (sentState) => {
    const hit = await callback.next();
    result.authorizationResponse = {
      hasCode: !!hit.query.code,
      codePrefix: (hit.query.code ?? '').slice(0, 4),
      stateMatches: hit.query.state === sentState,
      iss: hit.query.iss,
      error: hit.query.error,
    };
    assert(!hit.query.error, `the client got error=${hit.query.error}: ${hit.query.error_description}`);
    assert(hit.query.code, 'the client redirect has no code');
    assert(hit.query.state === sentState, `state came back as ${hit.query.state}, sent ${sentState}`);
    assert(hit.query.iss === base, `iss is ${hit.query.iss}, want ${base} (RFC 9207)`);
    return hit.query.code;
  };

  const provider = new MemoryProvider(callback.url, signIn);
  const newTransport = () => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recorder.fetch });

  // 1. Connect without tokens: 401, discovery, DCR, authorization.
  log('sdk: connecting without a token');
  const first = new Client({ name: 'lookout-e2e', version: '1.0.0' });
  const t1 = newTransport();
  let unauthorized = false;
  try {
    await first.connect(t1);
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
    unauthorized = true;
  }
  assert(unauthorized, 'connect succeeded without signing in');
  assert(provider.code, 'the SDK did not send the user to authorize');
  const firstMcp = recorder.find((e) => e.url === mcpUrl && e.method === 'POST')[0];
  const wwwAuth = firstMcp?.headers.find(([k]) => k.toLowerCase() === 'www-authenticate')?.[1];
  result.unauthenticated = { status: firstMcp?.status, wwwAuthenticate: wwwAuth };
  assert(firstMcp?.status === 401, `first POST ${mcpUrl} answered ${firstMcp?.status}, want 401`);
  assert(/resource_metadata="[^"]+"/.test(wwwAuth ?? ''), `401 without resource_metadata: ${wwwAuth}`);

  const prm = recorder.find((e) => e.method === 'GET' && new URL(e.url).pathname.startsWith('/.well-known/oauth-protected-resource'));
  const asm = recorder.find((e) => e.method === 'GET' && new URL(e.url).pathname.startsWith('/.well-known/oauth-authorization-server'));
  const reg = recorder.find((e) => e.method === 'POST' && new URL(e.url).pathname === '/oauth/register');
  result.discovery = {
    protectedResource: prm.map((e) => `${new URL(e.url).pathname} ${e.status}`),
    authorizationServer: asm.map((e) => `${new URL(e.url).pathname} ${e.status}`),
  };
  assert(prm.some((e) => e.status === 200), 'the SDK did not fetch the protected-resource metadata');
  assert(asm.some((e) => e.status === 200), 'the SDK did not fetch the authorization-server metadata');
  result.registration = {
    requests: reg.map((e) => e.status),
    clientIdPrefix: (provider._client?.client_id ?? '').split('_')[0] + '_',
    authMethod: provider._client?.token_endpoint_auth_method,
    saved: provider.savedClients.length,
  };
  assert(reg.length === 1 && reg[0].status === 201, `dynamic client registration: ${JSON.stringify(reg.map((e) => [e.status, e.body]))}`);
  assert(provider._client?.client_id?.startsWith('mcpc_'), `registered client_id ${provider._client?.client_id}`);
  const ar = result.authorizationRequest;
  assert(ar.code_challenge_method === 'S256' && ar.has_code_challenge, 'the SDK did not use PKCE S256');
  assert(ar.resource === mcpUrl, `resource ${ar.resource}, want ${mcpUrl}`);
  assert(ar.scope === 'read', `the SDK asked for scope ${ar.scope}, want "read" (the resource metadata's scopes_supported)`);

  // 2. The code goes back to the SDK: token exchange.
  log('sdk: finishAuth');
  await t1.finishAuth(provider.code);
  await first.close().catch(() => {});
  assert(provider.savedTokens.length === 1, `saveTokens called ${provider.savedTokens.length} times after finishAuth`);
  const initial = provider.savedTokens[0];
  result.tokens = {
    accessPrefix: initial.access_token.slice(0, 4),
    refreshPrefix: (initial.refresh_token ?? '').slice(0, 4),
    tokenType: initial.token_type,
    expiresIn: initial.expires_in,
    scope: initial.scope,
  };
  assert(initial.access_token.startsWith('lka_') && initial.refresh_token?.startsWith('lkr_'), 'unexpected token formats');

  // 3. Connected: tools/list and tools/call.
  log('sdk: connecting with the token');
  const client = new Client({ name: 'lookout-e2e', version: '1.0.0' });
  const transport = newTransport();
  await client.connect(transport);
  result.server = client.getServerVersion();
  const allTools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    allTools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  const names = allTools.map((t) => t.name);
  result.tools = names;
  // On a URL pinned to an organization, the tools do not take one.
  const searchTool = allTools.find((t) => t.name === 'search_issues');
  const takesOrg = !!searchTool?.inputSchema?.properties?.organizationSlug;
  result.searchTakesOrganization = takesOrg;
  for (const want of ['search_issues', 'get_issue_details', 'search_sentry_tools', 'execute_sentry_tool']) {
    assert(names.includes(want), `tools/list lacks ${want}: ${names.join(', ')}`);
  }
  assert(!names.includes('update_issue') && !names.includes('add_issue_note'), `read-only sign-in lists write tools: ${names.join(', ')}`);

  const searchArgs = takesOrg ? { organizationSlug: 'acme' } : {};
  const search = async (label) => {
    log(`sdk: tools/call search_issues (${label})`);
    const r = await client.callTool({ name: 'search_issues', arguments: searchArgs });
    const text = (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
    assert(!r.isError, `search_issues (${label}) failed: ${text.slice(0, 600)}`);
    const ids = [...new Set(text.match(SHORT_ID) ?? [])];
    assert(ids.length > 0, `search_issues (${label}) names no WEB-/CHECKOUT- issue: ${text.slice(0, 600)}`);
    return { shortIds: ids.slice(0, 10), chars: text.length };
  };
  result.search = await search('first call');

  // 4. Force a refresh: the saved access token no longer works, the refresh
  // token does. The SDK must get a 401, refresh, save the rotated tokens
  // and retry the call.
  const savesBefore = provider.savedTokens.length;
  const before = provider._tokens;
  provider._tokens = { ...before, access_token: 'lka_invalid' };
  const mark = recorder.entries.length;
  result.afterRefresh = await search('after invalidating the access token');
  const seen = recorder.entries.slice(mark);
  const after = provider._tokens;
  result.refresh = {
    saveTokensCalls: provider.savedTokens.length - savesBefore,
    newRefreshToken: !!after.refresh_token && after.refresh_token !== before.refresh_token,
    newAccessToken: after.access_token !== before.access_token && after.access_token !== 'lka_invalid',
    exchanges: seen.map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}${e.grantType ? ' ' + e.grantType : ''}`),
  };
  assert(seen.some((e) => e.url === mcpUrl && e.status === 401), 'no 401 for the invalid access token');
  assert(seen.some((e) => new URL(e.url).pathname === '/oauth/token' && e.status === 200 && e.grantType === 'refresh_token'),
    `no successful refresh_token grant: ${result.refresh.exchanges.join('; ')}`);
  assert(result.refresh.saveTokensCalls === 1, `saveTokens called ${result.refresh.saveTokensCalls} times during the refresh`);
  assert(result.refresh.newRefreshToken, 'the refresh token was not rotated');
  assert(result.refresh.newAccessToken, 'no new access token after the refresh');

  // 5. Upstream refresh: Sentry's access token expires; lookout must
  // refresh its Sentry grant behind the client's back.
  if (named.control) {
    const r = await fetch(`${named.control}/expire-sentry-tokens`, { method: 'POST' });
    assert(r.ok, `control server: ${r.status}`);
    const mark2 = recorder.entries.length;
    result.afterSentryExpiry = await search('after the Sentry token expired');
    result.afterSentryExpiry.exchanges = recorder.entries.slice(mark2).map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`);
  }

  // 6. Sentry revokes the grant (the user removed the app in Sentry): the
  // call that meets it says to sign in again; the next request is a 401,
  // the SDK's refresh is refused, and it starts a new authorization, which
  // this browser passes without the approval page (approval remembered).
  // After that the client works again.
  if (named.control) {
    const r = await fetch(`${named.control}/revoke-sentry-grant`, { method: 'POST' });
    assert(r.ok, `control server: ${r.status}`);
    log('sdk: tools/call search_issues (after Sentry revoked the grant)');
    const failed = await client.callTool({ name: 'search_issues', arguments: searchArgs });
    const failedText = (failed.content ?? []).map((c) => c.text ?? '').join('\n');
    result.afterRevocation = { isError: !!failed.isError, text: failedText.slice(0, 400) };
    assert(failed.isError, `search_issues succeeded after Sentry revoked the grant: ${failedText.slice(0, 300)}`);
    assert(/sign in again/i.test(failedText), `the error does not tell the user to sign in again: ${failedText.slice(0, 400)}`);

    const codeBefore = provider.code;
    const mark3 = recorder.entries.length;
    let again = false;
    log('sdk: tools/call search_issues (expecting a new sign-in)');
    try {
      await client.callTool({ name: 'search_issues', arguments: searchArgs });
    } catch (e) {
      if (!(e instanceof UnauthorizedError)) throw e;
      again = true;
    }
    result.reauth = {
      unauthorizedError: again,
      newCode: !!provider.code && provider.code !== codeBefore,
      invalidated: provider.invalidated.slice(),
      exchanges: recorder.entries.slice(mark3).map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}${e.grantType ? ' ' + e.grantType : ''}`),
      signIn: result.signIns.at(-1),
    };
    assert(again, 'the call after the revocation neither failed with UnauthorizedError nor succeeded');
    assert(result.reauth.newCode, 'the SDK did not send the user to sign in again');
    assert(result.signIns.length === 2 && result.signIns[1].approvalPage === false, 'the second sign-in showed the approval page again');
    await transport.finishAuth(provider.code);
    result.afterReauth = await search('after signing in again');
  }

  await client.close();
  await callback.close();

  const approval = recorder.find((e) => e.method === 'GET' && new URL(e.url).pathname === '/oauth/authorize' && e.status === 200);
  const calls = recorder.find((e) => e.url === mcpUrl && e.status === 200 && /"method"\s*:\s*"tools\/call"|search_issues/.test(e.requestBody ?? ''));
  result.recorded = { responses: recorder.entries.length, approvalPages: approval.length, toolCallResults: calls.length };
}

main().then(
  () => finish(recorder, result),
  (err) => finish(recorder, result, err),
);
