// Shared helpers of the e2e scripts (sdk_flow.mjs, approval_page.mjs):
// a fetch that records every response for the Go test's leak scan, a
// browser-like cookie jar, and a minimal parser for lookout's approval form.
//
// The scripts print progress on stderr and exactly one JSON object (their
// result) on stdout; the Go test (e2e_test.go) starts them and checks both.

import { writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export function log(...args) {
  process.stderr.write(args.map(String).join(' ') + '\n');
}

export class AssertionError extends Error {}

export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

// parseArgs reads "--name value" pairs after the positional arguments.
export function parseArgs(argv) {
  const positional = [];
  const named = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      named[argv[i].slice(2)] = argv[i + 1];
      i++;
    } else {
      positional.push(argv[i]);
    }
  }
  return { positional, named };
}

// Recorder keeps every HTTP exchange a script saw: the request line and the
// complete response (status, every header, body text). flush() writes them
// as JSON to the file the Go test named, which scans it for secrets.
export class Recorder {
  constructor(path) {
    this.path = path;
    this.entries = [];
    this.pending = [];
  }

  // fetch is a drop-in fetch that records. The body is read from a clone,
  // so callers consume the response as usual; a stream still open when
  // flush() runs (SSE) is marked as such instead.
  fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const response = await fetch(input, init);
    const entry = this.add(method, url, response, 'fetch');
    const body = init?.body;
    if (typeof body === 'string' || body instanceof URLSearchParams) {
      entry.requestBody = String(body);
      if (String(headerOf(init.headers, 'content-type') ?? '').includes('x-www-form-urlencoded') || body instanceof URLSearchParams) {
        entry.grantType = new URLSearchParams(String(body)).get('grant_type') ?? undefined;
      }
    }
    return response;
  };

  add(method, url, response, via) {
    const entry = {
      via,
      method,
      url,
      status: response.status,
      headers: headerList(response.headers),
      body: null,
    };
    this.entries.push(entry);
    if (response.body) {
      const p = response
        .clone()
        .text()
        .then(
          (text) => { entry.body = text; },
          (err) => { entry.body = `<unreadable: ${err}>`; },
        );
      this.pending.push(p);
    } else {
      entry.body = '';
    }
    return entry;
  }

  // addRaw records a response seen outside fetch (e.g. by Playwright).
  addRaw(entry) {
    this.entries.push(entry);
  }

  find(pred) {
    return this.entries.filter(pred);
  }

  async flush() {
    const timeout = new Promise((resolve) => setTimeout(resolve, 5000, 'timeout'));
    await Promise.race([Promise.allSettled(this.pending), timeout]);
    for (const e of this.entries) {
      if (e.body === null) e.body = '<body still streaming when the script ended>';
    }
    if (this.path) writeFileSync(this.path, JSON.stringify(this.entries, null, 1));
  }
}

function headerOf(headers, name) {
  if (!headers) return undefined;
  return new Headers(headers).get(name);
}

// headerList returns every header as [name, value] pairs, each Set-Cookie
// on its own.
export function headerList(headers) {
  const out = [];
  for (const [k, v] of headers) {
    if (k.toLowerCase() === 'set-cookie') continue;
    out.push([k, v]);
  }
  for (const c of headers.getSetCookie?.() ?? []) out.push(['set-cookie', c]);
  return out;
}

