import { PostgresAdapter, sql, type Kysely } from 'kysely';

const COLUMNS = [
  'id', 'created_at', 'organization_id', 'user_id', 'actor_type', 'actor_id', 'credential_kind', 'credential_id',
  'action', 'outcome', 'target_type', 'target_id', 'ip', 'user_agent', 'request_id', 'detail',
].join(', ');

/**
 * The audit outbox (docs/architecture.md "Audit rows and events: one outbox row per change"): an
 * audited change writes one row, in its own transaction, to `audit_outbox`, a table with no index
 * at all (SQLite: its rowid tree; PostgreSQL: a heap); within moments the server moves the rows,
 * in batches, into the indexed `audit_entries` (the former `audit_log` table) and, for webhook
 * events, into `webhook_deliveries`. `audit_log` becomes a view of both, so the log shows a row
 * as soon as its change commits.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.alterTable('audit_log').renameTo('audit_entries').execute();
  let outbox = db.schema.createTable('audit_outbox');
  outbox = postgres ? outbox.addColumn('seq', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey()) : outbox.addColumn('seq', 'integer', (c) => c.primaryKey());
  await outbox
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text')
    .addColumn('user_id', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('credential_kind', 'text')
    .addColumn('credential_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('request_id', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    // The webhook event's body (`{ type, timestamp, data }`) when the action is an event of an organization.
    .addColumn('event', 'text')
    .execute();
  await sql.raw(`CREATE VIEW audit_log AS SELECT ${COLUMNS} FROM audit_entries UNION ALL SELECT ${COLUMNS} FROM audit_outbox`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`INSERT INTO audit_entries (${COLUMNS}) SELECT ${COLUMNS} FROM audit_outbox`).execute(db);
  await sql.raw('DROP VIEW IF EXISTS audit_log').execute(db);
  await db.schema.dropTable('audit_outbox').ifExists().execute();
  await db.schema.alterTable('audit_entries').renameTo('audit_log').execute();
}
