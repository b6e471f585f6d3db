import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { sqliteHandles, type DB } from '../db/database.js';

/**
 * What the credential cache (auth/credential-cache.ts) is checked against: a value that changes
 * whenever something that authentication or the tenant check reads has changed. docs/architecture.md
 * "Credential cache" explains the design and its failure analysis.
 */
export interface AuthEpoch {
  /** What the cache reports itself as (logs, /readyz). */
  readonly name: string;
  /**
   * The epoch now, learned after the request arrived; null when it cannot be known (Redis
   * unreachable or silent, the key missing): the cache is then not trusted for this request.
   */
  read(): string | null | Promise<string | null>;
  /**
   * Called after a change that authentication reads has committed, before the request that made it
   * answers. Never throws: when the change cannot be announced, it returns only once no cache entry
   * anywhere can still predate the change (CACHE_MAX_AGE_MS).
   */
  bump(): Promise<void>;
  /** Stops whatever the epoch keeps running (subscriptions, timers) when the server stops. */
  close?(): Promise<void>;
}

/**
 * The longest any instance trusts a cache entry, whatever the epoch says (monotonic clock, ms):
 * ACCT_CREDENTIAL_CACHE_MAX_AGE_MS's default. Every instance of a deployment must use the same.
 */
export const CACHE_MAX_AGE_MS = 500;
/** Added to CACHE_MAX_AGE_MS when a change could not be announced: timer and scheduling slack. */
export const UNANNOUNCED_MARGIN_MS = 100;

/** Both copies of SQLite's WAL-index header at the start of the -shm file (48 bytes each). */
const WAL_INDEX_HEADERS = 96;

/**
 * SQLite: every change this process makes bumps a counter in memory, and SQLite's own
 * `PRAGMA data_version` changes whenever another connection (another instance on the same file)
 * commits. Both are read on every request, synchronously. (Sharing one read among the requests of
 * an event-loop turn was measured: on a quiet machine the promise and the extra turn cost ~13 µs
 * more per request than the pragma they save, about 1 µs.)
 *
 * The pragma starts a read transaction: two fcntl locks and an fstat, ~2 µs of a ~32 µs `/me`.
 * Every commit on the file, by any connection, rewrites the WAL-index header (its change counter,
 * frame count and checksum) at the start of the -shm file, which all connections share through
 * the page cache. So a request first reads those 96 bytes (one pread, ~0.6 µs): while they equal
 * what they were just before the last pragma, nothing has committed since, and that pragma's
 * answer still holds. Any difference (a commit, this process's own included, or a header caught
 * mid-write) runs the pragma again. Without the -shm file (not opened yet, or not WAL) it always
 * runs the pragma.
 */
export class SqliteEpoch implements AuthEpoch {
  readonly name = 'sqlite data_version';
  private local = 0;
  private readonly handle: { prepare(sql: string): { get(parameters: readonly unknown[]): unknown } };
  private shm: number | null = null;
  private shmTried = false;
  /** The header read just before the last pragma, and what the pragma answered. */
  private readonly seen = Buffer.alloc(WAL_INDEX_HEADERS);
  private readonly now = Buffer.alloc(WAL_INDEX_HEADERS);
  private version: number | null = null;
  /** How many reads ran the pragma (tests). */
  pragmaReads = 0;

  constructor(db: DB, private readonly file?: string) {
    const handle = sqliteHandles.get(db);
    if (!handle) throw new Error('SqliteEpoch needs a SQLite database');
    this.handle = handle;
  }

  read(): string {
    const headerRead = this.readHeader();
    if (headerRead && this.version !== null && this.now.equals(this.seen)) return `${this.local}.${this.version}`;
    // Header first, pragma second: a commit between the two makes the next header differ.
    if (headerRead) this.now.copy(this.seen);
    const row = this.handle.prepare('PRAGMA data_version').get([]) as { data_version: number };
    this.pragmaReads++;
    this.version = headerRead ? row.data_version : null;
    if (this.shm === null) this.openShm();
    return `${this.local}.${row.data_version}`;
  }

