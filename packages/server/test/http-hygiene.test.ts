// test-dialects: sqlite — HTTP parsing, headers and limits in front of the routes; no assertion depends on the database
/**
 * CSRF (fetch-metadata), security headers, caching and request ids (SECURITY "CSRF/CORS/headers").
 */
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteContract } from '@acct/shared';
import { call, email, newKey, newUser, PASSWORD, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { expectLimited, from, limitedServer, limitHeaders, redisProxy, startOfWindow } from './rate-limits.fixtures.js';

let server: RunningServer;
let user: TestUser;
let apiKey: string;
const EVIL = 'https://evil.example';

beforeAll(async () => {
  server = await startServer({ ACCT_TRUSTED_ORIGINS: 'https://app.example' });
  user = await newUser(server.url, 'csrf');
  apiKey = (await newKey(server.url, user.cookie, ['user:read', 'user:write', 'projects:write'])).key;
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

const rename = (headers: Record<string, string>, auth: { cookie?: string; apiKey?: string } = { cookie: user.cookie }) =>
  api(server.url, 'PATCH', '/api/user/me', { ...auth, headers, body: { name: 'Renamed By Test' } });

describe('CSRF', () => {
  it('refuses an unsafe cookie request from a foreign Origin with 403, and changes nothing', async () => {
    const before = (await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie })).body.data.fullName;
    const res = await api(server.url, 'PATCH', '/api/user/me', { cookie: user.cookie, headers: { origin: EVIL }, body: { name: 'Pwned' } });
    expectEnvelope(res, 403, 'FORBIDDEN');
    expect(res.body.message).toMatch(/Origin/);
    const projects = `/api/user/organizations/${user.organizationId}/projects`;
    expectEnvelope(await api(server.url, 'POST', projects, { cookie: user.cookie, headers: { origin: EVIL }, body: { name: 'Pwned' } }), 403, 'FORBIDDEN');
    expect((await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie })).body.data.fullName).toBe(before);
  });

  it('refuses cross-site fetch metadata and the opaque null Origin', async () => {
    expectEnvelope(await rename({ 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN');
    expectEnvelope(await rename({ 'sec-fetch-site': 'same-site' }), 403, 'FORBIDDEN');
    expectEnvelope(await rename({ origin: 'null' }), 403, 'FORBIDDEN');
  });

  it('refuses login CSRF: sign-in and sign-up from a foreign Origin', async () => {
    const signIn = await api(server.url, 'POST', '/api/auth/sign-in/email', { headers: { origin: EVIL }, body: { email: user.email, password: PASSWORD } });
    expectEnvelope(signIn, 403, 'FORBIDDEN');
    expect(signIn.headers.get('set-cookie')).toBeNull();
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-up/email', { headers: { origin: EVIL }, body: { email: email(), password: PASSWORD, name: 'X' } }), 403, 'FORBIDDEN');
  });

  it('lets through the same request without browser signals (curl, the CLI)', async () => {
    expectEnvelope(await rename({}), 200, 'OK');
  });

  it('lets through our own origin, an allowlisted origin and same-origin fetch metadata', async () => {
    expectEnvelope(await rename({ origin: server.url }), 200, 'OK');
    expectEnvelope(await rename({ origin: 'https://app.example' }), 200, 'OK');
    expectEnvelope(await rename({ 'sec-fetch-site': 'same-origin' }), 200, 'OK');
  });

  it('lets through a foreign Origin that carries an X-Api-Key: a cross-site page cannot set that header', async () => {
    expectEnvelope(await rename({ origin: EVIL }, { apiKey }), 200, 'OK');
  });

  it('lets safe methods through from anywhere', async () => {
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie, headers: { origin: EVIL, 'sec-fetch-site': 'cross-site' } }), 200, 'OK');
  });

  it('refuses form and text/plain bodies, which a cross-site form could send without a preflight', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await api(server.url, 'PATCH', '/api/user/me', { cookie: user.cookie, raw: 'name=Pwned', headers: { 'content-type': type } });
      expectEnvelope(res, 400, 'BAD_REQUEST');
    }
  });
});

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/ and host-only on plain-http localhost', async () => {
    const res = await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^acct_session=bc_\w+; /);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    // The cookie's value never appears in a body.
    expect(res.text).not.toContain(cookie.split(';')[0]!.split('=')[1]!);
  });

  it('takes the __Host- prefix and Secure when the base URL is https', async () => {
    const https = await startServer({ ACCT_BASE_URL: 'https://acct.example' });
    try {
      const address = email('https');
      await api(https.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Secure' } });
      const res = await api(https.url, 'POST', '/api/auth/sign-in/email', { body: { email: address, password: PASSWORD } });
      expectEnvelope(res, 200, 'OK');
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/^__Host-acct_session=bc_\w+; Path=\/; /);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).not.toMatch(/Domain=/i);
      // And the base URL is the trusted origin for CSRF.
      const cookieHeader = cookie.split(';')[0]!;
      expectEnvelope(await api(https.url, 'PATCH', '/api/user/me', { cookie: cookieHeader, headers: { origin: 'https://acct.example' }, body: { name: 'Ok' } }), 200, 'OK');
      expectEnvelope(await api(https.url, 'PATCH', '/api/user/me', { cookie: cookieHeader, headers: { origin: https.url }, body: { name: 'No' } }), 403, 'FORBIDDEN');
      expectNoServerErrors(https);
    } finally {
      await https.stop();
    }
  });
});

