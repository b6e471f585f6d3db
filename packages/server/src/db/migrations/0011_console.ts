import type { Kysely } from 'kysely';

/**
 * The web console (issue 17): a session remembers when its user last typed the password again
 * (re-authentication before creating keys or changing email/password, when the session is older
 * than ten minutes). Platform admins are `users.role = 'admin'` (a column since 0001).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('reauthenticated_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('reauthenticated_at').execute();
}
