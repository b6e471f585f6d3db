/**
 * Issue 14: three instances on one database and one Redis each keep resolved credentials in memory
 * (auth/credential-cache.ts), and a change answered 200 by one is honoured by every other on the
 * very next request, with Redis healthy, cut for everyone, or cut for the instance that made the
 * change (docs/architecture.md "Credential cache"). Each instance reaches Redis through a proxy of
 * its own, so a test can take Redis away from one instance or from all.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, PASSWORD, signIn, startServer, startSmtp, TEST_DIALECT, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { expectEnvelope, nextMail, RESET_SUBJECT, tokenOf } from './support.js';
import { joinOrg, orgPath } from './tenancy-support.js';
import { answerConsent, pkce, register, tokenRequest } from './oauth-support.js';

const PREFIX = `acct-test:${process.pid}-${Date.now()}:cache:`;
const LIMITS = JSON.stringify({
  defaults: false,
  global: { limit: 1_000_000, windowSeconds: 60 },
  ip: { limit: 1_000_000, windowSeconds: 60 },
  credential: { limit: 1_000_000, windowSeconds: 60 },
  // One small per-credential budget, spent only by the rate-limit test below.
  endpoints: { listApiKeys: { credential: { limit: 4, windowSeconds: 3600 } } },
  lockout: { perIp: { freeFailures: 3, delaySeconds: 60, maxDelaySeconds: 600 }, forgetAfterSeconds: 600 },
  redisPrefix: PREFIX,
});

const MAX_AGE_MS = 2000;
let smtp: SmtpCatcher;
const proxies: TcpProxy[] = [];
const envs: Record<string, string>[] = [];
let servers: RunningServer[] = [];
let owner: TestUser;

const url = (i: number) => servers[i]!.url;
const others = (i: number) => [0, 1, 2].filter((j) => j !== i);

async function cacheStats(i: number): Promise<{ hits: number; misses: number; epoch: string }> {
  const res = await call(url(i), 'GET', '/__test/credential-cache');
  expectEnvelope(res, 200, 'OK');
  return res.body.data;
}

/** Calls /me with a key on an instance: the status and code. */
async function me(i: number, key: string): Promise<string> {
  const res = await call(url(i), 'GET', '/api/user/me', { apiKey: key });
  return `${res.status} ${res.body?.code}`;
}

/** Sends one command to the real Redis (RESP over a socket of its own) and returns the raw reply. */
function redisCommand(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(6379, '127.0.0.1');
    socket.setEncoding('utf8');
    socket.once('error', reject);
    socket.once('data', (reply: string) => {
      socket.end();
      resolve(reply);
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

/** Runs `fn` with one instance's Redis link in `mode`, then restores it and waits until it serves again. */
async function whileCut(i: number, mode: 'stall' | 'blackhole', fn: () => Promise<void>): Promise<void> {
  proxies[i]!.mode(mode);
  try {
    await fn();
  } finally {
    proxies[i]!.mode('pass');
  }
  await untilRedisServes(i);
}

/** Disables a key of the owner's through one instance. */
async function disable(i: number, id: string): Promise<void> {
  expectEnvelope(await call(url(i), 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id, enabled: false } }), 200, 'OK');
}

/** Waits until an instance's Redis answers again: a public route's per-IP budget needs it. */
async function untilRedisServes(i: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await call(url(i), 'GET', '/api/auth/scopes')).status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`instance #${i} did not get its Redis back`);
}

/**
 * `rounds` times: disable a key through one instance (in turn) and ask the other two at once, both
 * together (refused), then enable it again and ask them (accepted: which also warms their caches for
 * the next round). Returns every answer that was not the expected one.
 */
async function flipKey(id: string, key: string, rounds: number, before: (round: number) => void = () => {}): Promise<string[]> {
  const wrong: string[] = [];
  for (const b of [1, 2]) expect(await me(b, key)).toBe('200 OK');
  for (let n = 0; n < rounds; n++) {
    before(n);
    const a = n % 3;
    for (const [enabled, expected] of [[false, '401 INVALID_TOKEN'], [true, '200 OK']] as const) {
      expectEnvelope(await call(url(a), 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id, enabled } }), 200, 'OK');
      const answers = await Promise.all(others(a).map((b) => me(b, key)));
      for (const [j, answer] of answers.entries()) if (answer !== expected) wrong.push(`round ${n}: ${enabled ? 'enabled' : 'disabled'} on #${a}, #${others(a)[j]} answered ${answer}`);
    }
  }
  return wrong;
}

