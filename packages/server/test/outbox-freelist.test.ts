// test-dialects: sqlite — the freelist is SQLite's; PostgreSQL's flush is one statement and keeps no free-page list
/**
 * A flush of the audit outbox on SQLite takes its batch out of the outbox (into a TEMP table) and
 * deletes it before copying it into `audit_entries` and `webhook_deliveries`, so the pages the
 * delete frees are the pages those inserts take. Left on the freelist, they went to the requests
 * after the flush, whose B-tree splits then swapped pages through a page number past the end of
 * the file and made the next commit walk the whole page cache (docs/benchmarks.md "Session 16").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope } from './support.js';
import { orgPath, sqlOn } from './tenancy-support.js';

let server: RunningServer;
let user: TestUser;

beforeAll(async () => {
  // Nothing flushes on its own within the test: no timer, no worker pass.
  server = await startServer({ ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_AUDIT_FLUSH_MS: '3600000', ACCT_WEBHOOK_POLL_MS: '3600000' });
  user = await newUser(server.url, 'freelist');
});
afterAll(async () => {
  await server?.stop();
});

const count = async (sql: string, params: unknown[] = []) => Number(Object.values((await sqlOn(server, sql, params))[0]!)[0]);

describe('a flush on SQLite', () => {
  it('leaves no free page behind: the rows it deletes from the outbox make room for the rows it copies', async () => {
    const as = { cookie: user.cookie };
    expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/payments'), { ...as, headers: { 'idempotency-key': 'freelist' }, body: { amount: 500 } }), 201, 'OK');
    const hook = await api(server.url, 'POST', orgPath(user.organizationId, '/webhooks'), { ...as, body: { url: 'http://127.0.0.1:9/hook', events: ['project.created'] } });
    expectEnvelope(hook, 201, 'OK');
    await new Promise((r) => setTimeout(r, 5));
    // Enough outbox rows (each carries its event) to fill dozens of pages.
    const N = 300;
    for (let i = 0; i < N; i++) {
      expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { ...as, body: { name: `Page filler ${i} ${'x'.repeat(60)}` } }), 201, 'OK');
    }
    expect(await count("SELECT count(*) FROM audit_outbox WHERE action = 'project.created'")).toBe(N);
    const outboxPages = await count("SELECT count(*) FROM dbstat WHERE name = 'audit_outbox'");
    const before = await count('PRAGMA freelist_count');

    // Listing deliveries flushes first.
    const listed = await api(server.url, 'GET', orgPath(user.organizationId, `/webhooks/${hook.body.data.id}/deliveries?limit=100`), as);
    expectEnvelope(listed, 200, 'OK');
    expect(listed.body.data).toHaveLength(100);
    expect(await count('SELECT count(*) FROM audit_outbox')).toBe(0);
    expect(await count("SELECT count(*) FROM audit_entries WHERE action = 'project.created'")).toBe(N);
    expect(await count('SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ?', [hook.body.data.id])).toBe(N);
    // The outbox's pages went free and were taken again within the flush.
    expect(outboxPages).toBeGreaterThan(20);
    expect(before).toBe(0);
    expect(await count('PRAGMA freelist_count')).toBe(0);
    // The TEMP table the batch passed through is the connection's own: nothing of it in the file.
    expect(await sqlOn(server, "SELECT name FROM sqlite_master WHERE name LIKE '%moving%'")).toEqual([]);
  });
});
