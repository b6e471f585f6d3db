import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePrivateDir } from './files.js';

/** A holder that has kept the lock this long is taken over (a refresh is one HTTP request; the transport gives up well before). */
export const STALE_LOCK_MS = 30_000;
/** How often a waiting process looks again. */
const POLL_MS = 25;

interface Holder { pid: number; host: string; nonce: string; at: number }

function readHolder(file: string): Holder | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
  } catch {
    // Gone, or being written this instant (an empty file): judged by its age alone.
    return null;
  }
}

/** Whether the recorded holder is a process of this machine that no longer runs. */
function holderDied(holder: Holder | null): boolean {
  if (!holder || holder.host !== os.hostname() || !Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `fn` holding an exclusive lock between processes: a file created with O_EXCL (`wx`),
 * which every local file system makes atomic, holding the holder's pid, host and a nonce. A lock
 * whose holder died (same host) or that is older than `staleMs` is taken over; before removing
 * it the file is read again and removed only if it is still the one judged stale, so two waiters
 * taking over at once do not remove each other's new lock (one then wins the `wx` create).
 * Released in `finally`, only if it is still ours.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: { staleMs?: number; now?: () => number } = {}): Promise<T> {
  const staleMs = opts.staleMs ?? STALE_LOCK_MS;
  const now = opts.now ?? Date.now;
  ensurePrivateDir(path.dirname(file));
  const me: Holder = { pid: process.pid, host: os.hostname(), nonce: crypto.randomBytes(12).toString('hex'), at: now() };
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify({ ...me, at: now() }));
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue; // released meanwhile
    }
    const holder = readHolder(file);
    if (holderDied(holder) || now() - stat.mtimeMs > staleMs) {
      const again = readHolder(file);
      if (JSON.stringify(again) === JSON.stringify(holder)) fs.rmSync(file, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  try {
    return await fn();
  } finally {
    if (readHolder(file)?.nonce === me.nonce) fs.rmSync(file, { force: true });
  }
}

/** The lock serialising refreshes of one host's web sign-in, next to config.json. */
export function refreshLockFile(configDir: string, origin: string): string {
  return path.join(configDir, `oauth-refresh-${crypto.createHash('sha256').update(origin).digest('hex').slice(0, 16)}.lock`);
}
