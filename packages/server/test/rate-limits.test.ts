import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, type RunningServer } from './harness.js';
import { expectEnvelope, expectNoServerErrors } from './support.js';
import {
  cookieOf, expectLimited, from, limitedServer, limitHeaders, sameAnswer, setOffset, serverNow, signInFrom, signUpFrom, startOfWindow,
} from './rate-limits.fixtures.js';

// Small budgets, each test on its own client addresses; the lockout is out of the way here.
const LIMITS = {
  defaults: false,
  ip: { limit: 5, windowSeconds: 60 },
  credential: { limit: 4, windowSeconds: 60 },
  endpoints: {
    signIn: { ip: { limit: 3, windowSeconds: 10 }, email: { limit: 4, windowSeconds: 300 } },
    signUp: { ip: { limit: 50, windowSeconds: 60 } },
    requestPasswordReset: { email: { limit: 2, windowSeconds: 3600 } },
    changePassword: { credential: { limit: 2, windowSeconds: 600 } },
  },
  lockout: { perIp: { freeFailures: 1000, delaySeconds: 1, maxDelaySeconds: 1 }, perAccount: { freeFailures: 1000, delaySeconds: 1, maxDelaySeconds: 1 } },
};

let server: RunningServer;
beforeAll(async () => {
  server = await limitedServer(LIMITS, { TRUST_PROXY: 'true' });
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

describe('request limits', () => {
  it('a per-IP budget counts down in its headers, trips at its number, and resets at X-RateLimit-Reset', async () => {
    const { end } = await startOfWindow([server], 60);
    for (let i = 4; i >= 0; i--) {
      const res = await from('10.1.0.1', server, 'GET', '/api/auth/scopes');
      expect(res.status).toBe(200);
      expect(limitHeaders(res)).toEqual({ limit: 5, remaining: i, reset: end });
    }
    const limited = await from('10.1.0.1', server, 'GET', '/api/auth/scopes');
    const retryAfter = expectLimited(limited);
    expect(limitHeaders(limited)).toEqual({ limit: 5, remaining: 0, reset: end });
    expect(retryAfter).toBe(Math.ceil(end - serverNow(server) / 1000));
    expect(limited.body.message).toMatch(/retry in \d+ s/);

    // Another address has its own budget.
    expect(limitHeaders(await from('10.1.0.2', server, 'GET', '/api/auth/scopes')).remaining).toBe(4);

    // One second before the reset: still limited; at the reset: a fresh window.
    await setOffset(server, end - 1 - Date.now() / 1000);
    expectLimited(await from('10.1.0.1', server, 'GET', '/api/auth/scopes'));
    await setOffset(server, end - Date.now() / 1000);
    const fresh = await from('10.1.0.1', server, 'GET', '/api/auth/scopes');
    expect(fresh.status).toBe(200);
    expect(limitHeaders(fresh)).toEqual({ limit: 5, remaining: 4, reset: end + 60 });
  });

  it('sign-in shows the tightest of the budgets it spends (per IP 3/10 s inside 5/60 s) and stops at 3', async () => {
    const { start } = await startOfWindow([server], 60);
    const address = email('tight');
    for (const remaining of [2, 1, 0]) {
      const res = await signInFrom(server, '10.2.0.1', address, 'not-the-password-at-all');
      expectEnvelope(res, 401, 'INVALID_CREDENTIALS');
      expect(limitHeaders(res)).toEqual({ limit: 3, remaining, reset: start + 10 });
    }
    const limited = await signInFrom(server, '10.2.0.1', address, 'not-the-password-at-all');
    expect(expectLimited(limited)).toBeLessThanOrEqual(9);
    expect(limitHeaders(limited)).toEqual({ limit: 3, remaining: 0, reset: start + 10 });
    // Bearer login is sign-in by another name: it spends the same budget.
    expectLimited(await from('10.2.0.1', server, 'POST', '/api/auth/login', { body: { email: address, password: PASSWORD } }));
  });

  it('the per-email sign-in budget counts the address from every IP, and an unknown email is treated the same', async () => {
    await startOfWindow([server], 300);
    const known = await signUpFrom(server, '10.3.0.100', email('per-email'));
    const unknown = email('nobody');
    const answers: Record<string, ReturnType<typeof sameAnswer>> = {};
    for (const address of [known, unknown]) {
      for (let i = 1; i <= 4; i++) expectEnvelope(await signInFrom(server, `10.3.${i}.${address === known ? 1 : 2}`, address, 'not-the-password-at-all'), 401, 'INVALID_CREDENTIALS');
      // A fifth address changes nothing, and neither does the right password.
      const limited = await signInFrom(server, `10.3.5.${address === known ? 1 : 2}`, address, PASSWORD);
      expectLimited(limited);
      expect(limited.body.message).toContain('signIn.email');
      answers[address] = sameAnswer(limited);
    }
    expect(answers[known]).toEqual(answers[unknown]);
  });

  it('password-reset mails are limited per email and client address (2 per hour), with the same answer for unknown emails', async () => {
    await startOfWindow([server], 3600);
    const known = await signUpFrom(server, '10.4.0.100', email('reset-limit'));
    const unknown = email('nobody');
    const third: unknown[] = [];
    for (const [n, address] of [known, unknown].entries()) {
      for (let i = 1; i <= 2; i++) expectEnvelope(await from(`10.4.1.${n}`, server, 'POST', '/api/auth/request-password-reset', { body: { email: address } }), 200, 'OK');
      const limited = await from(`10.4.1.${n}`, server, 'POST', '/api/auth/request-password-reset', { body: { email: address } });
      expectLimited(limited);
      third.push(sameAnswer(limited));
      // Another address has a budget of its own for the same email: one client cannot use up the owner's.
      expectEnvelope(await from(`10.4.2.${n}`, server, 'POST', '/api/auth/request-password-reset', { body: { email: address } }), 200, 'OK');
    }
    expect(third[0]).toEqual(third[1]);
  });

  it('authenticated routes count per credential after authentication: a session and a key of one user have separate budgets', async () => {
    await startOfWindow([server], 60);
    const address = await signUpFrom(server, '10.5.0.1', email('credential'));
    const signedIn = await signInFrom(server, '10.5.0.1', address, PASSWORD);
    const cookie = cookieOf(signedIn);
    const created = await from('10.5.0.1', server, 'POST', '/api/auth/api-key/create', { cookie, body: { name: 'ci', scopes: ['user:read'] } });
    expect(created.status).toBe(200);
    expect(limitHeaders(created)).toMatchObject({ limit: 4, remaining: 3 });
    for (const remaining of [2, 1, 0]) expect(limitHeaders(await from('10.5.0.1', server, 'GET', '/api/user/me', { cookie }))).toMatchObject({ remaining });
    expectLimited(await from('10.5.0.1', server, 'GET', '/api/user/me', { cookie }));
    // The same user's key, from the same address, still has its whole budget.
    const byKey = await from('10.5.0.1', server, 'GET', '/api/user/me', { apiKey: created.body.data.key });
    expect(byKey.status).toBe(200);
    expect(limitHeaders(byKey)).toMatchObject({ limit: 4, remaining: 3 });
    // A credential that does not authenticate is refused as such, never counted as the session.
    for (let i = 0; i < 6; i++) expectEnvelope(await from('10.5.0.1', server, 'GET', '/api/user/me', { cookie: 'acct_session=nonsense' }), 401, 'INVALID_TOKEN');
  });

  it('a per-endpoint credential budget (change-password, 2 per 10 min) is tighter than the route-wide one', async () => {
    await startOfWindow([server], 600);
    const address = await signUpFrom(server, '10.6.0.1', email('change'));
    const cookie = cookieOf(await signInFrom(server, '10.6.0.1', address, PASSWORD));
    const body = { currentPassword: 'not-the-password-at-all', newPassword: 'another-long-passphrase-here' };
    for (const remaining of [1, 0]) {
      const res = await from('10.6.0.1', server, 'POST', '/api/auth/change-password', { cookie, body });
      expectEnvelope(res, 400, 'VALIDATION_ERROR');
      expect(limitHeaders(res)).toMatchObject({ limit: 2, remaining });
    }
    expectLimited(await from('10.6.0.1', server, 'POST', '/api/auth/change-password', { cookie, body: { ...body, currentPassword: PASSWORD } }));
  });

  it('GET /api/auth/rate-limits describes the caller\'s budgets, with a credential\'s own when one is sent', async () => {
    const { end } = await startOfWindow([server], 60);
    const anonymous = await from('10.7.0.1', server, 'GET', '/api/auth/rate-limits');
    expectEnvelope(anonymous, 200, 'OK');
    const data = anonymous.body.data;
    expect(data.enabled).toBe(true);
    expect(data.caller).toEqual({ ip: '10.7.0.1', credential: null });
    const byName = Object.fromEntries(data.limits.map((l: { name: string }) => [l.name, l]));
    expect(byName['ip']).toMatchObject({ per: 'ip', limit: 5, windowSeconds: 60, remaining: 4, reset: end });
    expect(byName['ip'].routes).toContain('POST /api/auth/sign-in/email');
    expect(byName['signIn.email']).toMatchObject({ per: 'email', limit: 4, windowSeconds: 300, remaining: null, routes: ['POST /api/auth/sign-in/email', 'POST /api/auth/login'] });
    expect(byName['credential']).toBeUndefined();
    expect(data.lockout.blockAt).toBe(100);

    const address = await signUpFrom(server, '10.7.0.2', email('describe'));
    const cookie = cookieOf(await signInFrom(server, '10.7.0.2', address, PASSWORD));
    await from('10.7.0.2', server, 'GET', '/api/user/me', { cookie });
    const signedIn = await from('10.7.0.2', server, 'GET', '/api/auth/rate-limits', { cookie });
    expect(signedIn.body.data.caller.credential).toMatchObject({ kind: 'session', id: expect.any(String) });
    const credential = signedIn.body.data.limits.find((l: { name: string }) => l.name === 'credential');
    expect(credential).toMatchObject({ per: 'credential', limit: 4, remaining: 3, reset: end });
    expect(credential.routes).toContain('GET /api/user/me');
    expectEnvelope(await from('10.7.0.3', server, 'GET', '/api/auth/rate-limits', { cookie: 'acct_session=nonsense' }), 401, 'INVALID_TOKEN');
  });
});

describe('configuration and client addresses', () => {
  it('without TRUST_PROXY, X-Forwarded-For changes nothing: every spoofed address spends the socket\'s budget', async () => {
    const direct = await limitedServer({ defaults: false, ip: { limit: 3, windowSeconds: 3600 } });
    try {
      await startOfWindow([direct], 3600);
      for (const [i, spoof] of ['1.1.1.1', '2.2.2.2', '3.3.3.3'].entries())
        expect(limitHeaders(await from(spoof, direct, 'GET', '/api/auth/scopes')).remaining).toBe(2 - i);
      expectLimited(await from('4.4.4.4', direct, 'GET', '/api/auth/scopes'));
      expectLimited(await from('5.5.5.5, 6.6.6.6', direct, 'GET', '/api/auth/scopes'));
      const described = await from('7.7.7.7', direct, 'GET', '/api/auth/rate-limits');
      expectLimited(described);
      expectNoServerErrors(direct);
    } finally {
      await direct.stop();
    }
  });

  it('ACCT_RATE_LIMITS=off disables request limits with a warning; the lockout stays on', async () => {
    const off = await startServer({ ACCT_RATE_LIMITS: 'off', NODE_ENV: 'test', ACCT_TEST_CLOCK: '1' });
    try {
      // The log is written asynchronously: the warning may reach the pipe after "listening on".
      await expect.poll(() => off.output(), { timeout: 5000 }).toMatch(/ACCT_RATE_LIMITS=off: request rate limits are disabled/);
      for (let i = 0; i < 8; i++) {
        const res = await from(null, off, 'POST', '/api/auth/sign-in/email', { body: { email: `off-${i}@example.com`, password: 'not-the-password-at-all' } });
        expectEnvelope(res, 401, 'INVALID_CREDENTIALS');
        expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      }
      const described = await from(null, off, 'GET', '/api/auth/rate-limits');
      expect(described.body.data).toMatchObject({ enabled: false, limits: [] });
      // The account lockout (5 failures per email and address by default) still applies.
      for (let i = 0; i < 5; i++) await from(null, off, 'POST', '/api/auth/sign-in/email', { body: { email: 'locked@example.com', password: 'not-the-password-at-all' } });
      expectLimited(await from(null, off, 'POST', '/api/auth/sign-in/email', { body: { email: 'locked@example.com', password: 'not-the-password-at-all' } }));
    } finally {
      await off.stop();
    }
  });

  it('reads a JSON file, merges it over the defaults by endpoint and subject, and null removes a limit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-limits-'));
    const file = path.join(dir, 'limits.json');
    fs.writeFileSync(file, JSON.stringify({ ip: { limit: 2, windowSeconds: 3600 }, endpoints: { signIn: { email: null }, signUp: { ip: { limit: 7, windowSeconds: 60 } } } }));
    const fromFile = await limitedServer(file);
    try {
      await startOfWindow([fromFile], 3600);
      const described = await from(null, fromFile, 'GET', '/api/auth/rate-limits');
      const names = Object.fromEntries(described.body.data.limits.map((l: { name: string; limit: number }) => [l.name, l.limit]));
      expect(names).toMatchObject({ ip: 2, 'signIn.ip': 3, 'signUp.ip': 7, 'requestPasswordReset.email': 3 });
      expect(names['signIn.email']).toBeUndefined();
      expect(limitHeaders(await from(null, fromFile, 'GET', '/api/auth/scopes')).remaining).toBe(0);
      expectLimited(await from(null, fromFile, 'GET', '/api/auth/scopes'));
    } finally {
      await fromFile.stop();
    }
  });

  it.each([
    ['not JSON', '{oops', /not valid JSON/],
    ['an unknown endpoint', JSON.stringify({ endpoints: { signInn: { ip: { limit: 1, windowSeconds: 1 } } } }), /unknown endpoint "signInn"/],
    ['a per-email limit on a route without an email', JSON.stringify({ endpoints: { listScopes: { email: { limit: 1, windowSeconds: 1 } } } }), /no email in its body/],
    ['a per-credential limit on a public route', JSON.stringify({ endpoints: { signUp: { credential: { limit: 1, windowSeconds: 1 } } } }), /is public/],
    ['login configured apart from sign-in', JSON.stringify({ endpoints: { login: { ip: { limit: 1, windowSeconds: 1 } } } }), /spends the budget of "signIn"/],
    ['a zero limit', JSON.stringify({ ip: { limit: 0, windowSeconds: 60 } }), /ACCT_RATE_LIMITS/],
    ['a missing file', '/nonexistent/limits.json', /cannot read/],
  ])('refuses to start on %s, saying why', async (_, value, message) => {
    await expect(startServer({ ACCT_RATE_LIMITS: value })).rejects.toThrow(message);
  });

  it('the test clock exists only with NODE_ENV=test and ACCT_TEST_CLOCK=1 together', async () => {
    // The harness sets NODE_ENV=test on every server (test hashes): each case names it explicitly.
    for (const env of [{ ACCT_TEST_CLOCK: '1', NODE_ENV: 'production' }, { ACCT_TEST_CLOCK: '1', NODE_ENV: '' }, { NODE_ENV: 'test' }, { ACCT_TEST_CLOCK: 'true', NODE_ENV: 'test' }]) {
      const plain = await startServer(env);
      try {
        expectEnvelope(await from(null, plain, 'POST', '/__test/clock', { body: { offsetSeconds: 3600 } }), 404, 'NOT_FOUND');
        expect(plain.output()).not.toMatch(/TEST CLOCK/);
      } finally {
        await plain.stop();
      }
    }
    expect(server.output()).toMatch(/TEST CLOCK ENABLED/);
  });
});
