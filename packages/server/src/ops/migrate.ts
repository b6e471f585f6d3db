import { loadConfig } from '../config.js';
import { dialectOf, migrate, openDatabase } from '../db/database.js';

/** `acct-server migrate`: applies pending migrations and exits. */
export async function migrateCommand(out: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    out.write(applied.length ? `applied ${applied.join(', ')} (${dialectOf(config)})\n` : `database is up to date (${dialectOf(config)})\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}
