/**
 * Which secret a report or a rotation acts on (issue 11, items 4 and 12): a leak report revokes
 * exactly the reported secret, and of parallel rotations exactly one hands out a working secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';

let server: RunningServer;
let owner: TestUser;
let offset = 0;

beforeAll(async () => {
  // Production Argon2 cost: "parallel" means the ten rotations all arrive while the first is still
  // minting its secret. At the suite's smallest hash cost a rotation can finish before the last of
  // ten reaches the server, which then is a later rotation, not a parallel one, and rightly succeeds.
  server = await startServer({ NODE_ENV: 'test', ACCT_TEST_CLOCK: '1', ACCT_TEST_FAST_HASHES: '0' });
  owner = await newUser(server.url, 'secrets');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

/** Moves the server's clock forward by `seconds` (no real sleep). */
async function wait(seconds: number) {
  offset += seconds;
  const res = await call(server.url, 'POST', '/__test/clock', { body: { offsetSeconds: offset } });
  expect(res.status).toBe(200);
}

const me = (key: string) => call(server.url, 'GET', '/api/user/me', { apiKey: key });
const report = (key: string) => call(server.url, 'POST', '/api/auth/api-key/report-leak', { body: { key } });
const rotate = (id: string, gracePeriod?: number) =>
  call(server.url, 'POST', '/api/auth/api-key/rotate', { cookie: owner.cookie, body: gracePeriod === undefined ? { id } : { id, gracePeriod } });
/**
 * Ten requests sent at once: connections are opened first (ten cheap reads in parallel), so the
 * rotations leave together and none waits for a TCP handshake while the others finish.
 */
async function tenAtOnce(send: () => ReturnType<typeof call>) {
  await Promise.all(Array.from({ length: 10 }, () => call(server.url, 'GET', '/api/auth/scopes')));
  return Promise.all(Array.from({ length: 10 }, send));
}
const getKey = (id: string) => call(server.url, 'GET', `/api/auth/api-key/get?id=${id}`, { cookie: owner.cookie });

describe('leak reports revoke exactly the reported secret', () => {
  it('a secret retired by a rotation, reported after its grace period, leaves the new secret working and records the report', async () => {
    const { id, key: old } = await newKey(server.url, owner.cookie, ['user:read']);
    const rotated = await rotate(id, 1);
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.data.key as string;
    await wait(2);
    expect((await me(old)).status).toBe(401);

    const res = await report(old);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ ok: true, outcome: 'inactive' });
    expect(res.text).not.toContain(owner.email);

    expect((await me(fresh)).status).toBe(200);
    const got = await getKey(id);
    expect(got.body.data.status).toBe('active');
    const leak = got.body.data.events.find((e: { kind: string }) => e.kind === 'leak-reported');
    expect(leak.detail).toMatch(/already stopped working/);
  });

  it('a retired secret reported during its grace period ends the grace period only', async () => {
    const { id, key: old } = await newKey(server.url, owner.cookie, ['user:read']);
    const rotated = await rotate(id, 3600);
    const fresh = rotated.body.data.key as string;
    expect((await me(old)).status).toBe(200);

    const res = await report(old);
    expect(res.body.data).toEqual({ ok: true, outcome: 'grace-ended' });
    expect((await me(old)).status).toBe(401);
    expect((await me(fresh)).status).toBe(200);
    const got = await getKey(id);
    expect(got.body.data).toMatchObject({ status: 'active', previousSecretExpiresAt: null });
  });

  it("the key's current secret revokes the key; an inactive secret answers exactly as a made-up one", async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    const res = await report(key);
    expect(res.body.data).toEqual({ ok: true, outcome: 'revoked' });
    expect((await me(key)).body.code).toBe('INVALID_TOKEN');
    expect((await getKey(id)).body.data.status).toBe('revoked');

    const again = await report(key);
    const madeUp = await report(`ba_${'x'.repeat(50)}`);
    expect({ ...again.body, meta: null }).toEqual({ ...madeUp.body, meta: null });
    expect(madeUp.body.data.outcome).toBe('inactive');
  });
});

describe('parallel rotations', () => {
  /*
   * A rotation loses (409) to a rotation written after it arrived; one that arrives after another
   * was written may rotate again (docs/api.md "Rotations do not race"). Ten requests sent at once
   * nearly always all arrive before the first write (one winner), but on a loaded machine a late
   * arrival can legitimately win too. What must hold either way: every answer is 200 or 409, no
   * rotation is lost or invented (one event per winner), and exactly one secret works: the last.
   */
  it('of ten parallel rotations of a key, the others answer 409 CONFLICT, no rotation is lost, and exactly one secret works', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    const answers = await tenAtOnce(() => rotate(id));
    const winners = answers.filter((a) => a.status === 200);
    const losers = answers.filter((a) => a.status !== 200);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners.length).toBeLessThan(10);
    expect(losers.map((a) => [a.status, a.body.code])).toEqual(Array.from({ length: 10 - winners.length }, () => [409, 'CONFLICT']));
    for (const l of losers) expect(l.body.data).toBeNull();
    const working = [];
    for (const w of winners) if ((await me(w.body.data.key)).status === 200) working.push(w);
    expect(working).toHaveLength(1);
    expect((await me(key)).status).toBe(401);
    const rotations = (await getKey(id)).body.data.events.filter((e: { kind: string }) => e.kind === 'rotated');
    expect(rotations).toHaveLength(winners.length);
  });

  it('of ten parallel rotations of a team key, the others answer 409 CONFLICT and exactly one secret works', async () => {
    const org = `/api/user/organizations/${owner.organizationId}`;
    const team = await call(server.url, 'POST', `${org}/teams`, { cookie: owner.cookie, body: { name: 'Rotators' } });
    const created = await call(server.url, 'POST', `${org}/teams/${team.body.data.id}/keys`, { cookie: owner.cookie, body: { name: 'k', scopes: ['intake:write'] } });
    expect(created.status).toBe(201);
    const path = `${org}/teams/${team.body.data.id}/keys/${created.body.data.id}/rotate`;
    const answers = await tenAtOnce(() => call(server.url, 'POST', path, { cookie: owner.cookie, body: {} }));
    const winners = answers.filter((a) => a.status === 200);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners.length).toBeLessThan(10);
    expect(answers.filter((a) => a.status !== 200).map((a) => [a.status, a.body.code])).toEqual(Array.from({ length: 10 - winners.length }, () => [409, 'CONFLICT']));
    // Exactly one of the winners' secrets works (the last written), as above.
    const delivered = [];
    for (const w of winners) delivered.push((await call(server.url, 'POST', `/api/intake/${team.body.data.id}`, { bearer: w.body.data.key, body: { ok: 1 } })).status);
    expect(delivered.filter((status) => status === 202)).toHaveLength(1);
    expect(delivered.filter((status) => status !== 202).every((status) => status === 401)).toBe(true);
  });
});
