import type { Kysely } from 'kysely';

/** Team keys (machine identities of a team) and what arrives at a team's intake webhook. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('team_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('lookup_id', 'text', (c) => c.notNull().unique())
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('start', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    // The key belongs to the team: its creator leaving changes nothing.
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('last_used_ip', 'text')
    .addColumn('previous_secret_hash', 'text')
    .addColumn('previous_expires_at', 'text')
    .addColumn('rotated_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('team_keys_team').on('team_keys').columns(['team_id', 'id']).execute();

  await db.schema
    .createTable('intake_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('via_kind', 'text', (c) => c.notNull())
    .addColumn('via_id', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('intake_events_team').on('intake_events').columns(['team_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('intake_events').ifExists().execute();
  await db.schema.dropTable('team_keys').ifExists().execute();
}
