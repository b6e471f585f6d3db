import type { Kysely } from 'kysely';

/**
 * Tenancy: teams and their members, invitations to organizations, and the indexes that keep
 * the sorted project lists keyset-paginated. Everything under an organization cascades with it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('teams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('teams_org').on('teams').columns(['organization_id', 'id']).execute();
  // NULL slugs never collide (SQLite and PostgreSQL alike), so slugs stay optional.
  await db.schema.createIndex('teams_org_slug').on('teams').columns(['organization_id', 'slug']).unique().execute();

  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user').on('team_members').column('user_id').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .addColumn('accepted_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('revoked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invitations_org').on('invitations').columns(['organization_id', 'id']).execute();
  await db.schema.createIndex('invitations_email').on('invitations').columns(['email', 'id']).execute();

  await db.schema.createIndex('projects_org_created').on('projects').columns(['organization_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('projects_org_name').on('projects').columns(['organization_id', 'name', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('projects_org_name').ifExists().execute();
  await db.schema.dropIndex('projects_org_created').ifExists().execute();
  for (const t of ['invitations', 'team_members', 'teams']) await db.schema.dropTable(t).ifExists().execute();
}