  async bump(): Promise<void> {
    this.local++;
  }

  close(): Promise<void> {
    if (this.shm !== null) fs.closeSync(this.shm);
    this.shm = null;
    return Promise.resolve();
  }

  /** The header into `now`; false when there is none to read (the pragma then decides alone). */
  private readHeader(): boolean {
    if (this.shm === null) return false;
    try {
      return fs.readSync(this.shm, this.now, 0, WAL_INDEX_HEADERS, 0) === WAL_INDEX_HEADERS;
    } catch {
      return false;
    }
  }

  /** After the first pragma (which made SQLite create the -shm file), once. */
  private openShm(): void {
    if (this.shmTried || !this.file) return;
    this.shmTried = true;
    try {
      this.shm = fs.openSync(`${this.file}-shm`, 'r');
    } catch {
      this.shm = null;
    }
  }
}

/**
 * Columns whose writes change nothing the cache answers for: when a credential was last used,
 * sliding session expiry (only ever later, and re-read once it nears), sign-in bookkeeping,
 * an organization's or team's own details.
 * An UPDATE that sets only these does not bump the epoch; every other write to AUTH_TABLES does.
 */
const BOOKKEEPING: Record<string, ReadonlySet<string>> = {
  sessions: new Set(['last_seen_at', 'expires_at']),
  api_keys: new Set(['last_used_at', 'last_used_ip']),
  team_keys: new Set(['last_used_at', 'last_used_ip']),
  users: new Set(['last_login_at', 'failed_sign_ins']),
  // Nothing cached holds an organization's or a team's own columns; only their deletion matters.
  organizations: new Set(['name', 'slug', 'plan', 'seats', 'included_credits', 'credit_balance', 'credits_period_start', 'credits_granted', 'created_at', 'updated_at']),
  teams: new Set(['name', 'slug', 'created_at', 'updated_at']),
  oauth_grants: new Set(['last_used_at']),
};

/**
 * Tables authentication and the tenant check read: the credential rows, their owner (user row,
 * organization count), a team key's team, memberships (role), and organizations (their deletion
 * removes memberships by cascade). New credentials (INSERT into a credential table or users)
 * cannot be in any cache, so they bump nothing; new memberships do (the user row carries a count).
 */
const AUTH_TABLES = new Set(['users', 'sessions', 'api_keys', 'team_keys', 'teams', 'memberships', 'organizations', 'oauth_tokens', 'oauth_grants', 'oauth_clients']);
const INSERT_BUMPS = new Set(['memberships', 'organizations']);

function tableName(node: OperationNode | undefined): string | null {
  if (!node) return null;
  const n = node as unknown as { kind: string; node?: OperationNode; table?: { identifier?: { name?: string } } };
  if (n.kind === 'AliasNode') return tableName(n.node);
  if (n.kind === 'TableNode') return n.table?.identifier?.name ?? null;
  return null;
}

function columnName(node: OperationNode): string | null {
  const n = node as unknown as { kind: string; column?: { name?: string } };
  return n.kind === 'ColumnNode' ? (n.column?.name ?? null) : null;
}

/** Whether a statement changes something authentication reads (unknown shapes: yes). */
export function changesAuth(node: RootOperationNode): boolean {
  switch (node.kind) {
    case 'InsertQueryNode': {
      const table = tableName(node.into);
      if (table === null) return true;
      if (!AUTH_TABLES.has(table)) return false;
      return INSERT_BUMPS.has(table) || node.onConflict !== undefined || node.replace === true;
    }
    case 'UpdateQueryNode': {
      const table = tableName(node.table);
      if (table === null || node.from || node.joins) return true;
      if (!AUTH_TABLES.has(table)) return false;
      const free = BOOKKEEPING[table];
      if (!free || !node.updates) return true;
      return node.updates.some((u) => {
        const column = columnName(u.column);
        return column === null || !free.has(column);
      });
    }
    case 'DeleteQueryNode':
      return node.from.froms.some((f) => {
        const table = tableName(f);
        return table === null || AUTH_TABLES.has(table);
      });
    case 'SelectQueryNode':
      return false;
    default:
      // Raw SQL, schema changes, merges: assume the worst.
      return true;
  }
}