function isLoopbackHost(host) {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// CookieJar stores cookies the way a browser does for the hosts in this test:
// host-only cookies keyed by host name (not port: cookies ignore ports),
// path-scoped, expired by Max-Age/Expires, Secure ones only over https or
// to loopback (Chrome treats loopback as a secure context), and the
// __Host- prefix rules enforced (Secure, Path=/, no Domain).
export class CookieJar {
  constructor() {
    this.cookies = new Map(); // `${host}\t${path}\t${name}` -> cookie
    this.rejected = [];
  }

  store(url, response) {
    const u = new URL(url);
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const c = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: u.hostname,
        path: '/',
        secure: false,
        httpOnly: false,
        sameSite: 'Lax',
        expires: Infinity,
        hasDomain: false,
        explicitPath: false,
      };
      for (const a of attrs) {
        const [k, ...rest] = a.split('=');
        const key = k.trim().toLowerCase();
        const val = rest.join('=').trim();
        if (key === 'path') { c.path = val || '/'; c.explicitPath = true; }
        else if (key === 'secure') c.secure = true;
        else if (key === 'httponly') c.httpOnly = true;
        else if (key === 'samesite') c.sameSite = val;
        else if (key === 'domain') c.hasDomain = true;
        else if (key === 'max-age') c.expires = Date.now() + Number(val) * 1000;
        else if (key === 'expires' && c.expires === Infinity) c.expires = Date.parse(val);
      }
      const secureContext = u.protocol === 'https:' || isLoopbackHost(u.hostname);
      if (c.secure && !secureContext) { this.rejected.push(`${c.name}: Secure over plain http`); continue; }
      if (c.name.startsWith('__Host-') && (!c.secure || c.hasDomain || c.path !== '/' || !c.explicitPath)) {
        this.rejected.push(`${c.name}: violates the __Host- prefix rules`);
        continue;
      }
      if (c.name.startsWith('__Secure-') && !c.secure) {
        this.rejected.push(`${c.name}: violates the __Secure- prefix rules`);
        continue;
      }
      const key = `${c.host}\t${c.path}\t${c.name}`;
      if (c.expires <= Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, c);
    }
  }

  header(url) {
    const u = new URL(url);
    const now = Date.now();
    const out = [];
    for (const c of this.cookies.values()) {
      if (c.host !== u.hostname || c.expires <= now) continue;
      if (!(u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/'))) continue;
      if (c.secure && !(u.protocol === 'https:' || isLoopbackHost(u.hostname))) continue;
      out.push(`${c.name}=${c.value}`);
    }
    return out.join('; ');
  }

  names() {
    return [...this.cookies.values()].map((c) => ({
      name: c.name, host: c.host, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, path: c.path,
    }));
  }
}

// decodeEntities undoes HTML escaping (html/template writes &#43;, &amp;,
// &#34; and friends).
export function decodeEntities(s) {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (m, e) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return String.fromCodePoint(n);
    }
    return named[e] ?? m;
  });
}

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i'));
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3]);
}

// parseForms returns the forms of an HTML page: method, action, the
// name/value of every input, and the submit buttons.
export function parseForms(html) {
  const forms = [];
  const re = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  let m;
  while ((m = re.exec(html))) {
    const formTag = `<form${m[1]}>`;
    const inner = m[2];
    const inputs = [];
    for (const t of inner.match(/<input\b[^>]*>/gi) ?? []) {
      inputs.push({ type: (attr(t, 'type') ?? 'text').toLowerCase(), name: attr(t, 'name'), value: attr(t, 'value') ?? '', checked: /\schecked\b/i.test(t) });
    }
    const buttons = [];
    const bre = /<button\b([^>]*)>([\s\S]*?)<\/button>/gi;
    let b;
    while ((b = bre.exec(inner))) {
      const t = `<button${b[1]}>`;
      buttons.push({ type: (attr(t, 'type') ?? 'submit').toLowerCase(), name: attr(t, 'name'), value: attr(t, 'value') ?? '', text: decodeEntities(b[2].replace(/<[^>]*>/g, '').trim()) });
    }
    forms.push({ method: (attr(formTag, 'method') ?? 'get').toLowerCase(), action: attr(formTag, 'action') ?? '', inputs, buttons });
  }
  return forms;
}

// formBody serializes a form as a browser submits it with button: named
// inputs (radio buttons and checkboxes only when checked), then the button.
export function formBody(form, button) {
  const body = new URLSearchParams();
  for (const i of form.inputs) {
    if (!i.name || ((i.type === 'radio' || i.type === 'checkbox') && !i.checked)) continue;
    body.append(i.name, i.value);
  }
  if (button?.name) body.append(button.name, button.value);
  return body;
}

// pkce returns a fresh S256 verifier and challenge.
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

// startCallbackServer listens on a loopback port, as a native MCP client
// does for its OAuth redirect, and resolves next() with the query of each
// request to /callback.
export async function startCallbackServer() {
  const waiting = []; // resolvers of next() calls
  const unclaimed = []; // hits no next() has taken yet
  const received = []; // every hit
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end('not found');
      return;
    }
    const hit = { query: Object.fromEntries(u.searchParams), cookieHeader: req.headers.cookie ?? '' };
    received.push(hit);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Signed in</title><h1>Signed in</h1><p>You can close this window.</p>');
    const w = waiting.shift();
    if (w) w(hit);
    else unclaimed.push(hit);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/callback`;
  return {
    url,
    received,
    next(timeoutMs = 30000) {
      if (unclaimed.length > 0) return Promise.resolve(unclaimed.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no request reached ${url} within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((hit) => { clearTimeout(t); resolve(hit); });
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

// finish prints the result and exits: 0 when ok, 1 otherwise.
export async function finish(recorder, result, err) {
  if (err) {
    result.ok = false;
    result.error = err instanceof AssertionError ? `assertion failed: ${err.message}` : `error: ${err?.stack ?? err}`;
    log(result.error);
  } else {
    result.ok = true;
  }
  try {
    await recorder?.flush();
  } catch (e) {
    log(`could not write the HTTP record: ${e}`);
    result.ok = false;
    result.error ??= `could not write the HTTP record: ${e}`;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}
