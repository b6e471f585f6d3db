import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { iso } from '../time/clock.js';

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

/**
 * The condition that keeps an organization owned: the row is not an owner's, or another owner
 * remains. Evaluated inside the one UPDATE/DELETE that changes the membership, so two owners
 * demoting each other at once cannot both succeed.
 */
function keepsAnOwner(organizationId: string) {
  return sql<boolean>`(role <> 'owner' or (select count(*) from memberships as m where m.organization_id = ${organizationId} and m.role = 'owner') > 1)`;
}

/**
 * Serialises changes to one organization's members, invitations and seats: a no-op UPDATE of
 * its row takes the row lock on PostgreSQL (SQLite already runs one writer at a time), and
 * is plain SQL on both. Call first inside the transaction that checks and changes them.
 */
export async function lockOrganization(db: DB, organizationId: string): Promise<void> {
  await db.updateTable('organizations').set((eb) => ({ seats: eb.ref('seats') })).where('id', '=', organizationId).execute();
}

/** Sets a member's role unless that demotes the last owner; false when it would (or no such member). */
export async function updateRoleKeepingOwner(db: DB, organizationId: string, userId: string, role: string): Promise<boolean> {
  let q = db.updateTable('memberships').set({ role }).where('organization_id', '=', organizationId).where('user_id', '=', userId);
  if (role !== 'owner') q = q.where(keepsAnOwner(organizationId));
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a membership and the member's places in the organization's teams, unless they are the last owner (false). */
export async function deleteMembershipKeepingOwner(db: DB, organizationId: string, userId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('memberships')
    .where('organization_id', '=', organizationId).where('user_id', '=', userId)
    .where(keepsAnOwner(organizationId))
    .executeTakeFirst();
  if (Number(result.numDeletedRows) !== 1) return false;
  await db
    .deleteFrom('team_members')
    .where('user_id', '=', userId)
    .where('team_id', 'in', (eb) => eb.selectFrom('teams').select('id').where('organization_id', '=', organizationId))
    .execute();
  return true;
}

/** Members of the organization. */
export async function memberCount(db: DB, organizationId: string): Promise<number> {
  const row = await db.selectFrom('memberships').select((eb) => eb.fn.countAll<number>().as('n')).where('organization_id', '=', organizationId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Seats taken: members plus invitations that could still be accepted. */
export async function seatsInUse(db: DB, organizationId: string, now: Date): Promise<number> {
  const pending = await db
    .selectFrom('invitations').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId).where('accepted_at', 'is', null).where('revoked_at', 'is', null)
    .where('expires_at', '>', iso(now))
    .executeTakeFirst();
  return (await memberCount(db, organizationId)) + Number(pending?.n ?? 0);
}
