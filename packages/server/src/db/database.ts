import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, type PostgresPool } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import { startCheckpointer } from './checkpointer.js';
import { withStatementCache } from './statement-cache.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_tenancy.js';
import * as m0003 from './migrations/0003_team_keys.js';
import * as m0004 from './migrations/0004_email_identity.js';
import * as m0005 from './migrations/0005_server_keys.js';
import * as m0006 from './migrations/0006_plan_credit_periods.js';
import * as m0008 from './migrations/0008_oauth.js';
import * as m0009 from './migrations/0009_audit_log.js';
import * as m0010 from './migrations/0010_webhooks.js';
import * as m0011 from './migrations/0011_console.js';
import * as m0013 from './migrations/0013_webhook_relays.js';
import * as m0014 from './migrations/0014_audit_outbox.js';

export type DB = Kysely<Database>;

/** Numbered migrations, in order; bundled statically so the single binary carries them. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_tenancy': m0002,
  '0003_team_keys': m0003,
  '0004_email_identity': m0004,
  '0005_server_keys': m0005,
  '0006_plan_credit_periods': m0006,
  '0008_oauth': m0008,
  '0009_audit_log': m0009,
  '0010_webhooks': m0010,
  '0011_console': m0011,
  '0013_webhook_relays': m0013,
  '0014_audit_outbox': m0014,
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

/** Statements run synchronously on SQLite's connection, prepared once by SQL text (the statement cache). */
export interface SqliteSync {
  get<Row>(sql: string, parameters: readonly unknown[]): Row | undefined;
  /** Runs a write; the number of rows it changed. */
  run(sql: string, parameters: readonly unknown[]): number;
}

/** The better-sqlite3 connection behind a SQLite database, for statements that skip kysely's async driver. */
export interface SqliteWriter extends SqliteSync {
  /** True while a transaction is open on the connection. */
  readonly inTransaction: boolean;
}

interface SqliteConnection extends SqliteWriter {
  immediate<T>(fn: (s: SqliteSync) => T): T;
}
/**
 * Keyed by the kysely adapter, which a database shares with its plugin-wrapped copies and its
 * transactions (a `DB` and its `Transaction` are different objects).
 */
const sqliteConnections = new WeakMap<object, SqliteConnection>();

/**
 * The connection to run a write on directly, when `db` is a transaction on SQLite: the transaction
 * holds kysely's one connection (its mutex) until it ends, so a synchronous write on that
 * connection lands inside it, exactly as the same statement through kysely would. Undefined
 * outside a transaction and on PostgreSQL.
 */
export function sqliteWriterOf(db: DB): SqliteWriter | undefined {
  if (!db.isTransaction) return undefined;
  const connection = sqliteConnections.get(db.getExecutor().adapter);
  return connection?.inTransaction ? connection : undefined;
}

/**
 * Runs `fn` as one synchronous `BEGIN IMMEDIATE … COMMIT` on SQLite's connection, without kysely's
 * asynchronous driver: for a hot write path whose few statements cost less than kysely's building,
 * compiling and awaiting them (the OAuth token endpoint). Nothing else runs on the connection
 * meanwhile (it is all synchronous), and other processes on the same file wait for the write lock
 * as kysely's transactions do. A throw from `fn` rolls everything back and is rethrown.
 *
 * Undefined, without running `fn`, on PostgreSQL and while a kysely transaction is open on the
 * connection (between two of its awaits): the caller then takes its general path.
 */
export function sqliteImmediate<T>(db: DB, fn: (s: SqliteSync) => T): T | undefined {
  const connection = sqliteConnections.get(db.getExecutor().adapter);
  if (!connection || connection.inTransaction) return undefined;
  return connection.immediate(fn);
}

export function dialectOf(config: Pick<Config, 'databaseUrl'>): Dialect {
  return config.databaseUrl && /^postgres(ql)?:\/\//.test(config.databaseUrl) ? 'postgres' : 'sqlite';
}

const POOL_WAIT_MS = 5000;

/** How long a serving process waits on PostgreSQL; unset (migrations, commands): as long as it takes. */
export interface DatabaseTimeouts {
  /** Waiting for a pool connection, or for a new one to open, while PostgreSQL is failing. */
  connectMs: number;
  /**
   * One query gets no answer this long while no other query succeeds either: PostgreSQL is
   * silent, the query fails. A query that is merely slow while others complete (a row-lock wait)
   * runs on, up to `slowQueryMs(queryMs)`, where PostgreSQL cancels it (statement_timeout).
   */
  queryMs: number;
}

