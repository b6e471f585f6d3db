import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import { withStatementCache } from './statement-cache.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_tenancy.js';

export type DB = Kysely<Database>;

/** Numbered migrations, in order; bundled statically so the single binary carries them. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_tenancy': m0002,
};

class StaticMigrations implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Opens the database the configuration names (SQLite file in the data dir by default). */
export function openDatabase(config: Config): DB {
  if (config.databaseUrl && /^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new Error('DATABASE_URL=postgres://… is not supported by this build yet');
  }
  const file = config.databaseUrl?.startsWith('file:') ? config.databaseUrl.slice(5) : path.join(config.dataDir, 'acct.db');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/** Applies every pending migration; throws if one fails. */
export async function migrate(db: DB): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrations() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
