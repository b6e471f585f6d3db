import { CompiledQuery, PostgresAdapter } from 'kysely';
import type { Logger } from 'pino';
import { preparedOnPostgres, sqliteImmediate, type DB } from '../db/database.js';

/**
 * The audit outbox: every audited change writes one row to `audit_outbox` in its own transaction
 * (audit.ts `record`); this moves those rows, in batches, into the indexed `audit_entries` and,
 * for webhook events, into `webhook_deliveries` (one delivery per enabled endpoint of the
 * organization that subscribes to the event and existed when it happened). `audit_log`, a view of
 * both tables, shows a row from the moment its change commits; deliveries appear within one
 * flush interval (ACCT_AUDIT_FLUSH_MS) or at once for whoever reads them (the delivery worker,
 * the deliveries list, relay polls call `flushAuditOutbox` first).
 *
 * Why: the two rows used to go straight into their indexed tables, which made every audited
 * write dirty eight more B-tree pages in its commit (docs/benchmarks.md "Audit log and webhook
 * outbox"); the outbox row touches one, and a batch of rows shares the pages of the others.
 */

/** Rows moved per transaction. */
const BATCH = 1000;

/** The audit row's columns, in `audit_entries` and `audit_outbox` alike (the outbox adds `event`). */
export const AUDIT_COLUMNS = [
  'id', 'created_at', 'organization_id', 'user_id', 'actor_type', 'actor_id', 'credential_kind', 'credential_id',
  'action', 'outcome', 'target_type', 'target_id', 'ip', 'user_agent', 'request_id', 'detail',
] as const;
const COLUMNS = AUDIT_COLUMNS.join(', ');

/** The deliveries of the rows `WHERE …` selects: the delivery id is the event's (the audit row's) ULID and the endpoint's id. */
const deliveriesSql = (from: string, batch: string, contains: (haystack: string, needle: string) => string) =>
  `INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
   SELECT o.id || '_' || e.id, e.id, o.organization_id, 'msg_' || o.id, o.action, o.event, 'pending', 0, o.created_at, o.created_at
   FROM ${from} o JOIN webhook_endpoints e ON e.organization_id = o.organization_id
   WHERE ${batch} o.event IS NOT NULL AND e.enabled = 1 AND e.created_at <= o.created_at AND ${contains('e.events', `'"' || o.action || '"'`)}`;

/**
 * SQLite: each batch is first taken out of the outbox into a TEMP table (the connection's own,
 * held in its page cache, gone with the process) and deleted, and only then copied into
 * `audit_entries` and `webhook_deliveries`, so the outbox pages the delete frees are the pages
 * those inserts take. Deleted last (as it was), they stayed on the freelist for the requests after
 * the flush: a B-tree split that takes a freelist page numbered below its sibling swaps the two
 * through a page number far past the end of the file, and the commit after such a swap walks the
 * whole page cache (16 MB, ~4,000 pages) to drop it: ~5 µs of every project creation
 * (docs/benchmarks.md "Session 16").
 */
const MOVING = 'temp.audit_moving';
const SQLITE = {
  // Columns without a type (no affinity): values go in and come out exactly as the outbox held them.
  moving: `CREATE TEMP TABLE IF NOT EXISTS audit_moving (seq INTEGER PRIMARY KEY, ${COLUMNS}, event)`,
  last: `SELECT max(seq) AS last FROM (SELECT seq FROM audit_outbox ORDER BY seq LIMIT ${BATCH})`,
  take: `INSERT INTO ${MOVING} (seq, ${COLUMNS}, event) SELECT seq, ${COLUMNS}, event FROM audit_outbox WHERE seq <= ?`,
  remove: 'DELETE FROM audit_outbox WHERE seq <= ?',
  entries: `INSERT INTO audit_entries (${COLUMNS}) SELECT ${COLUMNS} FROM ${MOVING} ORDER BY seq`,
  // `instr`, not LIKE with a parameter: SQLite re-prepares such a statement on every bind.
  deliveries: deliveriesSql(MOVING, '', (h, n) => `instr(${h}, ${n}) > 0`),
  clear: `DELETE FROM ${MOVING}`,
};

