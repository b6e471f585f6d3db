import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import { withStatementCache } from './statement-cache.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_tenancy.js';
import * as m0003 from './migrations/0003_team_keys.js';
import * as m0006 from './migrations/0006_plan_credit_periods.js';

export type DB = Kysely<Database>;

/** Numbered migrations, in order; bundled statically so the single binary carries them. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_tenancy': m0002,
  '0003_team_keys': m0003,
  '0006_plan_credit_periods': m0006,
};

class StaticMigrations implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export type Dialect = 'sqlite' | 'postgres';

/** The better-sqlite3 handle behind a SQLite `DB`, for reads that skip kysely's async driver. */
interface SqliteHandle {
  prepare(sql: string): { all(parameters: readonly unknown[]): unknown[]; get(parameters: readonly unknown[]): unknown };
}
export const sqliteHandles = new WeakMap<DB, SqliteHandle>();

export function dialectOf(config: Pick<Config, 'databaseUrl'>): Dialect {
  return config.databaseUrl && /^postgres(ql)?:\/\//.test(config.databaseUrl) ? 'postgres' : 'sqlite';
}

/** Opens the database the configuration names: SQLite in the data dir by default, or PostgreSQL. */
export async function openDatabase(config: Config): Promise<DB> {
  if (dialectOf(config) === 'postgres') {
    // Loaded only for PostgreSQL: a single-node server never pays for the driver.
    const { default: pg } = await import('pg');
    // COUNT(*) and other int8 results: numbers, as SQLite gives them (our counts fit easily).
    pg.types.setTypeParser(20, (value) => Number(value));
    const pool = new pg.Pool({ connectionString: config.databaseUrl!, max: Number(process.env['ACCT_PG_POOL_SIZE'] ?? 10), connectionTimeoutMillis: 5000 });
    // A dropped connection must not crash the process: the query in flight fails (503) and
    // the next one gets a fresh connection. pg emits 'error' on idle and checked-out clients alike.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  const file = sqliteFile(config);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const cached = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }) });
  sqliteHandles.set(db, cached as unknown as SqliteHandle);
  return db;
}

/** The SQLite file: `file:PATH` in DATABASE_URL, else acct.db in the data dir. */
export function sqliteFile(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  return config.databaseUrl?.startsWith('file:') ? config.databaseUrl.slice(5) : path.join(config.dataDir, 'acct.db');
}

/** Migrations not yet applied. */
export async function pendingMigrations(db: DB): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrations() });
  return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
}

/** Applies every pending migration; throws if one fails. */
export async function migrate(db: DB): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrations() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