beforeAll(async () => {
  smtp = await startSmtp();
  for (let i = 0; i < 3; i++) {
    const proxy = await startTcpProxy('127.0.0.1', 6379);
    proxies.push(proxy);
    envs.push({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`, SMTP_URL: smtp.url, ACCT_RATE_LIMITS: LIMITS, NODE_ENV: 'test', ACCT_TEST_CLOCK: '1',
      // Entries live long enough here that a missed invalidation shows, however slow the machine.
      ACCT_CREDENTIAL_CACHE_MAX_AGE_MS: String(MAX_AGE_MS),
      // Through a proxy on a busy machine a healthy Redis can take longer than the default 200 ms.
      ACCT_REDIS_COMMAND_TIMEOUT_MS: '1000',
    });
  }
  // One after the other: three cold starts at once can outlast the harness's start timeout on a busy machine.
  const first = await startServer(envs[0]!);
  servers = [first];
  for (const env of envs.slice(1)) servers.push(await startServer(env, first.dataDir));
  owner = await newUser(url(0), 'cache-owner');
}, 180_000);

afterAll(async () => {
  for (const s of servers.slice().reverse()) await s.stop();
  for (const p of proxies) await p.close();
  await smtp?.close();
});

describe(`three instances on ${TEST_DIALECT} and Redis, each caching credentials`, () => {
  it('answers repeated requests from memory, on the epoch of its database', async () => {
    const { key } = await newKey(url(0), owner.cookie, ['user:read']);
    for (const i of [0, 1, 2]) {
      expect(await me(i, key)).toBe('200 OK');
      const before = await cacheStats(i);
      expect(before.epoch).toBe(TEST_DIALECT === 'postgres' ? 'redis' : 'sqlite data_version');
      for (let n = 0; n < 10; n++) expect(await me(i, key)).toBe('200 OK');
      const after = await cacheStats(i);
      // Most of them hits (an entry lives MAX_AGE_MS: a slow machine may refill once or twice).
      expect(after.hits - before.hits).toBeGreaterThanOrEqual(8);
    }
  });

  it('a key disabled through one instance is refused by the other two on their very next request, 500 times in a row', async () => {
    const { id, key } = await newKey(url(0), owner.cookie, ['user:read']);
    const wrong = await flipKey(id, key, 500);
    expect(wrong).toEqual([]);
  }, 300_000);

  it('revoked keys, a signed-out session and a changed password are honoured everywhere at once', async () => {
    const user = await newUser(url(1), 'cache-revoke');
    const keys = await Promise.all(Array.from({ length: 6 }, () => newKey(url(0), user.cookie, ['user:read'])));
    for (const [n, { id, key }] of keys.slice(0, 3).entries()) {
      for (const i of [0, 1, 2]) expect(await me(i, key)).toBe('200 OK');
      expectEnvelope(await call(url(n), 'POST', '/api/auth/api-key/delete', { cookie: user.cookie, body: { id } }), 200, 'OK');
      for (const i of [0, 1, 2]) expect(await me(i, key)).toBe('401 INVALID_TOKEN');
    }
    // A second session, warm everywhere, then signed out through instance 2.
    const second = await signIn(url(2), user.email, PASSWORD);
    for (const i of [0, 1, 2]) expect((await call(url(i), 'GET', '/api/user/me', { cookie: second })).status).toBe(200);
    expectEnvelope(await call(url(2), 'POST', '/api/auth/sign-out', { cookie: second }), 200, 'OK');
    for (const i of [0, 1, 2]) expect((await call(url(i), 'GET', '/api/user/me', { cookie: second })).body.code).toBe('INVALID_TOKEN');
    // A password change through instance 0 that ends the other sessions and every key.
    const third = await signIn(url(1), user.email, PASSWORD);
    for (const i of [0, 1, 2]) expect((await call(url(i), 'GET', '/api/user/me', { cookie: third })).status).toBe(200);
    for (const { key } of keys.slice(3)) for (const i of [0, 1, 2]) expect(await me(i, key)).toBe('200 OK');
    const changed = await call(url(0), 'POST', '/api/auth/change-password', {
      cookie: user.cookie, body: { currentPassword: PASSWORD, newPassword: `${PASSWORD}-changed`, revokeOtherSessions: true, revokeKeys: true },
    });
    expectEnvelope(changed, 200, 'OK');
    for (const i of [0, 1, 2]) {
      expect((await call(url(i), 'GET', '/api/user/me', { cookie: third })).body.code).toBe('INVALID_TOKEN');
      for (const { key } of keys.slice(3)) expect(await me(i, key)).toBe('401 INVALID_TOKEN');
      expect((await call(url(i), 'GET', '/api/user/me', { cookie: user.cookie })).status).toBe(200);
    }
  }, 120_000);

  it('a password reset through one instance ends the sessions every instance had cached', async () => {
    const user = await newUser(url(0), 'cache-reset');
    for (const i of [0, 1, 2]) expect((await call(url(i), 'GET', '/api/user/me', { cookie: user.cookie })).status).toBe(200);
    expectEnvelope(await call(url(1), 'POST', '/api/auth/request-password-reset', { body: { email: user.email } }), 200, 'OK');
    const token = tokenOf(await nextMail(smtp, user.email, RESET_SUBJECT));
    expectEnvelope(await call(url(1), 'POST', '/api/auth/reset-password', { body: { token, newPassword: `${PASSWORD}-reset` } }), 200, 'OK');
    for (const i of [0, 1, 2]) expect((await call(url(i), 'GET', '/api/user/me', { cookie: user.cookie })).body.code).toBe('INVALID_TOKEN');
  });

  it('a role change through one instance is seen by the others at once, both ways; a removed member is out everywhere at once', async () => {
    const member = await newUser(url(1), 'cache-member');
    await joinOrg(servers[0]!, smtp, owner, owner.organizationId, member, 'admin');
    // Inviting is an admin's right: an empty body fails validation after the role check passed,
    // and is refused with FORBIDDEN when the role no longer allows it. Nothing is changed either way.
    const probe = async (i: number) => (await call(url(i), 'POST', orgPath(owner.organizationId, '/members'), { cookie: member.cookie, body: {} })).body.code as string;
    const wrong: string[] = [];
    for (let n = 0; n < 30; n++) {
      const a = n % 3;
      for (const b of others(a)) expect(await probe(b)).toBe('VALIDATION_ERROR');
      expectEnvelope(await call(url(a), 'PATCH', orgPath(owner.organizationId, `/members/${member.id}`), { cookie: owner.cookie, body: { role: 'member' } }), 200, 'OK');
      for (const b of others(a)) if ((await probe(b)) !== 'FORBIDDEN') wrong.push(`round ${n}: demoted on #${a}, #${b} still let an admin's request through`);
      expectEnvelope(await call(url(a), 'PATCH', orgPath(owner.organizationId, `/members/${member.id}`), { cookie: owner.cookie, body: { role: 'admin' } }), 200, 'OK');
      for (const b of others(a)) if ((await probe(b)) !== 'VALIDATION_ERROR') wrong.push(`round ${n}: promoted on #${a}, #${b} did not see it`);
    }
    expect(wrong).toEqual([]);
    for (const i of [0, 1, 2]) expectEnvelope(await call(url(i), 'GET', orgPath(owner.organizationId), { cookie: member.cookie }), 200, 'OK');
    expectEnvelope(await call(url(2), 'DELETE', orgPath(owner.organizationId, `/members/${member.id}`), { cookie: owner.cookie }), 200, 'OK');
    for (const i of [0, 1, 2]) expect((await call(url(i), 'GET', orgPath(owner.organizationId), { cookie: member.cookie })).body.code).toBe('ORGANIZATION_MISMATCH');
  }, 120_000);

  it('per-credential rate limits and the sign-in lockout count across the instances, cached or not', async () => {
    const user = await newUser(url(0), 'cache-limits');
    const { key } = await newKey(url(0), user.cookie, ['api-keys:read']);
    const statuses: number[] = [];
    for (let n = 0; n < 6; n++) statuses.push((await call(url(n % 3), 'GET', '/api/auth/api-key/list', { apiKey: key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const address = `cache-lockout-${Date.now()}@example.com`;
    for (const i of [0, 1, 2]) expect((await call(url(i), 'POST', '/api/auth/sign-in/email', { body: { email: address, password: 'not-the-password-at-all' } })).body.code).toBe('INVALID_CREDENTIALS');
    for (const i of [0, 1, 2]) expect((await call(url(i), 'POST', '/api/auth/sign-in/email', { body: { email: address, password: 'not-the-password-at-all' } })).status).toBe(429);
  });

  it('with Redis cut for every instance mid-run, answers stay exact (and come back to memory when Redis does)', async () => {
    const { id, key } = await newKey(url(0), owner.cookie, ['user:read']);
    // While Redis is away each change waits out the cache's maximum age: a short outage keeps it brief.
    const wrong = await flipKey(id, key, 24, (n) => {
      if (n === 8) for (const p of proxies) p.mode('blackhole');
      if (n === 14) for (const p of proxies) p.mode('pass');
    });
    expect(wrong).toEqual([]);
    for (const i of [0, 1, 2]) await untilRedisServes(i);
    // Healed: answered from memory again.
    let hits = 0;
    for (let attempt = 0; attempt < 50 && hits === 0; attempt++) {
      const before = (await cacheStats(1)).hits;
      await me(1, key);
      await me(1, key);
      hits = (await cacheStats(1)).hits - before;
      if (hits === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(hits).toBeGreaterThan(0);
  }, 120_000);

  it('an instance cut off from Redis alone still makes its changes honoured by the others at once', async () => {
    const { key } = await newKey(url(0), owner.cookie, ['user:read']);
    const keys = await Promise.all(Array.from({ length: 3 }, () => newKey(url(1), owner.cookie, ['user:read'])));
    for (const { key: k } of keys) for (const i of [1, 2]) expect(await me(i, k)).toBe('200 OK');
    // Instance 0 cannot announce; 1 and 2 still read a healthy Redis and would trust their memory.
    proxies[0]!.mode('blackhole');
    try {
      for (const { id, key: k } of keys) {
        for (const i of [1, 2]) expect(await me(i, k)).toBe('200 OK');
        expectEnvelope(await call(url(0), 'POST', '/api/auth/api-key/delete', { cookie: owner.cookie, body: { id } }), 200, 'OK');
        for (const i of [1, 2]) expect(await me(i, k)).toBe('401 INVALID_TOKEN');
      }
    } finally {
      proxies[0]!.mode('pass');
    }
    expect(await me(0, key)).toBe('200 OK');
    // Back in one piece before the next test signs anyone up (public routes fail closed without Redis).
    await untilRedisServes(0);
  }, 60_000);

  it('a change is answered only once an instance that has not heard it yet (its Redis link stalled) can no longer answer from memory', async () => {
    const { id, key } = await newKey(url(0), owner.cookie, ['user:read']);
    for (const i of [1, 2]) expect(await me(i, key)).toBe('200 OK');
    // Instance 2's connections to Redis hold their bytes: it hears nothing, and has just heard everything.
    await whileCut(2, 'stall', async () => {
      await disable(0, id);
      expect(await me(2, key)).toBe('401 INVALID_TOKEN');
      expect(await me(1, key)).toBe('401 INVALID_TOKEN');
    });
  }, 60_000);

  it('a change made while the set of instances is lost (a flushed Redis) still waits for an instance that has not heard it', async () => {
    const { id, key } = await newKey(url(0), owner.cookie, ['user:read']);
    expect(await me(2, key)).toBe('200 OK');
    await whileCut(2, 'stall', async () => {
      // Instance 2 can neither renew its lease nor hear: only its subscription, still open, counts it.
      expect(await redisCommand('DEL', `${PREFIX}auth:instances`)).toMatch(/^:[01]\r\n$/);
      await disable(0, id);
      expect(await me(2, key)).toBe('401 INVALID_TOKEN');
    });
  }, 60_000);

  it('an instance that stopped hearing Redis reads the database rather than its memory, so changes made elsewhere meanwhile are honoured', async () => {
    const { id, key } = await newKey(url(0), owner.cookie, ['user:read']);
    expect(await me(1, key)).toBe('200 OK');
    await whileCut(1, 'blackhole', async () => {
      // Long enough for instance 1's lease to end: the others' changes no longer wait for it.
      await new Promise((r) => setTimeout(r, MAX_AGE_MS + 1000));
      // Answered from the database (the per-credential budget counts per instance meanwhile).
      expect(await me(1, key)).toBe('200 OK');
      await disable(0, id);
      expect(await me(1, key)).toBe('401 INVALID_TOKEN');
      expect(await me(2, key)).toBe('401 INVALID_TOKEN');
    });
  }, 60_000);

  it('OAuth access tokens are answered from memory too, and a revoked token, the tokens of a reused code and a revoked grant are refused by every instance at once', async () => {
    const user = await newUser(url(0), 'cache-oauth');
    const redirect = 'http://127.0.0.1:9/callback';
    const client = (await register(url(0), { client_name: 'Cache App', redirect_uris: [redirect], token_endpoint_auth_method: 'none' })).body.client_id as string;
    /** A fresh token pair through instance `i`: authorize, consent, code exchange. */
    const tokens = async (i: number) => {
      const { verifier, challenge } = pkce();
      const authorize = new URL('/oauth2/authorize', url(i));
      for (const [k, v] of Object.entries({ response_type: 'code', client_id: client, redirect_uri: redirect, scope: 'user:read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })) authorize.searchParams.set(k, v);
      const code = new URL(await answerConsent(authorize.href, user.cookie)).searchParams.get('code')!;
      const res = await tokenRequest(url(i), { grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: verifier, client_id: client });
      expect(res.status).toBe(200);
      return { ...(res.body as { access_token: string; refresh_token: string }), code, verifier };
    };
    const bearerMe = async (i: number, token: string) => {
      const res = await call(url(i), 'GET', '/api/user/me', { bearer: token });
      return `${res.status} ${res.body?.code}`;
    };
    // Cached: repeated calls are hits.
    const first = await tokens(0);
    for (const i of [0, 1, 2]) expect(await bearerMe(i, first.access_token)).toBe('200 OK');
    const before = await cacheStats(1);
    for (let n = 0; n < 10; n++) expect(await bearerMe(1, first.access_token)).toBe('200 OK');
    expect((await cacheStats(1)).hits - before.hits).toBeGreaterThanOrEqual(8);
    // Introspection (a confidential client) is answered from memory too, and sees the revocation below at once.
    const web = (await register(url(0), { client_name: 'Cache Resource Server', redirect_uris: [redirect], token_endpoint_auth_method: 'client_secret_basic' })).body as { client_id: string; client_secret: string };
    const introspect = async (i: number, token: string) => {
      const res = await fetch(`${url(i)}/oauth2/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${web.client_id}:${web.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ token }).toString(),
      });
      return ((await res.json()) as { active: boolean }).active;
    };
    for (const i of [1, 2, 1, 2]) expect(await introspect(i, first.access_token)).toBe(true);
    // RFC 7009 revocation through instance 0: refused by 1 and 2 on their next request.
    const revoked = await fetch(`${url(0)}/oauth2/revoke`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: first.access_token, client_id: client }).toString(),
    });
    expect(revoked.status).toBe(200);
    for (const i of [1, 2, 0]) expect(await bearerMe(i, first.access_token)).toBe('401 INVALID_TOKEN');
    for (const i of [2, 1]) expect(await introspect(i, first.access_token)).toBe(false);
    // A code used twice (through instance 1) revokes what it issued: refused everywhere at once.
    const second = await tokens(0);
    for (const i of [0, 1, 2]) expect(await bearerMe(i, second.access_token)).toBe('200 OK');
    const again = await tokenRequest(url(1), { grant_type: 'authorization_code', code: second.code, redirect_uri: redirect, code_verifier: second.verifier, client_id: client });
    expect(again.status).toBe(400);
    for (const i of [2, 0, 1]) expect(await bearerMe(i, second.access_token)).toBe('401 INVALID_TOKEN');
    // Connected apps: the grant revoked through instance 2, its live token refused by 0 and 1 at once.
    const third = await tokens(2);
    for (const i of [0, 1, 2]) expect(await bearerMe(i, third.access_token)).toBe('200 OK');
    const grants = await call(url(2), 'GET', '/api/user/oauth/grants', { cookie: user.cookie });
    const grant = (grants.body.data as { id: string; revokedAt: string | null }[]).find((g) => g.revokedAt === null)!;
    expectEnvelope(await call(url(2), 'DELETE', `/api/user/oauth/grants/${grant.id}`, { cookie: user.cookie }), 200, 'OK');
    for (const i of [0, 1, 2]) expect(await bearerMe(i, third.access_token)).toBe('401 INVALID_TOKEN');
  }, 120_000);

  it('a restarted instance starts cold and correct', async () => {
    const user = await newUser(url(0), 'cache-restart');
    const kept = await newKey(url(0), user.cookie, ['user:read']);
    const revoked = await newKey(url(0), user.cookie, ['user:read']);
    for (const { key } of [kept, revoked]) expect(await me(2, key)).toBe('200 OK');
    await servers[2]!.stop();
    expectEnvelope(await call(url(0), 'POST', '/api/auth/api-key/delete', { cookie: user.cookie, body: { id: revoked.id } }), 200, 'OK');
    servers[2] = await startServer(envs[2]!, servers[0]!.dataDir);
    expect(await cacheStats(2)).toMatchObject({ hits: 0, misses: 0 });
    expect(await me(2, revoked.key)).toBe('401 INVALID_TOKEN');
    expect(await me(2, kept.key)).toBe('200 OK');
    expect(await me(2, kept.key)).toBe('200 OK');
    expect((await cacheStats(2)).hits).toBeGreaterThanOrEqual(1);
    // And it hears the others' changes like any instance.
    expectEnvelope(await call(url(1), 'POST', '/api/auth/api-key/delete', { cookie: user.cookie, body: { id: kept.id } }), 200, 'OK');
    expect(await me(2, kept.key)).toBe('401 INVALID_TOKEN');
  }, 120_000);
});