/**
 * PostgreSQL: one statement per batch. Several instances flush at once: each takes rows no other
 * holds (FOR UPDATE SKIP LOCKED) and deletes them as it moves them, so each row moves exactly once.
 * A flush before a read (`flushBeforeReading`) waits for the rows another flush holds instead of
 * skipping them (FOR UPDATE): once it returns, every event committed before it is a delivery, not
 * half of them with the rest still in another flush's open transaction.
 */
const postgresFlush = (lock: string) => preparedOnPostgres(`WITH moved AS (
    DELETE FROM audit_outbox WHERE seq IN (SELECT seq FROM audit_outbox ORDER BY seq LIMIT ${BATCH} ${lock})
    RETURNING ${COLUMNS}, event),
  entries AS (INSERT INTO audit_entries (${COLUMNS}) SELECT ${COLUMNS} FROM moved),
  deliveries AS (${deliveriesSql('moved', '', (h, n) => `strpos(${h}, ${n}) > 0`)})
  SELECT count(*)::int AS moved FROM moved`);
const POSTGRES = { skip: postgresFlush('FOR UPDATE SKIP LOCKED'), wait: postgresFlush('FOR UPDATE') };

/**
 * PostgreSQL: every row a flush moves leaves a dead tuple in the outbox's heap. Until a VACUUM
 * marks that space free, new rows mostly go to new pages at the end: the heap grew with every row
 * written (9.5 MB after 13,000 project creations with 400 rows live), and each flush, which reads
 * the outbox in full, read all of it, a cost per audited write that grew with the server's age
 * (docs/benchmarks.md "Session 17"). autovacuum would get to it within a minute when it is on (it
 * may be off, and a minute is ~40,000 rows at the bench's rate); the flusher vacuums the outbox
 * itself once rows have moved and this long has passed. SKIP_LOCKED: while another instance
 * vacuums it, this one does not wait. TRUNCATE false: a vacuum that finds empty pages at the end
 * of the heap would otherwise give them back to the file system under an ACCESS EXCLUSIVE lock,
 * which every audited write waits behind (they insert into this table), after retrying for that
 * lock for up to seconds while the flushes queue behind it, only for the next writes to extend the
 * file again; the outbox's own steady size is the space to keep.
 */
const VACUUM_MS = 1000;
const VACUUM = 'VACUUM (SKIP_LOCKED, TRUNCATE false) audit_outbox';
/** Rows this process moved out of the outbox on PostgreSQL since its last vacuum. */
let movedSinceVacuum = 0;

/** Set by every audited write in this process: the flush timer has something to move. */
let pending = true;

/** An audited write happened (or may have, in a transaction that could still roll back). */
export function markAuditPending(): void {
  pending = true;
}

/**
 * Moves what waits in the outbox, batch after batch; returns how many rows moved. On SQLite it
 * does nothing while this process wrote nothing since the last flush (the only writer). On
 * PostgreSQL it skips rows another flush holds, unless `waitForOthers` (before a read).
 */
export async function flushAuditOutbox(db: DB, waitForOthers = false): Promise<number> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (!postgres && !pending) return 0;
  pending = false;
  let moved = 0;
  try {
    for (;;) {
      const n = postgres ? await flushPostgres(db, waitForOthers) : await flushSqlite(db);
      moved += n;
      if (n < BATCH) return moved;
    }
  } catch (err) {
    // Nothing is lost: the rows stay in the outbox (and in the audit_log view) for the next flush.
    pending = true;
    throw err;
  }
}

/**
 * Before reading deliveries (their list, a relay's poll): the events of changes that just
 * committed become deliveries now rather than at the next flush. A flush that fails does not fail
 * the read (it only lacks the newest deliveries); the timer tries again.
 */
