import type { Role } from '@acct/shared';
import type { DB } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import { deleteMembershipKeepingOwner, lockOrganization, updateRoleKeepingOwner, type MemberRow } from './members.repository.js';
import { record } from '../audit/audit.js';

export function toMember(row: MemberRow) {
  return { userId: row.user_id, email: row.email, fullName: row.full_name, handle: row.handle, role: row.role as Role, joinedAt: row.created_at };
}

const LAST_OWNER = 'The organization must keep an owner: make someone else an owner first';

/** Changes a member's role; 409 when it would leave the organization without an owner. */
export async function setRole(db: DB, organizationId: string, userId: string, role: Role): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockOrganization(trx, organizationId);
    if (!(await updateRoleKeepingOwner(trx, organizationId, userId, role)))
      throw new HttpError('CONFLICT', LAST_OWNER, [{ field: 'role', message: 'the last owner cannot be demoted' }]);
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
    if (!(await deleteMembershipKeepingOwner(trx, organizationId, userId)))
      throw new HttpError('CONFLICT', LAST_OWNER, [{ field: 'userId', message: 'the last owner cannot leave or be removed' }]);
    await record(trx, { action: 'member.removed', organizationId, target: { type: 'user', id: userId }, detail: { userId } });
  });
}
