import { expect } from 'vitest';
import { call, PASSWORD, startServer, type ApiResponse, type CallOptions, type RunningServer } from './harness.js';
import { expectEnvelope } from './support.js';
import { startTcpProxy } from './tcp-proxy.js';

/** Starts a server whose clock the test moves, with these limits (an object is sent as JSON). */
export function limitedServer(limits: object | string | null, env: Record<string, string> = {}): Promise<RunningServer> {
  return startServer({
    NODE_ENV: 'test', ACCT_TEST_CLOCK: '1',
    ACCT_RATE_LIMITS: limits === null ? '' : typeof limits === 'string' ? limits : JSON.stringify(limits),
    ...env,
  });
}

const offsets = new WeakMap<RunningServer, number>();

/** Moves the server's clock to real time + `offsetSeconds` (offsets only grow). */
export async function setOffset(server: RunningServer, offsetSeconds: number): Promise<void> {
  const res = await call(server.url, 'POST', '/__test/clock', { body: { offsetSeconds } });
  expectEnvelope(res, 200, 'OK');
  offsets.set(server, offsetSeconds);
}

/** The server's idea of now, in ms. */
export function serverNow(server: RunningServer): number {
  return Date.now() + (offsets.get(server) ?? 0) * 1000;
}

/**
 * Moves the clock of every server given to `at` seconds into a fresh window of `windowSeconds`
 * (the next one that starts after their current time), so a test never straddles a window
 * edge by chance. Returns that window's start and end, Unix seconds.
 */
export async function startOfWindow(servers: RunningServer[], windowSeconds: number, at = 1): Promise<{ start: number; end: number }> {
  const real = Date.now() / 1000;
  const latest = Math.max(...servers.map((s) => serverNow(s) / 1000));
  const start = (Math.floor(latest / windowSeconds) + 1) * windowSeconds;
  for (const s of servers) await setOffset(s, start + at - real);
  return { start, end: start + windowSeconds };
}

/** Moves the clock forward by `seconds`. */
export async function advance(server: RunningServer, seconds: number): Promise<void> {
  await setOffset(server, (offsets.get(server) ?? 0) + seconds);
}

/** A call from a given client address (the server must trust X-Forwarded-For); never a 500 (503 is "retry later"). */
export async function from(ip: string | null, server: RunningServer, method: string, pathname: string, opts: CallOptions = {}): Promise<ApiResponse> {
  const res = await call(server.url, method, pathname, { ...opts, headers: { ...(opts.headers ?? {}), ...(ip ? { 'x-forwarded-for': ip } : {}) } });
  expect(res.status < 500 || res.status === 503, `${method} ${pathname}: ${res.status} ${res.text.slice(0, 300)}`).toBe(true);
  expect(res.body, `${method} ${pathname} answers in the envelope`).toMatchObject({ success: res.status < 400, status: res.status, code: expect.any(String) });
  return res;
}

/** The X-RateLimit-* headers as numbers. */
export function limitHeaders(res: ApiResponse): { limit: number; remaining: number; reset: number } {
  return {
    limit: Number(res.headers.get('x-ratelimit-limit')),
    remaining: Number(res.headers.get('x-ratelimit-remaining')),
    reset: Number(res.headers.get('x-ratelimit-reset')),
  };
}

/** 429 RATE_LIMITED in the envelope with every header a client needs to back off. */
export function expectLimited(res: ApiResponse): number {
  expectEnvelope(res, 429, 'RATE_LIMITED');
  expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(res.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
  expect(res.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  return retryAfter;
}

/** The body without its request id and countdown: what two answers must share to be "the same". */
export function sameAnswer(res: ApiResponse): unknown {
  const message = String(res.body?.message ?? '').replace(/retry in \d+ s/, 'retry in N s');
  return { status: res.status, ...res.body, message, meta: null };
}

/** Signs a user up from `ip`; returns the email. */
export async function signUpFrom(server: RunningServer, ip: string | null, address: string): Promise<string> {
  const res = await from(ip, server, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Rate Limit' } });
  expect(res.status, res.text).toBe(201);
  return address;
}

export function signInFrom(server: RunningServer, ip: string | null, address: string, password: string): Promise<ApiResponse> {
  return from(ip, server, 'POST', '/api/auth/sign-in/email', { body: { email: address, password } });
}

/** The `name=value` of the session cookie a sign-in set. */
export function cookieOf(res: ApiResponse): string {
  const set = res.headers.getSetCookie().find((c) => c.includes('acct_session='));
  expect(set, 'a session cookie').toBeDefined();
  return set!.split(';')[0]!;
}

/** A TCP proxy in front of Redis that the test can cut, as if Redis went away. */
export async function redisProxy(port = 6379): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const proxy = await startTcpProxy('127.0.0.1', port);
  return { url: `redis://127.0.0.1:${proxy.port}`, cut: proxy.cut, restore: proxy.restore, close: proxy.close };
}
