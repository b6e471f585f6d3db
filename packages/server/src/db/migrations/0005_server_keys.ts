import type { Kysely } from 'kysely';

/**
 * Keys the server itself makes once and every instance sharing the database must agree on:
 * today the key that signs device cookies (auth/cookies.ts) when ACCT_DEVICE_COOKIE_SECRET is unset.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('server_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('server_keys').ifExists().execute();
}
