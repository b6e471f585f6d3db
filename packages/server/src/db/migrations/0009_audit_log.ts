import type { Kysely } from 'kysely';

/**
 * The append-only audit log: one row per security-relevant change, written in the change's own
 * transaction. Ids are ULIDs (time first), so retention prunes by primary key. No foreign keys: a row outlives the user, key or organization it names, until
 * retention (ACCT_AUDIT_RETENTION_DAYS) prunes it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text')
    // The person whose own log (GET /api/user/audit-log) shows the row: the actor, or the account a failed sign-in aimed at.
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
    .execute();
  await db.schema.createIndex('audit_log_organization').on('audit_log').columns(['organization_id', 'id']).execute();
  await db.schema.createIndex('audit_log_user').on('audit_log').columns(['user_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').ifExists().execute();
}
