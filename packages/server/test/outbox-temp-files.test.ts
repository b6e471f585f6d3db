// test-dialects: sqlite — SQLite's temporary files, in process (the bytes this process writes, from /proc/self/io)
/**
 * A flush of the audit outbox on SQLite writes its WAL frames and nothing else. Its batch passes
 * through a TEMP table and its multi-row inserts keep a statement journal (the pages they change,
 * to undo a statement that fails half-way); SQLite held both in temporary files, and wrote that
 * journal to one once it passed 64 KiB (each page the inserts reused from the outbox's delete), a
 * write and a syscall per page of every flush. With `temp_store = MEMORY` (db/database.ts) they
 * stay in the connection's memory (docs/benchmarks.md "Session 17").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const dist = (file: string) => pathToFileURL(path.join(ROOT, 'packages/server/dist', file)).href;
const database = (await import(dist('db/database.js'))) as typeof import('../src/db/database.js');
const outbox = (await import(dist('audit/outbox.js'))) as typeof import('../src/audit/outbox.js');

type Config = Parameters<typeof database.openDatabase>[0];
let dir: string;
let file: string;
let db: Awaited<ReturnType<typeof database.openDatabase>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-temp-files-'));
  const config = { dataDir: dir } as Config;
  db = await database.openDatabase(config);
  await database.migrate(db);
  file = database.sqliteFile(config);
});

afterAll(async () => {
  await db?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Bytes this process has passed to write(2), pwrite(2) and the like since it started. */
const written = () => Number(/^wchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))![1]);

/** Frames in the WAL (the WAL-index header's mxFrame, offset 16 of the -shm file, native byte order). */
function walFrames(): number {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(`${file}-shm`, 'r');
  try {
    fs.readSync(fd, header, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  return os.endianness() === 'LE' ? header.readUInt32LE(16) : header.readUInt32BE(16);
}

describe('a flush on SQLite', () => {
  it('writes its WAL frames and not one byte more: no temporary file for its TEMP table or its statement journals', async () => {
    const N = 1000;
    const columns = [...outbox.AUDIT_COLUMNS, 'event'];
    const detail = JSON.stringify({ name: `Page filler ${'x'.repeat(500)}` });
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < N; i++) {
        const id = `01TEMPFILES${String(i).padStart(15, '0')}`;
        const row = [id, new Date(1_800_000_000_000 + i).toISOString(), null, null, 'anonymous', null, null, null, 'test.temp_files', 'success', null, null, '127.0.0.1', null, null, detail, null];
        await sql`INSERT INTO audit_outbox (${sql.raw(columns.join(', '))}) VALUES (${sql.join(row)})`.execute(trx);
      }
    });
    const outboxPages = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM dbstat WHERE name = 'audit_outbox'`.execute(db)).rows[0]!.n);
    // Past the 64 KiB at which SQLite used to move a statement journal into a file.
    expect(outboxPages * 4096).toBeGreaterThan(4 * 65_536);
    // An empty WAL, far below the automatic checkpoint (1,000 pages): the flush's commit appends
    // frames to it and writes nothing to the database file.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    expect(walFrames()).toBe(0);

    outbox.markAuditPending();
    const before = written();
    expect(await outbox.flushAuditOutbox(db)).toBe(N);
    const bytes = written() - before;
    const frames = walFrames();

    expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM audit_entries WHERE action = 'test.temp_files'`.execute(db)).rows[0]!.n)).toBe(N);
    expect(frames).toBeGreaterThan(outboxPages);
    expect(frames).toBeLessThan(1000);
    // Each frame: a 24-byte header and the page; the first write of a WAL adds its 32-byte header.
    expect(bytes).toBe(32 + frames * (24 + 4096));
  });
});
