import { sql, type Kysely } from 'kysely';

/**
 * Included credits are granted once per billing period, not per plan change: each organization
 * remembers the start of the billing period of its last grant and how many included credits that
 * period has already brought. Existing organizations count as having received their current
 * plan's credits in the current period (a NULL start means "the current period").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('organizations').addColumn('credits_period_start', 'text').execute();
  await db.schema.alterTable('organizations').addColumn('credits_granted', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update organizations set credits_granted = included_credits`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('credits_granted').execute();
  await db.schema.alterTable('organizations').dropColumn('credits_period_start').execute();
}
