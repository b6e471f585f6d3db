import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError } from './support.js';
import { dumpDb, orgPath } from './tenancy-support.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ ACCT_RATE_LIMITS: 'off', ACCT_CREDIT_COSTS: '{"projects.create": 1}' });
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

const balanceOf = async (user: TestUser) =>
  (await api(server.url, 'GET', orgPath(user.organizationId, '/subscription'), { cookie: user.cookie })).body.data.creditBalance as number;

const topUp = (user: TestUser, body: unknown, key?: string) =>
  api(server.url, 'POST', orgPath(user.organizationId, '/payments'), { cookie: user.cookie, body, headers: key === undefined ? {} : { 'idempotency-key': key } });

async function allLedger(user: TestUser) {
  const entries: any[] = [];
  let next = orgPath(user.organizationId, '/payments?limit=100');
  for (;;) {
    const res = await api(server.url, 'GET', next, { cookie: user.cookie });
    expectEnvelope(res, 200, 'OK');
    entries.push(...res.body.data);
    if (!res.body.meta.pagination.nextCursor) return entries;
    next = orgPath(user.organizationId, `/payments?limit=100&cursor=${res.body.meta.pagination.nextCursor}`);
  }
}

describe('credits', () => {
  it('100 parallel project creations against a balance of 60: exactly 60 succeed, 40 get 402, the balance ends at 0', async () => {
    const user = await newUser(server.url, 'race');
    expect(await balanceOf(user)).toBe(100);
    // Spend 40 of the 100 included credits, so 60 are left.
    const warmUp = await Promise.all(Array.from({ length: 40 }, (_, i) => api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: `warm-up ${i}` } })));
    expect(warmUp.every((r) => r.status === 201)).toBe(true);
    expect(await balanceOf(user)).toBe(60);

    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: `race ${i}` } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(60);
    const refused = results.filter((r) => r.status === 402);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expectEnvelope(r, 402, 'INSUFFICIENT_CREDITS');
      expect(r.body.message).toMatch(/costs 1 credit; the organization has 0/);
      expect(r.body.errors).toEqual([{ field: 'credits', message: 'required 1, available 0' }]);
    }
    expect(await balanceOf(user)).toBe(0);

    // Nothing half-written: one debit per project, and the ledger adds up to the balance.
    const projects = await api(server.url, 'GET', orgPath(user.organizationId, '/projects?limit=100'), { cookie: user.cookie });
    const ledger = await allLedger(user);
    const debits = ledger.filter((e) => e.kind === 'debit');
    expect(debits).toHaveLength(100);
    expect(projects.body.meta.pagination.hasMore).toBe(false);
    expect(projects.body.data).toHaveLength(100);
    expect(ledger.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
    expect(ledger[0].balanceAfter).toBe(0);
    expect(new Set(debits.map((d) => d.balanceAfter)).size).toBe(100);
  });

  it('checks scope and role before credits: a short balance does not hide a 403', async () => {
    const user = await newUser(server.url, 'broke');
    await Promise.all(Array.from({ length: 100 }, (_, i) => api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: `p${i}` } })));
    expect(await balanceOf(user)).toBe(0);
    const readOnly = await newKey(server.url, user.cookie, ['projects:read']);
    const scoped = await api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { apiKey: readOnly.key, body: { name: 'x' } });
    expectEnvelope(scoped, 403, 'INSUFFICIENT_SCOPE');
    const stranger = await newUser(server.url, 'stranger');
    expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: stranger.cookie, body: { name: 'x' } }), 403, 'ORGANIZATION_MISMATCH');
    expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: 'x' } }), 402, 'INSUFFICIENT_CREDITS');
  });
});

