import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { isSea } from 'node:sea';
import { Worker } from 'node:worker_threads';
import type { Database as SQLiteDatabase } from 'better-sqlite3';
import type { Logger } from 'pino';

/** SQLite's own default: the request thread checkpoints once the WAL holds this many pages. */
const ON_THREAD_PAGES = 1000;
/** With the worker, the request thread checkpoints only if the WAL grows this far (the worker stalled). */
const BACKSTOP_PAGES = 10_000;
const WATCH_MS = 1000;
/** How often the worker looks at the WAL, and how many pages not yet copied make it checkpoint. */
const LOOK_MS = 20;
const CHECKPOINT_PAGES = 500;
/** The worker ends after this many seconds in a row under a quarter of that rate. */
const QUIET_SECONDS = 10;

// CommonJS run with `eval: true`: no file to find beside the bundle. better-sqlite3 is required
// by the path the request thread resolved, so both connections use the same loaded SQLite library
// (two copies of SQLite in one process do not see each other's POSIX locks: SQLite's
// "How To Corrupt" §2.2.1).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
const fs = require('node:fs');
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
// The WAL-index header: mxFrame (offset 16) and nBackfill (96), in native byte order. A checkpoint
// fsyncs twice: only once enough pages wait, as SQLite's own automatic checkpoint does.
const shm = fs.openSync(workerData.file + '-shm', 'r');
const header = Buffer.alloc(100);
const le = require('node:os').endianness() === 'LE';
let failing = false;
let retryAt = 0;
const timer = setInterval(() => {
  try {
    if (fs.readSync(shm, header, 0, 100, 0) === 100) {
      const frames = le ? header.readUInt32LE(16) : header.readUInt32BE(16);
      const copied = le ? header.readUInt32LE(96) : header.readUInt32BE(96);
      if (frames - copied < workerData.pages) return;
    }
    if (failing && Date.now() < retryAt) return;
    db.pragma('wal_checkpoint(PASSIVE)');
    if (failing) parentPort.postMessage({ recovered: true });
    failing = false;
  } catch (err) {
    // Once per spell of failures (a full disk fails every attempt until space is freed).
    if (!failing) parentPort.postMessage({ error: String((err && err.message) || err) });
    failing = true;
    retryAt = Date.now() + 1000;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  fs.closeSync(shm);
  db.close();
  parentPort.close();
});
`;

/**
 * Moves SQLite's WAL checkpoints off the request thread while writes are frequent. A checkpoint
 * in WAL mode with `synchronous = NORMAL` fsyncs the WAL and then the database file: ~5 ms on the
 * benchmark's machine, against ~0.7 ms for copying the pages, and better-sqlite3 runs it inside
 * whichever commit crossed `wal_autocheckpoint` (1000 pages), with the event loop stopped. At
 * ~2,000 token refreshes a second that was a stall every ~125 requests and most of the token
 * endpoint's p99 (docs/benchmarks.md).
 *
 * Once a second the request thread reads how many transactions were committed (the WAL-index
 * header's change counter in the -shm file: one 4-byte read). From 300 a second on
 * (ACCT_SQLITE_CHECKPOINT_WORKER_COMMITS), a worker thread with its own connection looks at the
 * WAL every 20 ms and runs a PASSIVE checkpoint (it waits for no reader or writer) once 500 pages
 * wait to be copied; the request thread keeps only a backstop of 10,000 pages. After 10 s in a row
 * under a quarter of that rate (75 commits a second by default) the worker ends and
 * SQLite's default returns. The worker costs ~14 MB resident while it runs, so a quiet server
 * does not carry it. If it fails, checkpoints stay on the request thread.
 *
 * Not in the single binary: its addon is loaded from an embedded asset that a worker could only
 * load as a second copy of SQLite; there the request thread checkpoints as before
 * (docs/architecture.md "SQLite checkpoints in a worker thread").
 *
 * `startCommitsPerSecond` is config.sqliteCheckpointWorkerCommits. Returns the function that stops
 * watching and the worker (before the request thread's connection closes).
 */
export function startCheckpointer(sqlite: SQLiteDatabase, file: string, logger: Logger, startCommitsPerSecond: number): () => void {
  if (isSea()) return () => undefined;
  let module: string;
  try {
    module = createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return () => undefined;
  }
  const read = os.endianness() === 'LE' ? (b: Buffer) => b.readUInt32LE(0) : (b: Buffer) => b.readUInt32BE(0);
  const header = Buffer.alloc(4);
  let shm: number | null = null;
  let lastCommits: number | null = null;
  let worker: Worker | null = null;
  let broken = false;
  let stopped = false;
  /** The worker was asked to end (quiet, or the server stops): its exit is no failure. */
  let ending = false;
  let quiet = 0;

  /** iChange of the WAL-index header (offset 8 of the -shm file: +1 a commit), or null before the file exists. */
  const commits = (): number | null => {
    try {
      shm ??= fs.openSync(`${file}-shm`, 'r');
      return fs.readSync(shm, header, 0, 4, 8) === 4 ? read(header) : null;
    } catch {
      return null;
    }
  };

  const start = () => {
    let started: Worker;
    try {
      started = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file, intervalMs: LOOK_MS, pages: CHECKPOINT_PAGES }, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 } });
    } catch (err) {
      broken = true;
      logger.warn({ err }, 'could not start the SQLite checkpoint worker: checkpoints run on the request thread');
      return;
    }
    worker = started;
    sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    started.on('message', (m: { error?: string; recovered?: boolean }) => {
      if (m.error) logger.warn({ error: m.error }, 'SQLite checkpoints fail in the worker: retrying every second (the WAL grows meanwhile)');
      else if (m.recovered) logger.info('SQLite checkpoints succeed again');
    });
    started.on('error', (err) => {
      broken = true;
      logger.warn({ err }, 'the SQLite checkpoint worker failed: checkpoints run on the request thread');
    });
    started.on('exit', () => {
      if (worker !== started) return;
      worker = null;
      if (!ending) broken = true;
      ending = false;
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${ON_THREAD_PAGES}`);
    });
    started.unref();
  };

  const watch = setInterval(() => {
    const now = commits();
    if (now === null) return;
    const committed = lastCommits === null ? 0 : (now - lastCommits) >>> 0;
    lastCommits = now;
    const perSecond = (committed * 1000) / WATCH_MS;
    if (!worker) {
      if (!broken && perSecond >= startCommitsPerSecond) start();
      return;
    }
    quiet = perSecond < startCommitsPerSecond / 4 ? quiet + 1 : 0;
    if (quiet >= QUIET_SECONDS && !ending) {
      ending = true;
      quiet = 0;
      worker.postMessage('close');
    }
  }, WATCH_MS);
  watch.unref();

  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(watch);
    if (shm !== null) fs.closeSync(shm);
    ending = true;
    worker?.postMessage('close');
  };
}
