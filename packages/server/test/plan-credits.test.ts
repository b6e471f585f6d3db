/**
 * Included credits are granted once per billing period, not per plan change (issue 11, item 13):
 * cycling free → business → free → business pays business's credits once; a new billing period
 * (30 days from the organization's creation, moved with the test clock) grants them again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newUser, PASSWORD, signIn, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { orgPath } from './tenancy-support.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ ACCT_RATE_LIMITS: 'off', NODE_ENV: 'test', ACCT_TEST_CLOCK: '1' });
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

const plan = (user: TestUser, cookie: string, body: Record<string, unknown>) =>
  api(server.url, 'PATCH', orgPath(user.organizationId, '/subscription'), { cookie, body });

describe('included credits', () => {
  it('free → business → free cycles grant the business credits once per billing period, not per plan change', async () => {
    const user = await newUser(server.url, 'cycler');
    const up = await plan(user, user.cookie, { plan: 'business' });
    expectEnvelope(up, 200, 'OK');
    expect(up.body.data.creditBalance).toBe(10_000);
    for (let i = 0; i < 3; i++) {
      expectEnvelope(await plan(user, user.cookie, { plan: 'free' }), 200, 'OK');
      const again = await plan(user, user.cookie, { plan: 'business' });
      expectEnvelope(again, 200, 'OK');
      expect(again.body.data.creditBalance).toBe(10_000);
    }
    // team after business in the same period: business already granted more.
    expect((await plan(user, user.cookie, { plan: 'team' })).body.data.creditBalance).toBe(10_000);
    const ledger = await api(server.url, 'GET', orgPath(user.organizationId, '/payments?limit=100'), { cookie: user.cookie });
    const grants = ledger.body.data.filter((e: { description: string }) => /^Included credits/.test(e.description));
    expect(grants.map((e: { amount: number }) => e.amount)).toEqual([9_900, 100]);
  });

  it('a new billing period grants the included credits of the plan entered again', async () => {
    const user = await newUser(server.url, 'period');
    expect((await plan(user, user.cookie, { plan: 'team' })).body.data.creditBalance).toBe(1_000);
    expect((await plan(user, user.cookie, { plan: 'free' })).body.data.creditBalance).toBe(1_000);
    // 31 days later (the session has ended by then: sign in again).
    expectEnvelope(await call(server.url, 'POST', '/__test/clock', { body: { offsetSeconds: 31 * 86_400 } }), 200, 'OK');
    const cookie = await signIn(server.url, user.email, PASSWORD);
    const next = await plan(user, cookie, { plan: 'team' });
    expectEnvelope(next, 200, 'OK');
    expect(next.body.data.creditBalance).toBe(2_000);
    expect((await plan(user, cookie, { plan: 'free' })).body.data.creditBalance).toBe(2_000);
    expect((await plan(user, cookie, { plan: 'team' })).body.data.creditBalance).toBe(2_000);
  });
});
