// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/context.js';
import { EXIT, exitCodeForStatus, reportError } from '../src/lib/errors.js';
import { checkTransport, resolveHost } from '../src/lib/host.js';
import { retryDelayMs } from '../src/lib/http.js';
import { redactBody, redactHeader } from '../src/lib/trace.js';
import { run as call } from '../src/commands/call/call.js';
import { FakeClock, fakeIO, fakePat, MemoryStore, tempHome } from './helpers.js';

/** A tiny server that answers 429 a given number of times, then 200; counts requests. */
let server: http.Server;
let base = '';
const plan = { limited: 0, retryAfter: null as string | null, status: 429, seen: 0 };
beforeAll(async () => {
  server = http.createServer((req, res) => {
    plan.seen++;
    if (plan.seen <= plan.limited) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (plan.retryAfter !== null) headers['retry-after'] = plan.retryAfter;
      res.writeHead(plan.status, headers).end(JSON.stringify({ success: false, status: plan.status, code: plan.status === 429 ? 'RATE_LIMITED' : 'INVALID_TOKEN', message: 'slow down', data: null, meta: { requestId: 'r' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, status: 200, code: 'OK', message: 'ok', data: { path: req.url }, meta: { requestId: 'r' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function run(limited: number, retryAfter: string | null, opts: { retries?: number; tty?: boolean; status?: number; maxWait?: number } = {}) {
  Object.assign(plan, { limited, retryAfter, seen: 0, status: opts.status ?? 429 });
  const io = fakeIO({ tty: opts.tty });
  const clock = new FakeClock();
  const home = tempHome();
  const ctx = createContext({ host: base, retries: opts.retries ?? 3, ...(opts.maxWait !== undefined ? { maxWait: opts.maxWait } : {}) }, { io, clock, env: { ...home.env, ACCT_TOKEN: await fakePat() }, secrets: { keychain: new MemoryStore(), file: new MemoryStore() } });
  let code: number;
  try {
    code = await call(ctx, { path: '/api/user/me', rawFields: [], fields: [], headers: [], include: false, paginate: false });
  } catch (err) {
    code = reportError(err, io.err);
  }
  return { code, clock, io, requests: plan.seen };
}

describe('429 retries (real HTTP, injected clock)', () => {
  it('waits Retry-After seconds, then succeeds', async () => {
    const r = await run(2, '7');
    expect(r.code).toBe(0);
    expect(r.requests).toBe(3);
    expect(r.clock.sleeps).toEqual([7000, 7000]);
    expect(r.io.stderr).toMatch(/rate limited \(429\); retry 1 of 3 in 7s/);
  });

  it('without Retry-After backs off exponentially from 1 s', async () => {
    const r = await run(3, null);
    expect(r.code).toBe(0);
    expect(r.clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  it('still limited after --retries: exit 6', async () => {
    const r = await run(10, '1', { retries: 2 });
    expect(r.code).toBe(EXIT.RATE_LIMITED);
    expect(r.requests).toBe(3);
    expect(r.io.stderr).toMatch(/429 RATE_LIMITED/);
  });

  it('--retries 0 does not retry', async () => {
    const r = await run(1, '1', { retries: 0 });
    expect(r.code).toBe(6);
    expect(r.requests).toBe(1);
    expect(r.clock.sleeps).toEqual([]);
  });

  it('on a TTY, counts down each second on stderr', async () => {
    const r = await run(1, '3', { tty: true });
    expect(r.code).toBe(0);
    expect(r.clock.sleeps).toEqual([1000, 1000, 1000]);
    expect(r.io.stderr).toContain('\racct: rate limited (429); retry 1 of 3 in 3s… ');
    expect(r.io.stderr).toContain('in 2s… ');
    expect(r.io.stderr).toContain('in 1s… ');
  });

  it('a Retry-After longer than --max-wait (default 60 s) exits 6 at once, saying when to retry', async () => {
    const r = await run(5, '2088');
    expect(r.code).toBe(EXIT.RATE_LIMITED);
    expect(r.requests).toBe(1);
    expect(r.clock.sleeps).toEqual([]);
    // FakeClock starts at 10:00:00 UTC; 2088 s later is 10:34:48, so "until 10:35" (local time, TZ=UTC here).
    const until = new Date(Date.parse('2026-05-05T10:35:00Z'));
    const hhmm = `${String(until.getHours()).padStart(2, '0')}:${String(until.getMinutes()).padStart(2, '0')}`;
    expect(r.io.stderr).toContain(`limited until ${hhmm}, in 35 min`);
    expect(r.io.stderr).not.toMatch(/raise --retries/);
  });

  it('--max-wait raises the longest wait sat out; 60 s itself is still waited', async () => {
    const longer = await run(1, '2088', { maxWait: 3600 });
    expect(longer.code).toBe(0);
    expect(longer.clock.sleeps).toEqual([2_088_000]);
    const sixty = await run(1, '60');
    expect(sixty.code).toBe(0);
    expect(sixty.clock.sleeps).toEqual([60_000]);
  });

  it('401 is never retried', async () => {
    const r = await run(5, '1', { status: 401 });
    expect(r.code).toBe(4);
    expect(r.requests).toBe(1);
  });

  it('403 is never retried', async () => {
    const r = await run(5, '1', { status: 403 });
    expect(r.code).toBe(5);
    expect(r.requests).toBe(1);
  });

  it('an unreachable server is exit 3', async () => {
    const home = tempHome();
    const io = fakeIO();
    const ctx = createContext({ host: 'http://127.0.0.1:1' }, { io, env: { ...home.env, ACCT_TOKEN: 'x' } });
    let code: number;
    try {
      code = await call(ctx, { path: '/api/user/me', rawFields: [], fields: [], headers: [], include: false, paginate: false });
    } catch (err) {
      code = reportError(err, io.err);
    }
    expect(code).toBe(3);
    expect(io.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});

describe('retry delay', () => {
  const now = new Date('2026-05-05T10:00:00Z');
  it.each([
    ['5', 0, 5000],
    [undefined, 0, 1000],
    [undefined, 1, 2000],
    [undefined, 5, 32_000],
    [undefined, 6, 60_000],
    [undefined, 10, 60_000],
    ['Tue, 05 May 2026 10:00:30 GMT', 0, 30_000],
    ['garbage', 2, 4000],
  ])('Retry-After %s, attempt %i → %i ms', (header, attempt, ms) => expect(retryDelayMs(header, attempt, now)).toBe(ms));
});

describe('exit codes', () => {
  it.each([
    [200, 0], [201, 0], [204, 0], [400, 1], [401, 4], [402, 7], [403, 5], [404, 1], [409, 1], [429, 6], [500, 1], [503, 1],
  ])('%i → %i', (status, code) => expect(exitCodeForStatus(status)).toBe(code));
});

describe('host', () => {
  it.each([
    ['flag wins', 'https://flag.example.com', { ACCT_HOST: 'https://env.example.com' }, 'https://config.example.com', 'https://flag.example.com'],
    ['ACCT_HOST next', undefined, { ACCT_HOST: 'https://env.example.com' }, 'https://config.example.com', 'https://env.example.com'],
    ['then the current host', undefined, {}, 'https://config.example.com', 'https://config.example.com'],
    ['then localhost:3000', undefined, {}, undefined, 'http://localhost:3000'],
    ['a bare name means https', 'acct.example.com', {}, undefined, 'https://acct.example.com'],
    ['a trailing slash is fine', 'https://acct.example.com/', {}, undefined, 'https://acct.example.com'],
  ])('%s', (_n, flag, env, current, expected) => expect(resolveHost(flag, env, current)).toBe(expected));

  it.each(['https://acct.example.com/api', 'ftp://x', 'https://user:pw@acct.example.com'])('refuses %s', (h) => {
    expect(() => resolveHost(h, {}, undefined)).toThrow();
  });

  it.each(['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'https://acct.example.com'])('allows %s without a flag', (origin) => {
    const warnings: string[] = [];
    checkTransport(origin, false, (t) => warnings.push(t));
    expect(warnings).toEqual([]);
  });

  it('refuses plain HTTP to another host (exit 2) unless --insecure-http, which warns', () => {
    let code = 0;
    try {
      checkTransport('http://acct.example.com', false, () => {});
    } catch (err) {
      code = reportError(err, () => {});
    }
    expect(code).toBe(2);
    const warnings: string[] = [];
    checkTransport('http://acct.example.com', true, (t) => warnings.push(t));
    expect(warnings.join()).toMatch(/unencrypted/);
  });
});

describe('--verbose redaction', () => {
  it('masks tokens, cookies and passwords', async () => {
    const pat = await fakePat();
    expect(redactHeader('Authorization', `Bearer ${pat}`)).toBe(`Bearer ${pat.slice(0, 7)}…`);
    expect(redactHeader('x-api-key', pat)).toBe(`${pat.slice(0, 7)}…`);
    expect(redactHeader('cookie', 'acct_session=bc_x; other=y')).toBe('acct_session=<redacted>; other=<redacted>');
    expect(redactHeader('set-cookie', 'acct_session=bc_x; Path=/; HttpOnly')).toBe('acct_session=<redacted>; Path=/; HttpOnly');
    const body = redactBody(JSON.stringify({ email: 'a@example.com', password: 'hunter2-hunter2', data: { key: pat, name: 'n' } }));
    expect(body).not.toContain('hunter2');
    expect(body.includes(pat)).toBe(false);
    expect(body).toContain('a@example.com');
  });
});