/** The longest a query may run while PostgreSQL is otherwise answering. */
export function slowQueryMs(queryMs: number): number {
  return Math.max(10_000, queryMs * 10);
}

/**
 * Opens the database the configuration names: SQLite in the data dir by default, or PostgreSQL.
 * With `timeouts` (the server), a silent PostgreSQL (TCP up, no data) makes a query fail within
 * `queryMs` instead of hanging, and the connection it ran on is thrown away, so the pool heals as
 * soon as the network does (docs/operations.md). With `logger` (the server), SQLite's WAL
 * checkpoints run in a worker thread instead of inside a request's commit (db/checkpointer.ts).
 */
export async function openDatabase(config: Config, timeouts?: DatabaseTimeouts, logger?: Logger): Promise<DB> {
  if (dialectOf(config) === 'postgres') {
    // Loaded only for PostgreSQL: a single-node server never pays for the driver.
    const { default: pg } = await import('pg');
    // COUNT(*) and other int8 results: numbers, as SQLite gives them (our counts fit easily).
    pg.types.setTypeParser(20, (value) => Number(value));
    const pool = new pg.Pool({
      connectionString: config.databaseUrl!,
      max: Number(process.env['ACCT_PG_POOL_SIZE'] ?? 10),
      // A busy but healthy pool may queue a burst this long; while PostgreSQL is failing, the
      // DeadlinePool gives up on the wait after `connectMs` instead.
      connectionTimeoutMillis: POOL_WAIT_MS,
      // A peer that vanished without a FIN/RST is found by the kernel, not by a query that hangs.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      ...(timeouts
        ? {
            statement_timeout: slowQueryMs(timeouts.queryMs),
            // A transaction whose client went silent must not hold its row locks for long.
            idle_in_transaction_session_timeout: slowQueryMs(timeouts.queryMs),
          }
        : {}),
    });
    // A dropped connection must not crash the process: the query in flight fails (503) and
    // the next one gets a fresh connection. pg emits 'error' on idle and checked-out clients alike.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: timeouts ? (new DeadlinePool(pool, timeouts, commitPipeline(pg.Query as unknown as PgQueryClass)) as unknown as PostgresPool) : pool }) });
  }
  const file = sqliteFile(config);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // TEMP tables and statement journals in memory, not in files under /tmp: the audit flush's
  // batch (`temp.audit_moving`, at most 1,000 rows) and the journal of its multi-row inserts, which
  // SQLite wrote to a temp file once past 64 KiB: ~1.5 µs of each audited write's share of the
  // flush (docs/benchmarks.md "Session 17").
  sqlite.pragma('temp_store = MEMORY');
  const cached = withStatementCache(sqlite, logger ? startCheckpointer(sqlite, file, logger, config.sqliteCheckpointWorkerCommits) : undefined);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }) });
  sqliteHandles.set(db, cached as unknown as SqliteHandle);
  const statement = (text: string) => cached.prepare(text) as unknown as import('better-sqlite3').Statement;
  const connection: SqliteConnection = {
    get inTransaction() {
      return sqlite.inTransaction;
    },
    get: <Row>(text: string, parameters: readonly unknown[]) => statement(text).get(parameters) as Row | undefined,
    run: (text, parameters) => statement(text).run(parameters).changes,
    immediate: <T>(fn: (s: SqliteSync) => T) => sqlite.transaction(() => fn(connection)).immediate(),
  };
  sqliteConnections.set(db.getExecutor().adapter, connection);
  return db;
}

type PgPool = import('pg').Pool;
type PgPoolClient = import('pg').PoolClient;

/** A query failure that says the connection itself is unusable (timed out, cut, protocol lost). */
function connectionLost(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code?.startsWith('08') || code === '57P01') return true;
  return /Connection terminated|not queryable|Client has encountered a connection error/i.test(message ?? '');
}

/**
 * pg's pool as kysely sees it, with a deadline on every query. A query that gets no answer within
 * `queryMs` fails with ETIMEDOUT (503 UNAVAILABLE), and the connection it ran on is destroyed when
 * released instead of going back to the pool: after a silence its protocol state is unknown, and a
 * pool of such connections would answer nothing until a restart.
 */
