import { afterAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, PASSWORD, startServer, testDb, TEST_DIALECT, type RunningServer } from './harness.js';
import { startTcpProxy } from './tcp-proxy.js';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function waitFor<T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('PostgreSQL going away', () => {
  it('answers 503 UNAVAILABLE (never a wrong 401 or a 500) and recovers by itself', async () => {
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    const name = `acct_outage_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });
    const proxy = await startTcpProxy('127.0.0.1', 5432);
    cleanups.push(() => proxy.close());
    const server = await startServer({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/${name}`, ACCT_RATE_LIMITS: 'off' });
    cleanups.push(() => server.stop());

    const user = await newUser(server.url, 'outage');
    const { key } = await newKey(server.url, user.cookie, ['user:read']);
    expect((await call(server.url, 'GET', '/api/user/me', { apiKey: key })).status).toBe(200);

    await proxy.cut();
    for (const res of [
      await call(server.url, 'GET', '/api/user/me', { apiKey: key }),
      await call(server.url, 'GET', '/api/user/me', { cookie: user.cookie }),
      await call(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } }),
      await call(server.url, 'GET', '/readyz'),
    ]) {
      expect(res.status, res.text).toBe(503);
      expect(res.body.code).toBe('UNAVAILABLE');
      expect(res.text).not.toMatch(/ECONNREFUSED|at .*\.js|stack/);
    }
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);

    await proxy.restore();
    const back = await waitFor(() => call(server.url, 'GET', '/api/user/me', { apiKey: key }), (r) => r.status === 200);
    expect(back.status).toBe(200);
    expect((await call(server.url, 'GET', '/api/user/me', { cookie: user.cookie })).status).toBe(200);
  });
});

describe(`kill -9 under load (${TEST_DIALECT})`, () => {
  it('after a restart every request that got a 2xx is there, and nothing is half-written', async () => {
    const env = { ACCT_RATE_LIMITS: 'off' };
    const first = await startServer(env);
    cleanups.push(() => first.stop());
    const owner = await newUser(first.url, 'survivor');

    type Outcome = { kind: 'signup' | 'key'; status: number; email?: string; key?: string; id?: string };
    const outcomes: Outcome[] = [];
    let settled = 0;
    const killAfter = 150;
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        first.process.kill('SIGKILL');
      }
    };
    const requests = Array.from({ length: 500 }, async (_, i) => {
      try {
        if (i % 2 === 0) {
          const email = `kill-${i}-${randomBytes(3).toString('hex')}@example.com`;
          const res = await call(first.url, 'POST', '/api/auth/sign-up/email', { body: { email, password: PASSWORD, name: `K ${i}` } });
          outcomes.push({ kind: 'signup', status: res.status, email });
        } else {
          const res = await call(first.url, 'POST', '/api/auth/api-key/create', { cookie: owner.cookie, body: { name: `k${i}`, scopes: ['user:read'] } });
          outcomes.push({ kind: 'key', status: res.status, key: res.body?.data?.key, id: res.body?.data?.id });
        }
      } catch {
        // connection reset by the kill: no answer, so no promise was made
      } finally {
        if (++settled === killAfter) kill();
      }
    });
    await Promise.all(requests);
    kill();
    if (first.process.exitCode === null && first.process.signalCode === null) await once(first.process, 'exit');

    const succeeded = outcomes.filter((o) => o.status >= 200 && o.status < 300);
    expect(succeeded.length).toBeGreaterThanOrEqual(killAfter - 20);

    const second = await startServer(env, first.dataDir);
    cleanups.push(() => second.stop());
    for (const o of succeeded.filter((s) => s.kind === 'key')) {
      expect((await call(second.url, 'GET', '/api/user/me', { apiKey: o.key! })).status).toBe(200);
    }
    const db = await testDb(second);
    try {
      const emails = succeeded.filter((s) => s.kind === 'signup').map((s) => s.email!);
      for (const email of emails) {
        const rows = await db.all('SELECT id FROM users WHERE email = ?', [email]);
        expect(rows, email).toHaveLength(1);
      }
      // Nothing half-written: every user has an organization they own, every organization an
      // owner and its opening ledger entry, every key its 'created' event.
      expect(await db.all('SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)')).toEqual([]);
      expect(await db.all("SELECT o.id FROM organizations o WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = o.id AND m.role = 'owner')")).toEqual([]);
      expect(await db.all('SELECT o.id FROM organizations o WHERE NOT EXISTS (SELECT 1 FROM credit_ledger l WHERE l.organization_id = o.id)')).toEqual([]);
      expect(await db.all("SELECT k.id FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM key_events e WHERE e.key_id = k.id AND e.kind = 'created')")).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
