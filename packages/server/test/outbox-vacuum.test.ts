// test-dialects: postgres — dead tuples and VACUUM are PostgreSQL's; SQLite's flush frees its pages in the same transaction (outbox-freelist.test.ts)
/**
 * Every row a flush moves out of the audit outbox leaves a dead tuple in its heap. Until a VACUUM
 * marks that space free, new rows go to new pages at the end, and the flush, which reads the
 * outbox in full, read every row ever written: its cost per audited write grew with the server's
 * age (docs/benchmarks.md "Session 17"). autovacuum may be off (it is on this project's test
 * machines), and when on it comes once a minute; the server's flusher vacuums the outbox itself,
 * about once a second while rows move (audit/outbox.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope } from './support.js';
import { orgPath, sqlOn } from './tenancy-support.js';

let server: RunningServer;
let user: TestUser;

beforeAll(async () => {
  server = await startServer({ ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_AUDIT_FLUSH_MS: '50', ACCT_WEBHOOK_POLL_MS: '3600000' });
  user = await newUser(server.url, 'vacuum');
});
afterAll(async () => {
  await server?.stop();
});

const one = async (text: string) => Number(Object.values((await sqlOn(server, text))[0]!)[0]);

describe('the audit outbox on PostgreSQL', () => {
  it('keeps its heap to the rows of about a second: the server vacuums the space its flushes leave', async () => {
    const as = { cookie: user.cookie };
    expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/payments'), { ...as, headers: { 'idempotency-key': 'vacuum' }, body: { amount: 5000 } }), 201, 'OK');
    expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/webhooks'), { ...as, body: { url: 'http://127.0.0.1:9/hook', events: ['project.created'] } }), 201, 'OK');

    // Rows written for several seconds (several vacuums), ten requests at a time; each carries its event.
    let N = 0;
    const started = Date.now();
    while (Date.now() - started < 6000 || N < 1000) {
      await Promise.all(Array.from({ length: 10 }, (_, j) =>
        api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { ...as, body: { name: `Vacuum filler ${N + j} ${'x'.repeat(70)}` } }).then((res) => expectEnvelope(res, 201, 'OK'))));
      N += 10;
    }
    const seconds = (Date.now() - started) / 1000;
    // Everything moved (the flush runs every 50 ms); the flusher vacuumed all along.
    await expect.poll(() => one('SELECT count(*) FROM audit_outbox'), { timeout: 10_000, interval: 100 }).toBe(0);
    const vacuums = await one("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'audit_outbox'");
    expect(vacuums).toBeGreaterThanOrEqual(Math.floor(seconds / 2));
    expect(await one("SELECT count(*) FROM audit_entries WHERE action = 'project.created'")).toBe(N);

    // What the outbox rows written would take, packed (the audit row and its event), against what the heap holds.
    const row = await one("SELECT avg(pg_column_size(t.*))::int FROM audit_entries t WHERE action = 'project.created'");
    const event = await one('SELECT avg(length(payload))::int FROM webhook_deliveries');
    const written = N * (row + event);
    const heap = await one("SELECT pg_relation_size('audit_outbox')");
    expect(written).toBeGreaterThan(500_000);
    // Never vacuumed, the heap grew to 0.6× `written` here (2,060 rows in 6 s: pruning reuses a
    // little of it) and grows on with every row; vacuumed every second it held 0.17×, the rows of
    // a second or so, and reuses that space.
    expect(heap).toBeLessThan(written * Math.min(0.5, 3 / seconds));

    // The vacuum after the last move (within a second of it) found every page empty and kept them
    // for the next rows: it does not give them back to the file system (TRUNCATE false), which
    // takes an ACCESS EXCLUSIVE lock that audited writes, inserting into the outbox, wait behind.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await one('SELECT count(*) FROM audit_outbox')).toBe(0);
    expect(await one("SELECT pg_relation_size('audit_outbox')")).toBeGreaterThan(0);
  });
});