describe('top-ups', () => {
  it('credits a top-up once however often it is replayed with the same Idempotency-Key, in parallel or later', async () => {
    const user = await newUser(server.url, 'topup');
    const replies = await Promise.all(Array.from({ length: 20 }, () => topUp(user, { amount: 25, description: 'Invoice 42' }, 'invoice-42')));
    for (const r of replies) expectEnvelope(r, 201, 'OK');
    const ids = new Set(replies.map((r) => r.body.data.id));
    expect(ids.size).toBe(1);
    expect(replies.map((r) => r.body.data)).toEqual(Array(20).fill({ id: [...ids][0], amount: 25, balanceAfter: 125 }));
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    const later = await topUp(user, { amount: 25, description: 'Invoice 42' }, 'invoice-42');
    expect(later.body.data).toEqual(replies[0]!.body.data);
    expect(await balanceOf(user)).toBe(125);
    expect((await allLedger(user)).filter((e) => e.description === 'Invoice 42')).toHaveLength(1);
  });

  it('refuses a different body under a used key with 409 and credits nothing', async () => {
    const user = await newUser(server.url, 'clash');
    expectEnvelope(await topUp(user, { amount: 10 }, 'k-1'), 201, 'OK');
    const before = await dumpDb(server);
    expectEnvelope(await topUp(user, { amount: 11 }, 'k-1'), 409, 'CONFLICT');
    expectEnvelope(await topUp(user, { amount: 10, description: 'other' }, 'k-1'), 409, 'CONFLICT');
    expect(await dumpDb(server)).toEqual(before);
    // Keys are per organization: another organization may use the same one.
    const other = await newUser(server.url, 'clash-other');
    expect((await topUp(other, { amount: 10 }, 'k-1')).body.data.balanceAfter).toBe(110);
  });

  it('needs an Idempotency-Key and a positive whole amount', async () => {
    const user = await newUser(server.url, 'topup-validation');
    expectValidationError(await topUp(user, { amount: 5 }), 'Idempotency-Key');
    expectValidationError(await topUp(user, { amount: 5 }, ''), 'Idempotency-Key');
    expectValidationError(await topUp(user, { amount: 5 }, 'x'.repeat(256)), 'Idempotency-Key');
    for (const amount of [0, -5, 1.5, '5', null, 1_000_001]) expectValidationError(await topUp(user, { amount }, `v-${String(amount)}`), 'amount');
    expectValidationError(await topUp(user, {}, 'v-missing'), 'amount');
    expectValidationError(await topUp(user, { amount: 5, balance: 1e9 }, 'v-extra'), 'balance');
    expectValidationError(await topUp(user, { amount: 5, description: 'x'.repeat(201) }, 'v-desc'), 'description');
    const malformed = await api(server.url, 'POST', orgPath(user.organizationId, '/payments'), {
      cookie: user.cookie, raw: '{"amount": 5', headers: { 'content-type': 'application/json', 'idempotency-key': 'v-raw' },
    });
    expectEnvelope(malformed, 400, 'BAD_REQUEST');
    const huge = await api(server.url, 'POST', orgPath(user.organizationId, '/payments'), {
      cookie: user.cookie, raw: JSON.stringify({ amount: 5, description: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json', 'idempotency-key': 'v-huge' },
    });
    expectEnvelope(huge, 413, 'PAYLOAD_TOO_LARGE');
    expect(await balanceOf(user)).toBe(100);
  });

  it('is for admins and owners: a member gets 403, no credential 401', async () => {
    const user = await newUser(server.url, 'topup-auth');
    expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/payments'), { body: { amount: 1 }, headers: { 'idempotency-key': 'a' } }), 401, 'UNAUTHORIZED');
    const readKey = await newKey(server.url, user.cookie, ['payments:read']);
    const res = await api(server.url, 'POST', orgPath(user.organizationId, '/payments'), { apiKey: readKey.key, body: { amount: 1 }, headers: { 'idempotency-key': 'a' } });
    expectEnvelope(res, 403, 'INSUFFICIENT_SCOPE');
    expect(res.headers.get('x-accepted-scopes')).toBe('payments:write');
  });
});

describe('payments ledger', () => {
  it('lists top-ups and debits newest first with the balance after each, page by page', async () => {
    const user = await newUser(server.url, 'ledger');
    await topUp(user, { amount: 7, description: 'First' }, 'l-1');
    await api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: 'Billed' } });
    await topUp(user, { amount: 3 }, 'l-2');
    const first = await api(server.url, 'GET', orgPath(user.organizationId, '/payments?limit=2'), { cookie: user.cookie });
    expectEnvelope(first, 200, 'OK');
    expect(first.body.data).toEqual([
      { id: expect.any(String), kind: 'top-up', amount: 3, description: 'Top-up', balanceAfter: 109, createdAt: expect.any(String) },
      { id: expect.any(String), kind: 'debit', amount: -1, description: 'Project "Billed" created', balanceAfter: 106, createdAt: expect.any(String) },
    ]);
    expect(first.body.meta.pagination).toMatchObject({ limit: 2, hasMore: true });
    expect(first.headers.get('link')).toContain('rel="next"');
    const second = await api(server.url, 'GET', orgPath(user.organizationId, `/payments?limit=2&cursor=${first.body.meta.pagination.nextCursor}`), { cookie: user.cookie });
    expect(second.body.data.map((e: any) => [e.kind, e.amount, e.balanceAfter])).toEqual([['top-up', 7, 107], ['top-up', 100, 100]]);
    expect(second.body.meta.pagination).toEqual({ limit: 2, hasMore: false, nextCursor: null });
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, '/payments?limit=0'), { cookie: user.cookie }), 'limit');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, '/payments?cursor=%%%'), { cookie: user.cookie }), 'cursor');
  });
});

