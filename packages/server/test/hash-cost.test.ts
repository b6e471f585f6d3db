/**
 * The suite's servers hash at Argon2id's smallest cost (harness TEST_HASHES). This file holds the
 * production parameters to account: what a real server stores, and that no single stray variable,
 * nor a reachable host, lowers them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { email, newKey, PASSWORD, signIn, startServer, withTestDb, type RunningServer } from './harness.js';
import { api } from './support.js';

const PRODUCTION = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;
const TEST = /^\$argon2id\$v=19\$m=64,t=1,p=1\$/;
const started: RunningServer[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

/** Signs a user up and in, mints a key, and returns the stored password and key hashes. */
async function storedHashes(env: Record<string, string>): Promise<{ password: string; key: string }> {
  const server = await startServer(env);
  started.push(server);
  const address = email('hash-cost');
  expect((await api(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Hash Cost' } })).status).toBe(201);
  const cookie = await signIn(server.url, address, PASSWORD);
  const { id, key } = await newKey(server.url, cookie, ['user:read']);
  expect((await api(server.url, 'GET', '/api/user/me', { apiKey: key })).status).toBe(200);
  return withTestDb(server, async (db) => {
    const user = await db.all<{ password_hash: string }>(`SELECT password_hash FROM users WHERE email = '${address}'`);
    const keys = await db.all<{ secret_hash: string }>(`SELECT secret_hash FROM api_keys WHERE id = '${id}'`);
    return { password: user[0]!.password_hash, key: keys[0]!.secret_hash };
  });
}

describe('password and key hashes', () => {
  it('a real server stores Argon2id at m=19456, t=2, p=1 for passwords and keys', async () => {
    const hashes = await storedHashes({ ACCT_TEST_FAST_HASHES: '0' });
    expect(hashes.password).toMatch(PRODUCTION);
    expect(hashes.key).toMatch(PRODUCTION);
  });

  it('ACCT_TEST_FAST_HASHES=1 without NODE_ENV=test keeps the production cost', async () => {
    const hashes = await storedHashes({ NODE_ENV: 'production', ACCT_TEST_FAST_HASHES: '1' });
    expect(hashes.password).toMatch(PRODUCTION);
    expect(hashes.key).toMatch(PRODUCTION);
  });

  it('on a host other than loopback the switch is ignored', async () => {
    const hashes = await storedHashes({ HOST: '0.0.0.0', NODE_ENV: 'test', ACCT_TEST_FAST_HASHES: '1' });
    expect(hashes.password).toMatch(PRODUCTION);
  });

  it('the suite\'s servers hash at the smallest cost, and say so in their log', async () => {
    const hashes = await storedHashes({});
    expect(hashes.password).toMatch(TEST);
    expect(hashes.key).toMatch(TEST);
    expect(started.at(-1)!.output()).toContain('TEST HASHES ENABLED');
  });
});
