import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, PASSWORD, SHARED_REDIS, signIn, startServer, TEST_DIALECT, type RunningServer } from './harness.js';

// Three instances on one database (PostgreSQL, or one SQLite file in WAL mode) and one Redis,
// driven round-robin as a load balancer would.
let instances: RunningServer[] = [];
let turn = 0;
const next = () => instances[turn++ % instances.length]!.url;

beforeAll(async () => {
  const env = { ...SHARED_REDIS, ACCT_CREDIT_COSTS: JSON.stringify({ 'projects.create': 2 }) };
  const first = await startServer(env);
  instances = [first, ...(await Promise.all([startServer(env, first.dataDir), startServer(env, first.dataDir)]))];
});
afterAll(async () => {
  for (const s of instances.slice().reverse()) await s.stop();
});

describe(`three instances on ${TEST_DIALECT} and Redis behave as one server`, () => {
  it('sessions: signed up on one, signed in on another, the cookie works on all, sign-out ends it everywhere', async () => {
    const email = `round-robin-${Date.now()}@example.com`;
    expect((await call(next(), 'POST', '/api/auth/sign-up/email', { body: { email, password: PASSWORD, name: 'Robin' } })).status).toBe(201);
    const cookie = await signIn(next(), email, PASSWORD);
    for (const s of instances) expect((await call(s.url, 'GET', '/api/user/me', { cookie })).status).toBe(200);
    expect((await call(next(), 'POST', '/api/auth/sign-out', { cookie })).status).toBe(200);
    for (const s of instances) expect((await call(s.url, 'GET', '/api/user/me', { cookie })).body.code).toBe('INVALID_TOKEN');
  });

  it('keys: minted on one, verified on all; revoked on one, refused by every instance on its next request', async () => {
    const email = `keys-rr-${Date.now()}@example.com`;
    await call(next(), 'POST', '/api/auth/sign-up/email', { body: { email, password: PASSWORD, name: 'Keys' } });
    const cookie = await signIn(next(), email, PASSWORD);
    const { id, key } = await newKey(next(), cookie, ['user:read']);
    // Warm every instance's verification cache first: revocation must still win over it.
    for (const s of instances) expect((await call(s.url, 'GET', '/api/user/me', { apiKey: key })).status).toBe(200);
    expect((await call(next(), 'POST', '/api/auth/api-key/delete', { cookie, body: { id } })).status).toBe(200);
    for (const s of instances) expect((await call(s.url, 'GET', '/api/user/me', { apiKey: key })).body.code).toBe('INVALID_TOKEN');
  });

  it('credit debits: parallel project creations spread over the instances never overdraw', async () => {
    const email = `credits-rr-${Date.now()}@example.com`;
    await call(next(), 'POST', '/api/auth/sign-up/email', { body: { email, password: PASSWORD, name: 'Credits' } });
    const cookie = await signIn(next(), email, PASSWORD);
    const orgs = await call(next(), 'GET', '/api/user/organizations', { cookie });
    const org = orgs.body.data[0].id as string;
    // 100 included credits at 2 a project: 50 can be paid for, 30 cannot.
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) => call(next(), 'POST', `/api/user/organizations/${org}/projects`, { cookie, body: { name: `p${i}` } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(50);
    expect(results.filter((r) => r.status === 402 && r.body.code === 'INSUFFICIENT_CREDITS')).toHaveLength(30);
    const sub = await call(next(), 'GET', `/api/user/organizations/${org}/subscription`, { cookie });
    expect(sub.body.data.creditBalance).toBe(0);
  });
});