class DeadlinePool {
  private readonly clients = new WeakMap<PgPoolClient, DeadlineClient>();
  /** The last query that failed for want of PostgreSQL, and the last that succeeded (ms). */
  private lastFailure = 0;
  lastSuccess = 0;
  constructor(
    private readonly pool: PgPool,
    private readonly timeouts: DatabaseTimeouts,
    private readonly CommitWithRiders: ReturnType<typeof commitPipeline>,
  ) {}

  /**
   * A pool connection. While PostgreSQL is healthy a burst may queue for one up to POOL_WAIT_MS
   * (a slow answer beats a 503); while the last outcome was a timeout or a lost connection, a wait
   * is cut once it passed `connectMs`, so a silent PostgreSQL answers 503 fast instead of queueing.
   */
  async connect(): Promise<DeadlineClient> {
    const started = Date.now();
    const pending = this.pool.connect();
    pending.catch(() => this.outcome(false));
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<never>((_resolve, reject) => {
      timer = setInterval(() => {
        if (Date.now() - started >= this.timeouts.connectMs && this.lastFailure > this.lastSuccess) reject(TIMED_OUT);
      }, Math.max(50, Math.floor(this.timeouts.connectMs / 4)));
    });
    let client: PgPoolClient;
    try {
      client = await Promise.race([pending, givenUp]);
    } catch (err) {
      if (err !== TIMED_OUT) throw err;
      // The connection may still come: give it back to the pool then.
      pending.then((late) => late.release(), () => undefined);
      throw Object.assign(new Error(`no database connection within ${this.timeouts.connectMs} ms while the database is failing`), { code: 'ETIMEDOUT' });
    } finally {
      clearInterval(timer);
    }
    let wrapped = this.clients.get(client);
    if (!wrapped) this.clients.set(client, (wrapped = new DeadlineClient(client, this.timeouts.queryMs, this, this.CommitWithRiders)));
    return wrapped;
  }

