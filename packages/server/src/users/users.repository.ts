import type { DB } from '../db/database.js';
import type { OrganizationRow, UserRow } from '../db/schema.js';
import { iso } from '../time/clock.js';

/** Storage of accounts (`users`) and the organizations a user belongs to. */

export async function findUser(db: DB, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The address of an account, or undefined when there is no such account. */
export async function findUserEmail(db: DB, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirst();
  return row?.email;
}

/** Changes a user's own profile fields; a taken handle fails with the unique index's error. */
export async function updateUserColumns(db: DB, id: string, changes: Partial<Pick<UserRow, 'full_name' | 'handle' | 'updated_at'>>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

/** The user's organizations with their role in each, by id; with `only`, that one organization at most. */
export async function userOrganizations(db: DB, userId: string, only?: string | null): Promise<(OrganizationRow & { role: string })[]> {
  let q = db
    .selectFrom('memberships').innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
    .selectAll('organizations').select('memberships.role')
    .where('memberships.user_id', '=', userId).orderBy('organizations.id');
  if (only) q = q.where('organizations.id', '=', only);
  return q.execute();
}

/** Cheapest statement that proves the database answers (readiness). */
export async function pingDatabase(db: DB): Promise<void> {
  await db.selectFrom('users').select('id').limit(1).execute();
}

/** The account of a (normalised) address, or undefined. */
export async function findUserByEmail(db: DB, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

/** Sets a new password hash; a reset also clears the account's failed sign-ins. */
export async function setPasswordHash(db: DB, id: string, hash: string, now: Date, opts: { clearFailures?: boolean } = {}): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, ...(opts.clearFailures ? { failed_sign_ins: 0 } : {}), updated_at: iso(now) }).where('id', '=', id).execute();
}
