// test-dialects: sqlite — WAL checkpoints are SQLite's; its DATABASE_URL is SQLite whatever the pass
/**
 * While writes are frequent, the server's SQLite checkpoints run in a worker thread
 * (db/checkpointer.ts), not inside a request's commit: the worker starts under a burst of writes,
 * copies the WAL into the database file within moments of the burst (SQLite alone waits for 1000
 * pages), ends once the server is quiet again, and a stop leaves a whole database with every
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

  it('a burst starts the checkpoint worker, which copies the WAL into the database once the burst ends', async () => {
    server = await startServer();
    user = await newUser(server.url);
    before = threads(server);
    const burstEnds = Date.now() + 3000;
    let grew = false;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (Date.now() < burstEnds) {
        const res = await call(server!.url, 'POST', '/api/auth/api-key/create', { cookie: user.cookie, body: { name: `burst ${keys.length}`, scopes: ['user:read'] } });
        expect(res.status).toBe(200);
        keys.push(res.body.data.id);
        if (threads(server!) > before) grew = true;
      }
    }));
    expect(keys.length).toBeGreaterThan(300);
    expect(grew).toBe(true);
    const written = walState(server.dataDir);
    expect(await until(() => walState(server!.dataDir).backfilled >= walState(server!.dataDir).frames, 1000)).toBe(true);
    expect(written.frames).toBeGreaterThan(0);
  });

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
