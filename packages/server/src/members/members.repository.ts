import type { DB } from '../db/database.js';

/** Storage of memberships (who belongs to which organization, in which role). */

export interface MemberRow {
  user_id: string;
  email: string;
  full_name: string;
  handle: string;
  role: string;
  created_at: string;
}

/** A user's role in an organization, or undefined when they are not a member. */
export async function findMembership(db: DB, organizationId: string, userId: string): Promise<{ role: string } | undefined> {
  return db.selectFrom('memberships').select('role').where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirst();
}

/** A member of the organization with their account fields, or null. */
export async function findMember(db: DB, organizationId: string, userId: string): Promise<MemberRow | null> {
  const row = await db
    .selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.user_id', 'users.email', 'users.full_name', 'users.handle', 'memberships.role', 'memberships.created_at'])
    .where('memberships.organization_id', '=', organizationId).where('memberships.user_id', '=', userId)
    .executeTakeFirst();
  return row ?? null;
}

/** One keyset page (`limit + 1` rows, by user id) of an organization's members. */
export async function listMemberRows(db: DB, organizationId: string, cursor: string | null, limit: number): Promise<(MemberRow & { id: string })[]> {
  let q = db
    .selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.user_id as id', 'memberships.user_id', 'users.email', 'users.full_name', 'users.handle', 'memberships.role', 'memberships.created_at'])
    .where('memberships.organization_id', '=', organizationId)
    .orderBy('memberships.user_id').limit(limit + 1);
  if (cursor) q = q.where('memberships.user_id', '>', cursor);
  return q.execute();
}

export async function insertMembership(db: DB, input: { organizationId: string; userId: string; role: string; now: string }): Promise<void> {
  await db.insertInto('memberships').values({ organization_id: input.organizationId, user_id: input.userId, role: input.role, created_at: input.now }).execute();
}
