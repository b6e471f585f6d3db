// test-dialects: sqlite — SQLite's epoch (PRAGMA data_version behind the -shm header), in process with a second connection
// What the credential cache checks on SQLite (auth/invalidation.ts SqliteEpoch): a commit by
// another connection (another instance or `acct-server admin` on the same file) changes the epoch
// at the very next read; while nothing commits, reads are answered from the WAL-index header in
// the -shm file without the pragma's read transaction. Across processes the same is asserted
// end to end by scale-out-cache.test.ts (three instances on one file, 500 flips in a row).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const dist = (file: string) => pathToFileURL(path.join(ROOT, 'packages/server/dist', file)).href;
const database = (await import(dist('db/database.js'))) as typeof import('../src/db/database.js');
const { SqliteEpoch } = (await import(dist('auth/invalidation.js'))) as typeof import('../src/auth/invalidation.js');

type Config = Parameters<typeof database.openDatabase>[0];
let dir: string;
let file: string;
let db: Awaited<ReturnType<typeof database.openDatabase>>;
let other: Database.Database;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-epoch-'));
  const config = { dataDir: dir } as Config;
  db = await database.openDatabase(config);
  await database.migrate(db);
  file = database.sqliteFile(config);
  // Another connection to the same file, as another process would have.
  other = new Database(file);
  other.exec('CREATE TABLE IF NOT EXISTS epoch_probe (n INTEGER)');
});

afterAll(async () => {
  other?.close();
  await db?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SqliteEpoch', () => {
  it('answers from the -shm header while nothing commits, and sees another connection\'s commit at the very next read', async () => {
    const epoch = new SqliteEpoch(db, file);
    const first = epoch.read();
    epoch.read(); // learns the header
    const learnt = epoch.pragmaReads;
    for (let i = 0; i < 200; i++) expect(epoch.read()).toBe(first);
    expect(epoch.pragmaReads).toBe(learnt);

    let last = first;
    for (let n = 0; n < 100; n++) {
      other.prepare('INSERT INTO epoch_probe (n) VALUES (?)').run(n);
      const next = epoch.read();
      expect(next, `commit ${n} by the other connection`).not.toBe(last);
      // Nothing committed since: the same answer, without the pragma.
      const pragmas = epoch.pragmaReads;
      expect(epoch.read()).toBe(next);
      expect(epoch.pragmaReads).toBe(pragmas);
      last = next;
    }
    await epoch.close();
  });

  it('after a commit of its own runs the pragma again, and the answer stays (data_version counts other connections only)', async () => {
    const epoch = new SqliteEpoch(db, file);
    const before = epoch.read();
    epoch.read();
    const pragmas = epoch.pragmaReads;
    database.sqliteImmediate(db, (s) => s.run("INSERT INTO epoch_probe (n) VALUES (-1)", []));
    expect(epoch.read()).toBe(before);
    expect(epoch.pragmaReads).toBe(pragmas + 1);
    // A bump (a change this process announces) moves it.
    await epoch.bump();
    expect(epoch.read()).not.toBe(before);
    await epoch.close();
  });

  it('without a -shm file to read, runs the pragma on every read and still sees every commit', async () => {
    const epoch = new SqliteEpoch(db);
    const first = epoch.read();
    for (let i = 0; i < 20; i++) expect(epoch.read()).toBe(first);
    expect(epoch.pragmaReads).toBe(21);
    other.prepare('INSERT INTO epoch_probe (n) VALUES (?)').run(1000);
    expect(epoch.read()).not.toBe(first);
  });
});