describe('hostile bodies', () => {
  it('counts the limit after decompression: a gzip bomb is 413, not 20 MB in memory', async () => {
    const bomb = gzipSync(Buffer.from(JSON.stringify({ email: 'a@example.com', password: 'a'.repeat(20_000_000) })));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses __proto__ and constructor keys as unknown fields, and pollutes nothing', async () => {
    for (const raw of ['{"__proto__": {"isAdmin": true}, "name": "Proto"}', '{"constructor": {"prototype": {"isAdmin": true}}, "name": "Proto"}']) {
      const res = await api(server.url, 'PATCH', '/api/user/me', { cookie: user.cookie, raw, headers: { 'content-type': 'application/json' } });
      expectEnvelope(res, 400, 'VALIDATION_ERROR');
    }
    const me = await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie });
    expect(me.body.data).not.toHaveProperty('isAdmin');
  });

  it('refuses a charset other than UTF-8', async () => {
    const res = await api(server.url, 'PATCH', '/api/user/me', { cookie: user.cookie, raw: '{"name":"x"}', headers: { 'content-type': 'application/json; charset=latin1' } });
    expectEnvelope(res, 400, 'BAD_REQUEST');
  });
});

describe('headers', () => {
  it.each([
    ['an API success', () => api(server.url, 'GET', '/api/user/me', { cookie: user.cookie })],
    ['an API error', () => api(server.url, 'GET', '/api/user/me')],
    ['a 404', () => api(server.url, 'GET', '/no/such/route')],
    ['a body-parser error', () => api(server.url, 'POST', '/api/auth/sign-in/email', { raw: '{', headers: { 'content-type': 'application/json' } })],
    ['the docs page', () => api(server.url, 'GET', '/docs')],
  ])('%s carries the security headers and no-store', async (_, request) => {
    const res = await request();
    const h = res.headers;
    const csp = h.get('content-security-policy') ?? '';
    expect(csp).toMatch(/(^|;)\s*default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/base-uri 'none'/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('referrer-policy')).toBe('no-referrer');
    const hsts = /max-age=(\d+)/.exec(h.get('strict-transport-security') ?? '');
    expect(Number(hsts?.[1])).toBeGreaterThanOrEqual(31536000);
    expect(h.get('strict-transport-security')).toMatch(/includeSubDomains/);
    expect(h.get('cache-control')).toBe('no-store');
    expect(h.get('x-powered-by')).toBeNull();
    expect(h.get('access-control-allow-origin')).toBeNull(); // CORS stays off
    expect(h.get('x-request-id')).toBeTruthy();
  });

  it('echoes a sane X-Request-Id, in the header and in meta.requestId', async () => {
    const res = await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie, headers: { 'x-request-id': 'trace-123.abc:9' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123.abc:9');
    expect(res.body.meta.requestId).toBe('trace-123.abc:9');
    const failed = await api(server.url, 'GET', '/api/user/me', { headers: { 'x-request-id': 'trace-456' } });
    expect(failed.body.meta.requestId).toBe('trace-456');
  });

  it('replaces an X-Request-Id that could forge log lines, and makes one when none is sent', async () => {
    const res = await api(server.url, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id"}{' } });
    expect(res.headers.get('x-request-id')).not.toBe('bad id"}{');
    const a = (await api(server.url, 'GET', '/healthz')).headers.get('x-request-id');
    const b = (await api(server.url, 'GET', '/healthz')).headers.get('x-request-id');
    expect(a).toMatch(/^[A-Za-z0-9._:-]{8,}$/);
    expect(a).not.toBe(b);
  });

  it('never leaks a stack trace or SQL in an error', async () => {
    const res = await api(server.url, 'POST', '/api/auth/sign-in/email', { raw: '{"email": "a@b.c", "password": ', headers: { 'content-type': 'application/json' } });
    expectEnvelope(res, 400, 'BAD_REQUEST');
    expect(res.text).not.toMatch(/at .*\.js:\d+|SyntaxError|node_modules|SELECT|sqlite/i);
  });
});

describe('malformed percent-escapes in the path', () => {
  const BAD_ESCAPES = ['%ff', '%', '%zz'];
  let logged: RunningServer;
  let owner: TestUser;
  beforeAll(async () => {
    logged = await startServer({ LOG_LEVEL: 'info' });
    owner = await newUser(logged.url, 'escapes');
  });
  afterAll(async () => {
    await logged.stop();
  });

  /** Every route of the shared contracts with a path parameter, once per parameter, that parameter replaced by `bad`. */
  function badPaths(bad: string): { method: string; path: string }[] {
    const out = [];
    for (const route of Object.values(ROUTES as Record<string, RouteContract>)) {
      const params = route.path.match(/:\w+/g) ?? [];
      for (const target of params) {
        const path = route.path.replace(/:\w+/g, (p) => (p === target ? bad : p === ':organizationId' ? owner.organizationId : 'x1'));
        out.push({ method: route.method, path });
      }
    }
    return out;
  }

  it('answers 400 BAD_REQUEST in the envelope for every parameter of every route and for unrouted paths, signed in or not, logged at info without a stack', async () => {
    const ids: string[] = [];
    let n = 0;
    for (const bad of BAD_ESCAPES) {
      const targets = [...badPaths(bad), { method: 'GET', path: `/no/such/${bad}` }, { method: 'POST', path: `/api/${bad}/nothing` }];
      expect(targets.length).toBeGreaterThan(20);
      for (const { method, path } of targets) {
        for (const auth of [{}, { cookie: owner.cookie }]) {
          const requestId = `escape-${++n}`;
          const res = await call(logged.url, method, path, { ...auth, headers: { 'x-request-id': requestId }, ...(method === 'GET' ? {} : { body: {} }) });
          expect({ method, path, status: res.status, code: res.body?.code }).toEqual({ method, path, status: 400, code: 'BAD_REQUEST' });
          expectEnvelope(res, 400, 'BAD_REQUEST');
          expect(res.body.message).toMatch(/percent/i);
          ids.push(requestId);
        }
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    const lines = logged.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const byId = new Map(lines.filter((l) => l['msg'] === 'request').map((l) => [l['requestId'], l]));
    for (const id of ids) expect(byId.get(id), id).toMatchObject({ level: 30, status: 400 });
    expect(lines.filter((l) => Number(l['level']) >= 50)).toEqual([]);
    expect(logged.output()).not.toMatch(/URIError|"stack"|Failed to decode/);
  });
});

describe('a per-IP budget for every request', () => {
  it('turns an unrouted flood from one IP into 429, counts requests that fail before routing, and leaves another IP alone', async () => {
    const flood = await limitedServer({ defaults: false, global: { limit: 6, windowSeconds: 60 } }, { TRUST_PROXY: 'true' });
    try {
      const { end } = await startOfWindow([flood], 60);
      for (let i = 5; i >= 3; i--) {
        const res = await from('10.9.0.1', flood, 'GET', `/no/such/route/${i}`);
        expectEnvelope(res, 404, 'NOT_FOUND');
        expect(limitHeaders(res)).toEqual({ limit: 6, remaining: i, reset: end });
      }
      // Failing before any route is reached still spends the budget: a bad escape, bad JSON, a foreign Origin.
      expectEnvelope(await from('10.9.0.1', flood, 'GET', '/api/invitations/%ff?token=x'), 400, 'BAD_REQUEST');
      expectEnvelope(await from('10.9.0.1', flood, 'POST', '/api/auth/sign-in/email', { raw: '{', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
      expectEnvelope(await from('10.9.0.1', flood, 'POST', '/api/auth/sign-up/email', { headers: { origin: 'https://evil.example' }, body: {} }), 403, 'FORBIDDEN');
      for (const path of ['/no/such/route', '/api/invitations/%ff?token=x', '/api/auth/scopes']) expectLimited(await from('10.9.0.1', flood, 'GET', path));
      const other = await from('10.9.0.2', flood, 'GET', '/no/such/route');
      expectEnvelope(other, 404, 'NOT_FOUND');
      expect(limitHeaders(other)).toEqual({ limit: 6, remaining: 5, reset: end });
      // GET /api/auth/rate-limits shows the budget like any other.
      const described = await from('10.9.0.3', flood, 'GET', '/api/auth/rate-limits');
      expect(described.body.data.limits).toContainEqual(expect.objectContaining({ name: 'global', per: 'ip', limit: 6, windowSeconds: 60, remaining: 5 }));
      expectNoServerErrors(flood);
    } finally {
      await flood.stop();
    }
  });

  it('steps aside while Redis is unreachable: health still answers, route budgets still answer 503', async () => {
    const proxy = await redisProxy();
    const limits = { defaults: false, global: { limit: 100, windowSeconds: 60 }, ip: { limit: 100, windowSeconds: 60 }, redisPrefix: `acct-test:${process.pid}-${Date.now()}:global:` };
    const shared = await limitedServer(limits, { REDIS_URL: proxy.url });
    try {
      expect(limitHeaders(await from(null, shared, 'GET', '/no/such/route')).limit).toBe(100);
      await proxy.cut();
      expect((await fetch(`${shared.url}/healthz`)).status).toBe(200);
      expectEnvelope(await from(null, shared, 'GET', '/no/such/route'), 404, 'NOT_FOUND');
      expectEnvelope(await from(null, shared, 'GET', '/api/auth/scopes'), 503, 'UNAVAILABLE');
      await proxy.restore();
    } finally {
      await shared.stop();
      await proxy.close();
    }
  });

  it('is on by default: 1000 requests per 60 s per client IP', async () => {
    const defaults = await limitedServer(null);
    try {
      const described = await from(null, defaults, 'GET', '/api/auth/rate-limits');
      expect(described.body.data.limits).toContainEqual(expect.objectContaining({ name: 'global', per: 'ip', limit: 1000, windowSeconds: 60 }));
    } finally {
      await defaults.stop();
    }
  });
});

/** What a client gets back for `head`, written in one go on a raw socket: the bytes, and any socket error (a reset). */
function rawExchange(base: string, head: string): Promise<{ raw: string; error: string | null }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let raw = '';
    let error: string | null = null;
    socket.setTimeout(15_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ raw, error }));
    socket.write(head);
  });
}

/** Status, headers and the parsed body of a raw HTTP/1.1 answer. */
function parseRaw(raw: string): { status: number; headers: Record<string, string>; body: any } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = null;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: parsed };
}