export async function flushBeforeReading(db: DB, logger: Logger): Promise<void> {
  await flushAuditOutbox(db, true).catch((err: unknown) => logger.warn({ err }, 'audit outbox: flush before a read failed; the timer retries'));
}

async function flushPostgres(db: DB, waitForOthers: boolean): Promise<number> {
  const result = await db.executeQuery<{ moved: number }>(CompiledQuery.raw(waitForOthers ? POSTGRES.wait : POSTGRES.skip, []));
  const moved = result.rows[0]?.moved ?? 0;
  movedSinceVacuum += moved;
  return moved;
}

/** PostgreSQL: vacuums the outbox if this process moved rows out of it since it last did. */
async function vacuumAuditOutbox(db: DB): Promise<void> {
  if (movedSinceVacuum === 0 || !(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  const moved = movedSinceVacuum;
  movedSinceVacuum = 0;
  try {
    // Outside any transaction (VACUUM cannot run in one): a pooled connection of its own.
    await db.executeQuery(CompiledQuery.raw(VACUUM, []));
  } catch (err) {
    movedSinceVacuum += moved;
    throw err;
  }
}

/** One batch's statements after SQLITE.last, in order, with their parameters. */
const sqliteSteps = (last: number): [string, unknown[]][] => [
  [SQLITE.moving, []], [SQLITE.take, [last]], [SQLITE.remove, [last]], [SQLITE.entries, []], [SQLITE.deliveries, []], [SQLITE.clear, []],
];
/** The step whose count is the batch's: the delete from the outbox. */
const REMOVED = 2;

async function flushSqlite(db: DB): Promise<number> {
  // One synchronous transaction on the connection; between two awaits of a kysely transaction
  // (the connection busy), through kysely instead.
  const direct = sqliteImmediate(db, (s) => {
    const last = s.get<{ last: number | null }>(SQLITE.last, [])?.last;
    return last == null ? 0 : sqliteSteps(last).map(([sql, parameters]) => s.run(sql, parameters))[REMOVED]!;
  });
  if (direct !== undefined) return direct;
  return db.transaction().execute(async (trx) => {
    const last = (await trx.executeQuery<{ last: number | null }>(CompiledQuery.raw(SQLITE.last, []))).rows[0]?.last;
    if (last == null) return 0;
    const changes: number[] = [];
    for (const [sql, parameters] of sqliteSteps(last)) changes.push(Number((await trx.executeQuery(CompiledQuery.raw(sql, parameters))).numAffectedRows ?? 0));
    return changes[REMOVED]!;
  });
}

/** How often the flusher looks in the outbox even though this process wrote nothing (rows another process left, e.g. `acct-server admin`). */
const LOOK_ANYWAY_MS = 5000;

/** Flushes every `everyMs` (ACCT_AUDIT_FLUSH_MS), and once more when stopped; on PostgreSQL vacuums the outbox every VACUUM_MS while rows move. */
export class AuditFlusher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private lastLook = 0;
  private lastVacuum = 0;

  constructor(private readonly db: DB, private readonly everyMs: number, private readonly logger: Logger) {}

  start(): void {
    this.timer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastLook >= LOOK_ANYWAY_MS) {
        this.lastLook = now;
        pending = true;
      }
      this.running = this.running.then(() => flushAuditOutbox(this.db)).catch((err: unknown) => {
        this.logger.warn({ err }, 'audit outbox: flush failed; retrying');
      });
      if (now - this.lastVacuum >= VACUUM_MS) {
        this.lastVacuum = now;
        this.running = this.running.then(() => vacuumAuditOutbox(this.db)).catch((err: unknown) => {
          this.logger.warn({ err }, 'audit outbox: vacuum failed; retrying');
        });
      }
    }, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await flushAuditOutbox(this.db).catch((err: unknown) => this.logger.warn({ err }, 'audit outbox: last flush failed; the rows move at the next start'));
  }
}
