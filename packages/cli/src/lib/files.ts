import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './errors.js';

/** Creates a directory (and its parents) that only the owner can enter. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir honours the umask and leaves existing dirs alone: set the mode explicitly.
  fs.chmodSync(dir, 0o700);
}

/** Writes a file readable only by its owner, atomically (temp file + rename). */
export function writePrivateFile(file: string, content: string): void {
  ensurePrivateDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/**
 * Reads a file that holds secrets, refusing it when group or others can read or write it
 * (as ssh does with private keys). Null when the file does not exist.
 */
export function readPrivateFile(file: string, what: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new CliError(`refusing to use the ${what} ${file}: its mode is ${mode}, so other users can read it`, 1, `chmod 600 '${file}' (and sign in again if you did not set that mode yourself)`);
  }
  return fs.readFileSync(file, 'utf8');
}