/** What a request changed, gathered while it runs (AsyncLocalStorage). */
interface RequestWrites {
  changed: boolean;
  /** The request has answered: a write it still makes (not awaited) is announced on its own. */
  answered: boolean;
}

const writes = new AsyncLocalStorage<RequestWrites>();

/**
 * Runs a request's handling with a record of its writes; `announceChanges` at its end bumps the
 * epoch when it changed something authentication reads. bind (http/bind.ts) wraps every route.
 */
export function trackingWrites<T>(fn: () => Promise<T>): Promise<T> {
  return writes.run({ changed: false, answered: false }, fn);
}

/**
 * Marks the current request as having changed credentials, roles or memberships: the one call to
 * make by hand for a change the plugin below cannot see (none today: every write goes through
 * kysely's query builder). False when there is no request to announce it (outside one, or after
 * it answered).
 */
export function authChanged(): boolean {
  const store = writes.getStore();
  if (!store || store.answered) return false;
  store.changed = true;
  return true;
}

/**
 * The kysely plugin that sees every write: a statement that changes what authentication reads
 * marks its request (authChanged). Writes outside any request, or made by one after it answered
 * (none today), bump the epoch once they ran.
 */
export class AuthWritesPlugin implements KyselyPlugin {
  constructor(private readonly epoch: () => AuthEpoch | null) {}

  /** Statements that changed authentication outside a request's bookkeeping: bumped once they ran. */
  private readonly unannounced = new WeakSet<object>();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (changesAuth(args.node) && !authChanged()) this.unannounced.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.unannounced.has(args.queryId)) {
      this.unannounced.delete(args.queryId);
      await this.epoch()?.bump();
    }
    return args.result;
  }
}

/**
 * Before a request answers: when it changed something authentication reads, bump the epoch, so
 * that the next request on any instance re-reads the database. Never throws.
 */
export async function announceChanges(epoch: AuthEpoch | null | undefined): Promise<void> {
  const store = writes.getStore();
  if (!store) return;
  store.answered = true;
  if (!store.changed) return;
  store.changed = false;
  await epoch?.bump();
}

/**
 * For handlers outside `bind` that write and then answer by themselves (OAuth endpoints, the
 * console's pages): runs `handle` with its writes tracked, and holds the response's end until a
 * change to what authentication reads is announced, so that, as with bind, no answer goes out
 * before every instance's cache is invalidated. (Without this, a write outside any request is
 * announced as soon as its statement ran, which inside a transaction is before its commit.)
 */
export function announcingWrites(epoch: () => AuthEpoch | null | undefined, res: { end: (...args: never[]) => unknown }, handle: () => Promise<void>): Promise<void> {
  return trackingWrites(async () => {
    const end = res.end;
    let announced = false;
    const finish = (): Promise<void> => {
      if (announced) return Promise.resolve();
      announced = true;
      return announceChanges(epoch());
    };
    res.end = ((...args: never[]) => {
      res.end = end;
      void finish().then(() => end.apply(res, args));
      return res;
    }) as typeof res.end;
    try {
      await handle();
    } finally {
      await finish();
    }
  });
}

/** The database with the plugin installed (SQLite keeps its direct handle for prepared reads). */
export function withAuthWrites(db: DB, epoch: () => AuthEpoch | null): DB {
  const tracked = db.withPlugin(new AuthWritesPlugin(epoch));
  const handle = sqliteHandles.get(db);
  if (handle) sqliteHandles.set(tracked, handle);
  return tracked;
}
