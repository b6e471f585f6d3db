// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newKey, newUser, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, tempHome } from './helpers.js';

// The CLI against the real server's limits: a key may make 2 requests per 4-second window
// (fixed windows aligned to the clock, as the server documents).
const WINDOW_MS = 4000;
let server: RunningServer;
let key: string;
beforeAll(async () => {
  server = await startServer({ ACCT_RATE_LIMITS: JSON.stringify({ defaults: false, credential: { limit: 2, windowSeconds: WINDOW_MS / 1000 } }) });
  const user = await newUser(server.url, 'cli-429');
  ({ key } = await newKey(server.url, user.cookie, ['user:read']));
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Spends the key's budget for the current window, as another job in the same CI would. Starts
 * early in a window, so the CLI's own first request still falls inside the spent one.
 */
async function exhaust(): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < WINDOW_MS * 0.75) await new Promise((r) => setTimeout(r, left + 50));
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
    const r = await acct(['call', '/api/user/me'], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).data.fullName).toBe('Test cli-429');
    // It was refused at first and waited for the window to end (at most 4 s): the stderr says so.
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

describe('acct signup past its per-IP budget (a window far longer than --max-wait)', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    // One sign-up per IP a week: the second one answers a Retry-After of days.
    limited = await startServer({ ACCT_RATE_LIMITS: JSON.stringify({ defaults: false, endpoints: { signUp: { ip: { limit: 1, windowSeconds: 604800 } } } }) });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('exits 6 at once, saying until when, instead of sleeping the Retry-After', async () => {
    const home = tempHome({ ACCT_HOST: limited.url });
    const signup = (address: string) => acct(['signup', '--email', address, '--name', 'Rate Limited', '--password-stdin'], home.env, `${PASSWORD}\n`);
    const first = await signup(email('budget'));
    expect(first.code, first.stderr).toBe(0);
    // A Retry-After of days: a CLI that slept it would run into the test's timeout, not exit 6.
    const second = await signup(email('budget'));
    expect(second.code).toBe(6);
    expect(second.stderr).toMatch(/RATE_LIMITED.*; limited until \d\d:\d\d, in \d+ (h|min)/);
    expect(second.stderr).toMatch(/--max-wait/);
    expect(second.stderr).not.toMatch(/raise --retries/);
  });
});