describe('oversized request lines and headers', () => {
  const SIZES = [16 * 1024, 16 * 1024 + 100, 20 * 1024, 64 * 1024, 130 * 1024, 200 * 1024];

  it.each(SIZES)('a %i-byte URL gets 414 in the envelope with Connection: close, never a reset', async (size) => {
    const { raw, error } = await rawExchange(server.url, `GET /api/auth/scopes?pad=${'a'.repeat(size)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    expect(error).toBeNull();
    const res = parseRaw(raw);
    expect(res.status, raw.slice(0, 200)).toBe(414);
    expect(res.headers['connection']).toBe('close');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ success: false, status: 414, code: 'BAD_REQUEST', data: null, message: expect.stringMatching(/URL is too long/) });
    expect(res.headers['x-request-id']).toBe(res.body.meta.requestId);
  });

  it.each(SIZES)('%i bytes of headers get 431 in the envelope with Connection: close, never a reset', async (size) => {
    const { raw, error } = await rawExchange(server.url, `GET /api/auth/scopes HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(size)}\r\n\r\n`);
    expect(error).toBeNull();
    const res = parseRaw(raw);
    expect(res.status, raw.slice(0, 200)).toBe(431);
    expect(res.headers['connection']).toBe('close');
    expect(res.body).toMatchObject({ success: false, status: 431, code: 'BAD_REQUEST', data: null, message: expect.stringMatching(/headers are too large/) });
    expect(res.headers['x-request-id']).toBe(res.body.meta.requestId);
  });

  it('many headers that add up past the limit are 431 too, and a head just under the limit is served', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `X-Padding-${i}: ${'b'.repeat(600)}\r\n`).join('');
    const over = parseRaw((await rawExchange(server.url, `GET /api/auth/scopes HTTP/1.1\r\nHost: localhost\r\n${many}\r\n`)).raw);
    expect(over).toMatchObject({ status: 431, headers: { connection: 'close' }, body: { status: 431, code: 'BAD_REQUEST' } });
    const under = await rawExchange(server.url, `GET /api/auth/scopes?pad=${'a'.repeat(15_000)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(under.error).toBeNull();
    expect(parseRaw(under.raw)).toMatchObject({ status: 200, body: { success: true, code: 'OK' } });
  });

  it('a head that trickles in over many writes still gets its answer, not a reset', async () => {
    const { hostname, port } = new URL(server.url);
    const head = `GET /api/auth/scopes HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    const { raw, error } = await new Promise<{ raw: string; error: string | null }>((resolve) => {
      const socket = net.connect(Number(port), hostname);
      let raw = '';
      let error: string | null = null;
      socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      socket.on('close', () => resolve({ raw, error }));
      void (async () => {
        for (let i = 0; i < head.length && socket.writable && !raw; i += 2048) {
          socket.write(head.slice(i, i + 2048));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
    });
    expect(error).toBeNull();
    expect(parseRaw(raw)).toMatchObject({ status: 431, headers: { connection: 'close' }, body: { success: false, status: 431, code: 'BAD_REQUEST' } });
  });

  it('a request that is not HTTP gets 400 BAD_REQUEST in the envelope', async () => {
    const { raw, error } = await rawExchange(server.url, 'HELLO THERE\r\n\r\n');
    expect(error).toBeNull();
    expect(parseRaw(raw)).toMatchObject({ status: 400, headers: { connection: 'close' }, body: { success: false, status: 400, code: 'BAD_REQUEST', data: null } });
  });
});
