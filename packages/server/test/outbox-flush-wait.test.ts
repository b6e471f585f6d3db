// test-dialects: postgres — several flushes at once happen only with several processes on PostgreSQL
/**
 * A read of deliveries flushes the audit outbox first, so an event committed before the read is
 * listed. On PostgreSQL another flush (the flush timer, the delivery worker, another instance)
 * may hold those outbox rows in its open transaction at that moment: the read's flush must wait
 * for it, not skip the rows and list nothing (the race CI once caught in webhooks.test). The
 * other flush here is the server's own, run from dist in a transaction the test keeps open.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope } from './support.js';
import { orgPath, sqlOn } from './tenancy-support.js';

type DatabaseModule = typeof import('../src/db/database.js');
type OutboxModule = typeof import('../src/audit/outbox.js');
let server: RunningServer;
let user: TestUser;
let db: Awaited<ReturnType<DatabaseModule['openDatabase']>>;
let flush: OutboxModule['flushAuditOutbox'];

beforeAll(async () => {
  // Nothing in the server flushes on its own within the test: no timer, no worker pass.
  server = await startServer({ ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_AUDIT_FLUSH_MS: '3600000', ACCT_WEBHOOK_POLL_MS: '3600000' });
  user = await newUser(server.url, 'flush-wait');
  const database = (await import(path.join(ROOT, 'packages/server/dist/db/database.js'))) as DatabaseModule;
  db = await database.openDatabase({ databaseUrl: server.databaseUrl, dataDir: server.dataDir } as Parameters<DatabaseModule['openDatabase']>[0], { connectMs: 5000, queryMs: 5000 });
  flush = ((await import(path.join(ROOT, 'packages/server/dist/audit/outbox.js'))) as OutboxModule).flushAuditOutbox;
});
afterAll(async () => {
  await db?.destroy();
  await server?.stop();
});

const as = () => ({ cookie: user.cookie });

async function endpoint(events: string[]): Promise<string> {
  const res = await api(server.url, 'POST', orgPath(user.organizationId, '/webhooks'), { ...as(), body: { url: 'http://127.0.0.1:9/hook', events } });
  expectEnvelope(res, 201, 'OK');
  return res.body.data.id as string;
}

describe('a read of deliveries while another flush holds the outbox rows', () => {
  it('waits for that flush to commit and lists the event; another skipping flush moves nothing twice', async () => {
    const hook = await endpoint(['project.created']);
    await new Promise((r) => setTimeout(r, 5));
    const project = await api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { ...as(), body: { name: 'Held' } });
    expectEnvelope(project, 201, 'OK');
    expect(await sqlOn(server, "SELECT id FROM audit_outbox WHERE action = 'project.created'")).toHaveLength(1);

    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const other = db.transaction().execute(async (trx) => {
      const moved = await flush(trx);
      held();
      await released;
      return moved;
    });
    await holding;

    // A flush that skips what others hold (the timer's, the worker's) finds nothing to move.
    expect(await flush(db)).toBe(0);
    let answered = false;
    const listing = api(server.url, 'GET', orgPath(user.organizationId, `/webhooks/${hook}/deliveries`), as()).then((res) => {
      answered = true;
      return res;
    });
    await new Promise((r) => setTimeout(r, 300));
    // Still waiting on the other flush's row locks (a skipping read would have answered [] by now).
    expect(answered).toBe(false);
    release();
    expect(await other).toBeGreaterThanOrEqual(1);
    const listed = await listing;
    expectEnvelope(listed, 200, 'OK');
    expect(listed.body.data.map((d: { eventType: string }) => d.eventType)).toEqual(['project.created']);
    // Moved once: one delivery, one audit entry, an empty outbox.
    expect(await sqlOn(server, 'SELECT endpoint_id FROM webhook_deliveries')).toEqual([{ endpoint_id: hook }]);
    expect(await sqlOn(server, "SELECT id FROM audit_entries WHERE action = 'project.created' AND target_id = ?", [project.body.data.id])).toHaveLength(1);
    expect(await sqlOn(server, 'SELECT id FROM audit_outbox')).toHaveLength(0);
  });
});
