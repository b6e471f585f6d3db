import { sql } from 'kysely';
import type { Role } from '@acct/shared';
import type { DB } from '../db/database.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { record } from '../audit/audit.js';

export interface MemberRow {
  user_id: string;
  email: string;
  full_name: string;
  handle: string;
  role: string;
  created_at: string;
}

export function toMember(row: MemberRow) {
  return { userId: row.user_id, email: row.email, fullName: row.full_name, handle: row.handle, role: row.role as Role, joinedAt: row.created_at };
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

const LAST_OWNER = 'The organization must keep an owner: make someone else an owner first';

/** Changes a member's role; 409 when it would leave the organization without an owner. */
export async function setRole(db: DB, organizationId: string, userId: string, role: Role): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockOrganization(trx, organizationId);
    let q = trx.updateTable('memberships').set({ role }).where('organization_id', '=', organizationId).where('user_id', '=', userId);
    if (role !== 'owner') q = q.where(keepsAnOwner(organizationId));
    const result = await q.executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new HttpError('CONFLICT', LAST_OWNER, [{ field: 'role', message: 'the last owner cannot be demoted' }]);
    await record(trx, { action: 'member.role_changed', organizationId, target: { type: 'user', id: userId }, detail: { userId, role } });
  });
}

/**
 * Removes a member and their places in the organization's teams, in one transaction; 409 when
 * they are the last owner. Their keys stay, but fail the membership check from now on.
 */
export async function removeMembership(db: DB, organizationId: string, userId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockOrganization(trx, organizationId);
    const result = await trx
      .deleteFrom('memberships')
      .where('organization_id', '=', organizationId).where('user_id', '=', userId)
      .where(keepsAnOwner(organizationId))
      .executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) throw new HttpError('CONFLICT', LAST_OWNER, [{ field: 'userId', message: 'the last owner cannot leave or be removed' }]);
    await trx
      .deleteFrom('team_members')
      .where('user_id', '=', userId)
      .where('team_id', 'in', (eb) => eb.selectFrom('teams').select('id').where('organization_id', '=', organizationId))
      .execute();
    await record(trx, { action: 'member.removed', organizationId, target: { type: 'user', id: userId }, detail: { userId } });
  });
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
