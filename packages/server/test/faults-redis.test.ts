/**
 * Redis failing under load, through a proxy the test controls (docs/operations.md "When Redis is
 * unreachable"): a silent connection (blackhole), a stalled one and resets. Wanted: no request
 * hangs on Redis (commands time out in 200 ms), sign-in and the other unauthenticated routes fail
 * closed with 503 UNAVAILABLE, authenticated requests go on with per-instance credential limits,
 * revocation stays exact, and everything is shared again once Redis answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, PASSWORD, startServer, type RunningServer } from './harness.js';
import { startTcpProxy, type ProxyMode, type TcpProxy } from './tcp-proxy.js';
import { figures, timedCall, underFault } from './faults.fixtures.js';
import { expectEnvelope, expectNoServerErrors } from './support.js';

const PREFIX = `acct-test:${process.pid}-${Date.now()}:`;
const LIMITS = (prefix: string) =>
  JSON.stringify({
    defaults: false,
    ip: { limit: 1_000_000, windowSeconds: 60 },
    credential: { limit: 1_000_000, windowSeconds: 60 },
    endpoints: { signIn: { ip: { limit: 1_000_000, windowSeconds: 60 } } },
    redisPrefix: prefix,
  });

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function redisProxy(): Promise<TcpProxy> {
  const proxy = await startTcpProxy('127.0.0.1', 6379);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function start(env: Record<string, string>, dataDir?: string): Promise<RunningServer> {
  const server = await startServer(env, dataDir);
  cleanups.push(() => server.stop('SIGKILL'));
  return server;
}

// A command waits 200 ms at most; a hang is as long as the fault (3 s) or forever.
const ANSWER_WITHIN_MS = 1500;
const RECOVER_WITHIN_MS = 5000;

describe.each<ProxyMode>(['blackhole', 'stall', 'reset'])('Redis %s under load', (mode) => {
  it('never hangs a request: sign-in fails closed with 503, authenticated reads go on, and it recovers by itself', async () => {
    const proxy = await redisProxy();
    const server = await start({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, ACCT_RATE_LIMITS: LIMITS(`${PREFIX}${mode}:`) });
    const user = await newUser(server.url, `redis-${mode}`);
    const { key } = await newKey(server.url, user.cookie, ['user:read']);

    const run = await underFault(
      proxy,
      mode,
      (worker) =>
        worker % 3 === 0
          ? timedCall(server.url, 'sign-in', 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } })
          : timedCall(server.url, 'read', 'GET', '/api/user/me', { apiKey: key }),
      { faultMs: 3000 },
    );
    const f = figures(run);
    console.log(`Redis ${mode}: ${JSON.stringify(f)}`);

    const slow = run.samples.filter((s) => s.status === 0 || s.end - s.start > ANSWER_WITHIN_MS);
    expect(slow.map((s) => `${s.label} ${s.status} after ${s.end - s.start} ms`)).toEqual([]);
    // Authenticated reads never depend on Redis being there.
    const reads = run.samples.filter((s) => s.label === 'read');
    expect(reads.filter((s) => s.status !== 200).map((s) => `${s.status} ${s.code}`)).toEqual([]);
    // Sign-in fails closed: 200 or 503 UNAVAILABLE, nothing else.
    for (const s of run.samples.filter((x) => x.label === 'sign-in')) expect(`${s.status} ${s.code}`).toMatch(/^(200 OK|503 UNAVAILABLE)$/);
    if (mode !== 'stall') expect(run.samples.some((s) => s.label === 'sign-in' && s.status === 503 && s.start >= run.faultStart && s.start < run.faultEnd)).toBe(true);
    if (f.recoveryMs === null) console.log(server.output().slice(-4000));
    expect(f.recoveryMs, 'sign-in came back after Redis did').not.toBeNull();
    expect(f.recoveryMs!).toBeLessThanOrEqual(RECOVER_WITHIN_MS);
    expectNoServerErrors(server);
  });
});

describe('while Redis is unreachable', () => {
  it('the authenticated API goes on with per-instance limits, sign-in and sign-up fail closed, and revocation stays exact across instances', async () => {
    const proxy = await redisProxy();
    const env = { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, ACCT_RATE_LIMITS: LIMITS(`${PREFIX}policy:`) };
    const a = await start(env);
    const b = await start(env, a.dataDir);
    // Setup, before any fault (newUser resends a setup request that missed Redis's 200 ms deadline).
    const user = await newUser(a.url, 'redis-policy');
    const { id, key } = await newKey(a.url, user.cookie, ['user:read']);
    for (const s of [a, b]) expect((await call(s.url, 'GET', '/api/user/me', { apiKey: key })).status).toBe(200);

    proxy.mode('blackhole');
    for (const s of [a, b]) {
      const me = await call(s.url, 'GET', '/api/user/me', { cookie: user.cookie });
      expectEnvelope(me, 200, 'OK');
      // Still limited, by this instance alone.
      expect(Number(me.headers.get('x-ratelimit-limit'))).toBe(1_000_000);
      expectEnvelope(await call(s.url, 'GET', '/api/user/organizations', { cookie: user.cookie }), 200, 'OK');
      expectEnvelope(await call(s.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } }), 503, 'UNAVAILABLE');
      expectEnvelope(await call(s.url, 'POST', '/api/auth/sign-up/email', { body: { email: `redis-down-${Date.now()}@example.com`, password: PASSWORD, name: 'X' } }), 503, 'UNAVAILABLE');
    }
    // Revoked on one instance, refused by the other at once: revocation lives in the database.
    expectEnvelope(await call(a.url, 'POST', '/api/auth/api-key/delete', { cookie: user.cookie, body: { id } }), 200, 'OK');
    expect((await call(b.url, 'GET', '/api/user/me', { apiKey: key })).body.code).toBe('INVALID_TOKEN');
    expect((await call(a.url, 'GET', '/api/user/me', { apiKey: key })).body.code).toBe('INVALID_TOKEN');

    proxy.mode('pass');
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(b.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } })).status;
    }
    expect(status).toBe(200);
    for (const s of [a, b]) expect(s.output()).toMatch(/Redis unreachable/);
  });
});