describe('subscription', () => {
  it('starts on the free plan and upgrades with the extra included credits', async () => {
    const user = await newUser(server.url, 'plan');
    const sub = await api(server.url, 'GET', orgPath(user.organizationId, '/subscription'), { cookie: user.cookie });
    expectEnvelope(sub, 200, 'OK');
    expect(sub.body.data).toEqual({ plan: 'free', seats: 5, includedCredits: 100, creditBalance: 100 });
    const up = await api(server.url, 'PATCH', orgPath(user.organizationId, '/subscription'), { cookie: user.cookie, body: { plan: 'team', seats: 20 } });
    expectEnvelope(up, 200, 'OK');
    expect(up.body.data).toEqual({ plan: 'team', seats: 20, includedCredits: 1000, creditBalance: 1000 });
    const down = await api(server.url, 'PATCH', orgPath(user.organizationId, '/subscription'), { cookie: user.cookie, body: { plan: 'free' } });
    expect(down.body.data).toEqual({ plan: 'free', seats: 5, includedCredits: 100, creditBalance: 1000 });
    const ledger = await allLedger(user);
    expect(ledger[0]).toMatchObject({ kind: 'top-up', amount: 900, description: 'Included credits of the team plan', balanceAfter: 1000 });
  });

  it('refuses seats above the plan or below the members, bad plans, and non-owners', async () => {
    const user = await newUser(server.url, 'seats');
    const patch = (body: unknown, cookie = user.cookie) => api(server.url, 'PATCH', orgPath(user.organizationId, '/subscription'), { cookie, body });
    expectValidationError(await patch({ seats: 6 }), 'seats');
    expectValidationError(await patch({ seats: 0 }), 'seats');
    expectValidationError(await patch({ plan: 'enterprise' }), 'plan');
    expectValidationError(await patch({ plan: 'team', creditBalance: 5 }), 'creditBalance');
    const below = await patch({ seats: 1 });
    expectEnvelope(below, 200, 'OK');
    const tooFew = await patch({ seats: 0 });
    expectValidationError(tooFew, 'seats');
    const key = await newKey(server.url, user.cookie, ['subscription:read']);
    expectEnvelope(await api(server.url, 'PATCH', orgPath(user.organizationId, '/subscription'), { apiKey: key.key, body: { seats: 2 } }), 403, 'INSUFFICIENT_SCOPE');
    expectEnvelope(await api(server.url, 'GET', orgPath(user.organizationId, '/subscription'), { apiKey: key.key }), 200, 'OK');
  });
});
