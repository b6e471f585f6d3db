/**
 * The OAuth endpoints' budgets on the rate-limit module (docs/rate-limits.md `protocol`):
 * RFC 7591 registration per client IP (429 in OAuth's error format) and user-code look-ups on
 * /device (RFC 8628 §5.1, against guessing). Both go through the module's store, so with
 * REDIS_URL every instance shares them (rate-limits-redis.test.ts covers the store itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newUser, SHARED_REDIS, startServer, TEST_RATE_LIMITS, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';
import { register } from './oauth-support.js';

let server: RunningServer;
let alice: TestUser;
const LIMITS = JSON.stringify({
  ...JSON.parse(TEST_RATE_LIMITS),
  protocol: { oauthRegister: { limit: 2, windowSeconds: 3600 }, deviceUserCode: { limit: 3, windowSeconds: 300 } },
});

beforeAll(async () => {
  server = await startServer({ ACCT_RATE_LIMITS: LIMITS, NODE_ENV: 'test', ACCT_TEST_CLOCK: '1' });
  alice = await newUser(server.url, 'alice');
});
afterAll(async () => {
  if (server) expectNoServerErrors(server);
  await server?.stop();
});

/** A user code of the right shape that no device asked for, built at run time. */
function guess(n: number): string {
  const letters = 'BCDFGHJKLMNPQRSTVWXZ';
  const s = Array.from({ length: 8 }, (_, i) => letters[(n * 7 + i * 3) % letters.length]).join('');
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

describe('oauthRegister budget', () => {
  it('answers the registration over budget with 429 temporarily_unavailable, Retry-After and the budget named; a new window lets it in again', async () => {
    const meta = { client_name: 'Budget App', redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' };
    for (let i = 0; i < 2; i++) expect((await register(server.url, meta)).status).toBe(201);
    const over = await register(server.url, meta);
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('temporarily_unavailable');
    expect(over.body.error_description).toContain('oauthRegister');
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(3600);
    expect(over.headers.get('x-ratelimit-limit')).toBe('2');
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    // Refused registrations store nothing and are not a 500.
    expect(over.body.client_id).toBeUndefined();

    const budgets = await call(server.url, 'GET', '/api/auth/rate-limits');
    const listed = budgets.body.data.limits.find((l: { name: string }) => l.name === 'oauthRegister.ip');
    expect(listed).toMatchObject({ per: 'ip', routes: ['POST /oauth2/register'], limit: 2, windowSeconds: 3600, remaining: 0 });

    expect((await call(server.url, 'POST', '/__test/clock', { body: { offsetSeconds: 3600 } })).status).toBe(200);
    expect((await register(server.url, meta)).status).toBe(201);
  });
});

describe('oauthRegister budget across instances', () => {
  it('with REDIS_URL two instances share one registration budget', async () => {
    // A prefix of its own per run, so parallel runs never share counters.
    const limits = JSON.stringify({ ...JSON.parse(LIMITS), redisPrefix: `acct-test:${process.pid}-${Date.now()}:oauth-register:` });
    const env = { ...SHARED_REDIS, ACCT_RATE_LIMITS: limits };
    const a = await startServer(env);
    const b = await startServer(env);
    try {
      const meta = { client_name: 'Shared App', redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' };
      expect((await register(a.url, meta)).status).toBe(201);
      expect((await register(b.url, meta)).status).toBe(201);
      const over = await register(a.url, meta);
      expect(over.status).toBe(429);
      expect(over.body.error).toBe('temporarily_unavailable');
      expect((await register(b.url, meta)).status).toBe(429);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('deviceUserCode budget', () => {
  it('lets a signed-in browser try a few user codes, then answers 429 before looking any further up', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/device?user_code=${guess(i)}`, { headers: { cookie: alice.cookie } });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('unknown, expired or already used');
    }
    const over = await fetch(`${server.url}/device?user_code=${guess(3)}`, { headers: { cookie: alice.cookie } });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // The form without a code spends nothing.
    expect((await fetch(`${server.url}/device`, { headers: { cookie: alice.cookie } })).status).toBe(200);
  });
});

describe('configuration', () => {
  it('refuses to start on an unknown protocol budget, naming the known ones', async () => {
    await expect(startServer({ ACCT_RATE_LIMITS: JSON.stringify({ protocol: { oauthRegistr: { limit: 1, windowSeconds: 60 } } }) }))
      .rejects.toThrow(/unknown protocol budget "oauthRegistr"; use one of oauthRegister, deviceUserCode/);
  });

  it('the real defaults include both budgets', async () => {
    const plain = await startServer({ ACCT_RATE_LIMITS: '' });
    try {
      const budgets = await call(plain.url, 'GET', '/api/auth/rate-limits');
      const byName = Object.fromEntries(budgets.body.data.limits.map((l: { name: string; limit: number; windowSeconds: number }) => [l.name, [l.limit, l.windowSeconds]]));
      expect(byName['oauthRegister.ip']).toEqual([20, 3600]);
      expect(byName['deviceUserCode.ip']).toEqual([10, 300]);
    } finally {
      await plain.stop();
    }
  });
});
