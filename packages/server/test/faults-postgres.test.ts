// test-dialects: postgres — PostgreSQL behind a fault proxy; its DATABASE_URL is PostgreSQL whatever the pass
/**
 * PostgreSQL failing under load, through a proxy the test controls: a silent connection (TCP up, no
 * data: blackhole), a stalled one (bytes held, then delivered) and resets. Wanted: every request
 * answers (503 UNAVAILABLE while the database is away, never a hang), service comes back by itself
 * within seconds of the network healing, and no acknowledged write is lost.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, startServer, type RunningServer } from './harness.js';
import { startTcpProxy, type ProxyMode } from './tcp-proxy.js';
import { figures, scratchPgDatabase, timedCall, underFault, type Sample } from './faults.fixtures.js';
import { expectNoServerErrors } from './support.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function serverBehindProxy(label: string): Promise<{ server: RunningServer; proxy: Awaited<ReturnType<typeof startTcpProxy>> }> {
  const database = await scratchPgDatabase(label);
  cleanups.push(() => database.drop());
  const proxy = await startTcpProxy('127.0.0.1', 5432);
  cleanups.push(() => proxy.close());
  const server = await startServer({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/${database.name}`, ACCT_RATE_LIMITS: 'off' });
  cleanups.push(() => server.stop('SIGKILL'));
  return { server, proxy };
}

// Generous bounds: a hang is 5 s and more (the old pool waited 5 s, a silent query forever).
const ANSWER_WITHIN_MS = 3000;
const RECOVER_WITHIN_MS = 5000;

describe.each<ProxyMode>(['blackhole', 'stall', 'reset'])('PostgreSQL %s under load', (mode) => {
  it('answers every request in bounded time (503 UNAVAILABLE while away), recovers by itself, loses no acknowledged write', async () => {
    const { server, proxy } = await serverBehindProxy(mode);
    const user = await newUser(server.url, `pg-${mode}`);
    const { key } = await newKey(server.url, user.cookie, ['user:read']);

    const run = await underFault(proxy, mode, (worker, n) =>
      worker % 3 === 0
        ? timedCall(server.url, 'write', 'POST', '/api/auth/api-key/create', { cookie: user.cookie, body: { name: `w${worker}-${n}`, scopes: ['user:read'] } })
        : timedCall(server.url, 'read', 'GET', '/api/user/me', { apiKey: key }),
    );
    const f = figures(run);
    console.log(`PostgreSQL ${mode}: ${JSON.stringify(f)}`);

    const unanswered = run.samples.filter((s) => s.status === 0 || s.end - s.start > ANSWER_WITHIN_MS);
    expect(unanswered.map((s) => `${s.label} ${s.status} after ${s.end - s.start} ms`)).toEqual([]);
    for (const s of run.samples) expect([200, 201, 503], JSON.stringify(s.body)).toContain(s.status);
    for (const s of run.samples.filter((x) => x.status === 503)) expect(s.code).toBe('UNAVAILABLE');
    expect(f.recoveryMs, 'service came back after the network healed').not.toBeNull();
    expect(f.recoveryMs!).toBeLessThanOrEqual(RECOVER_WITHIN_MS);

    // Healed: every acknowledged key exists and works.
    const acknowledged = run.samples.filter((s: Sample) => s.label === 'write' && s.status === 200);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const s of acknowledged) expect((await call(server.url, 'GET', '/api/user/me', { apiKey: s.body.data.key })).status).toBe(200);
    expect((await call(server.url, 'GET', '/readyz')).status).toBe(200);
    expectNoServerErrors(server);
  });
});