  /** What a query told about PostgreSQL's health. */
  outcome(ok: boolean): void {
    if (ok) this.lastSuccess = Date.now();
    else this.lastFailure = Date.now();
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  /** kysely passes them to the control client it cancels queries with. */
  get options(): object {
    return this.pool.options;
  }

  get Client() {
    return (this.pool as unknown as { Client: unknown }).Client;
  }
}

const TIMED_OUT = Symbol('timed out');

/** Statement texts PostgreSQL runs as named prepared statements (see `preparedOnPostgres`), with their names. */
const NAMED_STATEMENTS = new Map<string, string>();

/**
 * Runs `sql` on PostgreSQL as a named prepared statement: each pooled connection parses and plans
 * it once, then only binds and executes it (pg keeps the names per connection). For fixed texts
 * on hot write paths (the audit row and the outbox, in every audited write), whose parse and plan
 * cost PostgreSQL more than running them. Not for texts built from variable lists: every text is a
 * statement kept by every connection. Returns `sql`.
 */
export function preparedOnPostgres(sql: string): string {
  return named(sql, 'acct_');
}

/** Registers `sql` as a named statement (the prefix, then a hash of the text); returns `sql`. */
function named(sql: string, prefix: string): string {
  if (!NAMED_STATEMENTS.has(sql)) NAMED_STATEMENTS.set(sql, `${prefix}${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
  return sql;
}

/** Marks a statement that may ride with its transaction's COMMIT (`withCommitOnPostgres`). */
const WITH_COMMIT = '/* acct:with-commit */ ';

/**
 * Lets a write inside a PostgreSQL transaction travel with the transaction's COMMIT instead of
 * costing a round trip of its own: the audit outbox row of every audited change (audit.ts), one
 * round trip being about a sixth of a small transaction's CPU (docs/benchmarks.md "Audit log and
 * webhook outbox"). The statement is held by the connection and sent, as a named prepared
 * statement, in the same pipeline as the COMMIT (Bind, Execute; then the COMMIT; one Sync: one
 * round trip); PostgreSQL parses and plans it once per connection, not once per change. A
 * connection that has not prepared it yet runs it first as an ordinary named statement (once per
 * pooled connection). If it fails, PostgreSQL skips the COMMIT and the transaction rolls back, so
 * the change goes with it, exactly as if it had run first. Outside a transaction, or with a
 * parameter that is not a string, a finite number or null, it runs at once as an ordinary
 * statement. Nothing may read what it writes before the commit; its answer reports one row.
 */
export function withCommitOnPostgres(sql: string): string {
  return named(WITH_COMMIT + sql, 'acct_c_');
}

/**
 * An INSERT of one row into `table` whose result nobody reads, for the rows of hot writes (the
 * audit outbox row of every audited change, a debit's ledger entry, a new project). Inside a
 * transaction on PostgreSQL it rides with the COMMIT (withCommitOnPostgres): no round trip of its
 * own, and none inside the window where the write holds a lock others wait on (the organization's
 * balance row; docs/benchmarks.md "Session 15"). Inside a transaction on SQLite it runs on the
 * transaction's own connection (sqliteWriterOf: kysely's async driver costs more than such an
 * insert). Elsewhere it runs at once.
 */
export function insertWithCommit<T extends keyof Database & string>(table: T, columns: readonly (keyof Database[T] & string)[]): (db: DB, values: unknown[]) => Promise<void> {
  const list = columns.join(', ');
  const sqlite = `INSERT INTO ${table} (${list}) VALUES (${columns.map(() => '?').join(', ')})`;
  const postgres = withCommitOnPostgres(`INSERT INTO ${table} (${list}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`);
  return async (db, values) => {
    const direct = sqliteWriterOf(db);
    if (direct) {
      direct.run(sqlite, values);
      return;
    }
    await db.executeQuery(CompiledQuery.raw(db.getExecutor().adapter instanceof PostgresAdapter ? postgres : sqlite, values));
  };
}

/** A statement held for the COMMIT: its name, its text and its parameters as the wire carries them. */
interface Rider {
  name: string;
  text: string;
  values: (string | null)[];
}

/** The parameters as text for Bind, or null when one is not a string, a finite number or null. */
function riderValues(parameters: readonly unknown[]): (string | null)[] | null {
  const values: (string | null)[] = [];
  for (const p of parameters) {
    if (p === null || typeof p === 'string') values.push(p);
    else if (typeof p === 'number' && Number.isFinite(p)) values.push(String(p));
    else return null;
  }
  return values;
}

/** What the pipeline needs of pg's connection (pg/lib/connection.js). */
interface PgWire {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  parse(query: { text: string; name?: string }): void;
  bind(config: { statement?: string; values?: (string | null)[] }): void;
  execute(config: object): void;
  sync(): void;
}

type QueryCallback = (err: Error | null, result: unknown) => void;
type PgQueryClass = new (text: string, values: undefined, callback: QueryCallback) => object;

/**
 * pg's Query, submitting Bind + Execute of each prepared rider, then the COMMIT, and one Sync: the
 * backend answers BindComplete and CommandComplete for each, then the COMMIT's, then ReadyForQuery,
 * which pg's Query collects as it does a multi-statement query's results (the last is the COMMIT's).
 * After an error the backend skips everything up to the Sync: no COMMIT ran.
 */
function commitPipeline(Query: PgQueryClass) {
  return class CommitWithRiders extends Query {
    constructor(private readonly riders: Rider[], callback: QueryCallback) {
      super('commit', undefined, callback);
    }

    submit(connection: PgWire): null {
      connection.stream.cork?.();
      try {
        for (const rider of this.riders) {
          connection.bind({ statement: rider.name, values: rider.values });
          connection.execute({});
        }
        connection.parse({ text: 'commit' });
        connection.bind({});
        connection.execute({});
        connection.sync();
      } finally {
        connection.stream.uncork?.();
      }
      return null;
    }
  };
}

class DeadlineClient {
  private broken = false;
  private inTransaction = false;
  /** Statements waiting to ride with this transaction's COMMIT. */
  private riders: Rider[] = [];
  constructor(
    private readonly client: PgPoolClient,
    private readonly queryMs: number,
    private readonly health: { outcome(ok: boolean): void; readonly lastSuccess: number },
    private readonly CommitWithRiders: ReturnType<typeof commitPipeline>,
  ) {
    client.on('error', () => (this.broken = true));
  }

  /** kysely reads it to cancel a query by backend pid. */
  get processID(): number | undefined {
    return (this.client as unknown as { processID?: number }).processID;
  }

  async query(sql: string, parameters: readonly unknown[]): Promise<never> {
    // After a timeout the connection's state is unknown (a ROLLBACK would queue behind the silent
    // query and wait out another deadline): refuse at once, it is destroyed on release.
    if (this.broken) throw Object.assign(new Error('database connection discarded after a timeout or a connection error'), { code: 'ETIMEDOUT' });
    if (this.inTransaction && sql.startsWith(WITH_COMMIT)) {
      const values = riderValues(parameters);
      if (values !== null) {
        this.riders.push({ name: NAMED_STATEMENTS.get(sql)!, text: sql, values });
        return { command: 'INSERT', rowCount: 1, rows: [] } as never;
      }
    }
    const ending = sql === 'commit' || sql === 'rollback';
    if (ending) {
      const riders = sql === 'commit' ? this.riders : [];
      this.riders = [];
      this.inTransaction = false;
      if (riders.length > 0) return this.commitWith(riders);
    }
    const result = await this.run(sql, parameters);
    if (sql === 'begin' || sql.startsWith('start transaction')) this.inTransaction = true;
    return result;
  }

  /** The COMMIT with its riders in one pipeline; a rider this connection has not prepared yet runs first, as a named statement. */
  private async commitWith(riders: Rider[]): Promise<never> {
    const prepared = (this.client as unknown as { connection: PgWire }).connection.parsedStatements;
    const ready: Rider[] = [];
    for (const rider of riders) {
      if (prepared[rider.name] === rider.text) ready.push(rider);
      else await this.run(rider.text, rider.values);
    }
    if (ready.length === 0) return this.run('commit', []);
    const results = (await this.withDeadline(new Promise((resolve, reject) => {
      this.client.query(new this.CommitWithRiders(ready, (err, result) => (err ? reject(err) : resolve(result))) as never);
    }))) as unknown;
    // The COMMIT's result is the last (kysely reads ROLLBACK there).
    return (Array.isArray(results) ? results.at(-1) : results) as never;
  }

  private run(sql: string, parameters: readonly unknown[]): Promise<never> {
    const name = NAMED_STATEMENTS.get(sql);
    return this.withDeadline(name ? this.client.query({ name, text: sql, values: parameters as unknown[] }) : this.client.query(sql, parameters as unknown[]));
  }

  private async withDeadline(pending: Promise<unknown>): Promise<never> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      // Timers run before pending I/O: a busy event loop would time out an answer that already
      // arrived. setImmediate runs after I/O, so the answer, if it is there, wins.
      const started = Date.now();
      const check = (delay: number) => {
        timer = setTimeout(() => setImmediate(() => {
          // Another query succeeded lately (since this one started, within the last queryMs):
          // PostgreSQL is alive and this one is slow, not silent.
          const alive = this.health.lastSuccess > Math.max(started, Date.now() - this.queryMs);
          if (alive && Date.now() - started < slowQueryMs(this.queryMs)) check(Math.max(50, Math.floor(this.queryMs / 4)));
          else reject(TIMED_OUT);
        }), delay);
      };
      check(this.queryMs);
    });
    try {
      const result = (await Promise.race([pending, deadline])) as never;
      this.health.outcome(true);
      return result;
    } catch (err) {
      const { code } = (err ?? {}) as { code?: string };
      // 57014: PostgreSQL cancelled it (statement_timeout); the connection itself is fine.
      if (err === TIMED_OUT || connectionLost(err)) this.broken = true;
      if (err === TIMED_OUT || code === '57014' || connectionLost(err)) this.health.outcome(false);
      if (err === TIMED_OUT || code === '57014') throw Object.assign(new Error('database query timed out'), { code: 'ETIMEDOUT', cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  release(destroy?: boolean): void {
    this.riders = [];
    this.inTransaction = false;
    const discard = Boolean(destroy) || this.broken;
    this.client.release(discard ? new Error('connection discarded after a timeout or a connection error') : undefined);
  }
}

/** The SQLite file: `file:PATH` in DATABASE_URL, else acct.db in the data dir. */
export function sqliteFile(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  return config.databaseUrl?.startsWith('file:') ? config.databaseUrl.slice(5) : path.join(config.dataDir, 'acct.db');
}

/** The directory the SQLite database writes to (its disk can fill up); null on PostgreSQL. */
export function storageDir(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string | null {
  return dialectOf(config) === 'sqlite' ? path.dirname(sqliteFile(config)) : null;
}

/** Below this much free space where SQLite writes, /readyz reports the disk full. */
export const MIN_FREE_BYTES = 1024 * 1024;

/** Free bytes on the disk holding `dir` (for an unprivileged process), or null when it cannot tell. */
export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const stats = await fs.promises.statfs(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
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
