// test-dialects: sqlite — WAL checkpoints are SQLite's; its DATABASE_URL is SQLite whatever the pass
/**
 * While writes are frequent, the server's SQLite checkpoints run in a worker thread
 * (db/checkpointer.ts), not inside a request's commit: the worker starts under a burst of writes,
 * copies the WAL into the database file while the request thread writes on, the WAL stays within
 * the request thread's backstop, the worker ends once the server is quiet again, and a stop leaves a whole database with every
 * acknowledged write in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { call, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';

/** The WAL-index header in the -shm file: frames in the WAL (mxFrame) and frames already copied into the database (nBackfill). */
function walState(dataDir: string): { frames: number; backfilled: number } {
  const shm = fs.readFileSync(path.join(dataDir, 'acct.db-shm'));
  return { frames: shm.readUInt32LE(16), backfilled: shm.readUInt32LE(96) };
}

function threads(server: RunningServer): number {
  return Number(/Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.process.pid}/status`, 'utf8'))![1]);
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (condition()) return true;
  }
  return condition();
}

describe('SQLite checkpoints under a burst of writes', () => {
  let server: RunningServer | undefined;
  let user: TestUser;
  let before: number;
  const keys: string[] = [];
  afterAll(async () => {
    await server?.stop();
  });

  it('a burst starts the checkpoint worker, which copies the WAL while the request thread writes on', async () => {
    // The worker starts from 40 commits a second here (300 by default): sixteen writers reach that
    // on any machine, however loaded, where 300 depended on the machine and on the rest of the suite.
    server = await startServer({ ACCT_SQLITE_CHECKPOINT_WORKER_COMMITS: '40' });
    user = await newUser(server.url);
    before = threads(server);
    let startedAt: number | null = null;
    let copiedBeyondSqlite = false;
    let longest = 0;
    const deadline = Date.now() + 20_000;
    // Writes until the worker has run for 1.5 s and copied pages only it can have copied (or 20 s
    // pass), watching the WAL meanwhile.
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (Date.now() < deadline && (startedAt === null || Date.now() - startedAt < 1500 || !copiedBeyondSqlite)) {
        const res = await call(server!.url, 'POST', '/api/auth/api-key/create', { cookie: user.cookie, body: { name: `burst ${keys.length}`, scopes: ['user:read'] } });
        expect(res.status).toBe(200);
        keys.push(res.body.data.id);
        if (startedAt === null && threads(server!) > before) startedAt = Date.now();
        const wal = walState(server!.dataDir);
        longest = Math.max(longest, wal.frames);
        // SQLite alone checkpoints at 1000 pages and then starts the WAL over: pages copied out of
        // a WAL twice that long can only be the worker's.
        if (wal.frames > 2000 && wal.backfilled > 1000) copiedBeyondSqlite = true;
      }
    }));
    expect(startedAt).not.toBeNull();
    expect(copiedBeyondSqlite).toBe(true);
    // The request thread's backstop (10,000 pages) bounds the WAL while writes never pause.
    expect(longest).toBeLessThan(12_000);
  }, 40_000);

  it('the worker ends once the server is quiet, and nothing went wrong meanwhile', async () => {
    expect(await until(() => threads(server!) <= before, 20_000)).toBe(true);
    expect(server!.output()).not.toMatch(/checkpoint/i);
    expectNoServerErrors(server!);
  }, 30_000);

  it('a stop leaves a whole database with every acknowledged write in it', async () => {
    const dataDir = server!.dataDir;
    expect(await server!.stop()).toBe(0);
    server = undefined;
    const db = new Database(path.join(dataDir, 'acct.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = db.prepare(`select count(*) as n from api_keys where id in (${keys.map(() => '?').join(',')})`).get(...keys) as { n: number };
      expect(stored.n).toBe(keys.length);
    } finally {
      db.close();
    }
  });
});
