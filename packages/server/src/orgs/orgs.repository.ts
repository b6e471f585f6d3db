import type { DB } from '../db/database.js';
import type { OrganizationRow } from '../db/schema.js';

/** Storage of organizations and their owners' first membership. */

export async function findOrganization(db: DB, id: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function slugTaken(db: DB, slug: string): Promise<boolean> {
  return (await db.selectFrom('organizations').select('id').where('slug', '=', slug).executeTakeFirst()) !== undefined;
}

/** Inserts an organization with its first member (the owner). */
export async function insertOrganization(db: DB, row: OrganizationRow, ownerId: string): Promise<void> {
  await db.insertInto('organizations').values(row).execute();
  await db.insertInto('memberships').values({ organization_id: row.id, user_id: ownerId, role: 'owner', created_at: row.created_at }).execute();
}

/** Changes organization columns; a taken slug fails with the unique index's error. */
export async function updateOrganizationColumns(
  db: DB, id: string,
  changes: Partial<Pick<OrganizationRow, 'name' | 'slug' | 'plan' | 'seats' | 'included_credits' | 'credits_period_start' | 'credits_granted' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('organizations').set(changes).where('id', '=', id).execute();
}

/** Deletes an organization; projects, ledger, memberships, teams and invitations cascade. */
export async function deleteOrganization(db: DB, id: string): Promise<void> {
  await db.deleteFrom('organizations').where('id', '=', id).execute();
}
