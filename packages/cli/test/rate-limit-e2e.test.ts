import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, tempHome } from './helpers.js';

// The CLI against the real server's limits: a key may make 2 requests per 2-second window.
let server: RunningServer;
let key: string;
beforeAll(async () => {
  server = await startServer({ ACCT_RATE_LIMITS: JSON.stringify({ defaults: false, credential: { limit: 2, windowSeconds: 2 } }) });
  const user = await newUser(server.url, 'cli-429');
  ({ key } = await newKey(server.url, user.cookie, ['user:read']));
});
afterAll(async () => {
  await server?.stop();
});

/** Spends the key's budget for the current window, as another job in the same CI would. */
async function exhaust(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const res = await call(server.url, 'GET', '/api/user/me', { apiKey: key });
    if (res.status === 429) return;
  }
  throw new Error('the budget never ran out');
}

describe('acct call against the server rate limits', () => {
  it('waits the Retry-After the server sends, then succeeds', async () => {
    const home = tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: key });
    await exhaust();
    const started = Date.now();
    const r = await acct(['call', '/api/user/me'], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).data.fullName).toBe('Test cli-429');
    // It was refused at first and waited for the window to end (at most 2 s), not for a backoff.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/429|rate|retry/i);
  });

  it('exits 6 when still limited after its retries', async () => {
    const home = tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: key });
    await exhaust();
    const r = await acct(['call', '--retries', '0', '/api/user/me'], home.env);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('RATE_LIMITED');
  });
});
