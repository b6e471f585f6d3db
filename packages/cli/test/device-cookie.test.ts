// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, tempHome } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  // The built-in limits (10 sign-ins per email per 300 s), client addresses from X-Forwarded-For.
  server = await startServer({ ACCT_RATE_LIMITS: '', TRUST_PROXY: 'true' });
});
afterAll(async () => {
  await server?.stop();
});

describe('acct keeps the device cookie', () => {
  it('acct login sends the device cookie back, so a flood of wrong passwords from elsewhere does not lock its owner out', async () => {
    const home = tempHome({ ACCT_HOST: server.url });
    const address = email('cli-device');
    const up = await acct(['signup', '--email', address, '--name', 'Cli Device', '--password-stdin'], home.env, `${PASSWORD}\n`);
    expect(up.code, up.stderr).toBe(0);
    const first = await acct(['login', '--email', address, '--password-stdin'], home.env, `${PASSWORD}\n`);
    expect(first.code, first.stderr).toBe(0);
    const jar = JSON.parse(fs.readFileSync(path.join(home.configDir, 'cookies.json'), 'utf8')) as { cookies: { key: string }[] };
    expect(jar.cookies.map((c) => c.key)).toEqual(expect.arrayContaining(['acct_session', expect.stringMatching(/^acct_device_/)]));

    // Someone else uses up the account's sign-in budget from ten addresses…
    for (let i = 0; i < 10; i++)
      await call(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: address, password: 'not-the-password-at-all' }, headers: { 'x-forwarded-for': `203.0.113.${i}` } });
    const stranger = await call(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: address, password: PASSWORD }, headers: { 'x-forwarded-for': '203.0.113.99' } });
    expect(stranger.status).toBe(429);

    // …and the owner's machine signs in at once (no retries: a 429 would fail).
    const again = await acct(['login', '--email', address, '--password-stdin', '--retries', '0'], home.env, `${PASSWORD}\n`);
    expect(again.code, again.stderr).toBe(0);
    const who = await acct(['whoami'], home.env);
    expect(who.code, who.stderr).toBe(0);
  });

  it('a device cookie alone is no session: after the session cookie is gone, acct says it is signed out', async () => {
    const home = tempHome({ ACCT_HOST: server.url });
    const address = email('cli-no-session');
    expect((await acct(['signup', '--email', address, '--name', 'Cli Device', '--password-stdin'], home.env, `${PASSWORD}\n`)).code).toBe(0);
    expect((await acct(['login', '--email', address, '--password-stdin'], home.env, `${PASSWORD}\n`)).code).toBe(0);
    const file = path.join(home.configDir, 'cookies.json');
    const jar = JSON.parse(fs.readFileSync(file, 'utf8')) as { cookies: { key: string }[] };
    jar.cookies = jar.cookies.filter((c) => c.key !== 'acct_session');
    fs.writeFileSync(file, JSON.stringify(jar), { mode: 0o600 });
    const status = await acct(['auth', 'status'], home.env);
    expect(status.stderr).not.toMatch(/Credential: session cookie/);
  });
});
