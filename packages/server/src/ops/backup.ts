import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../config.js';
import { dialectOf, sqliteFile } from '../db/database.js';

/**
 * `acct-server backup FILE`: an online backup of the SQLite database (consistent while the
 * server keeps running). PostgreSQL deployments use pg_dump.
 */
export async function backupCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig();
  const target = args[0];
  if (!target) {
    err.write('usage: acct-server backup FILE\n');
    return 2;
  }
  if (dialectOf(config) === 'postgres') {
    err.write('backup: DATABASE_URL is PostgreSQL; use pg_dump for it\n');
    return 2;
  }
  const source = sqliteFile(config);
  if (!fs.existsSync(source)) {
    err.write(`backup: no database at ${source}\n`);
    return 1;
  }
  const destination = path.resolve(target);
  if (fs.existsSync(destination)) {
    err.write(`backup: ${destination} exists; choose a new file\n`);
    return 1;
  }
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(destination);
    fs.chmodSync(destination, 0o600);
  } finally {
    db.close();
  }
  out.write(`backed up ${source} to ${destination} (${fs.statSync(destination).size} bytes)\n`);
  return 0;
}
