import type { ExpressionBuilder } from 'kysely';
import type { DB } from '../db/database.js';
import type { Database, InvitationRow } from '../db/schema.js';
import { iso } from '../time/clock.js';

/** Storage of invitations (only the token's hash is stored). */

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export type InvitationWithOrg = InvitationRow & { org_name: string; org_slug: string };

/** Invitations joined with their organization's name and slug. */
function invitationsWithOrg(db: DB) {
  return db
    .selectFrom('invitations').innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
    .selectAll('invitations').select(['organizations.name as org_name', 'organizations.slug as org_slug']);
}

/** The condition for invitations of each status at `now` (pure SQL, both dialects). */
function statusIs(status: InvitationStatus, now: Date) {
  return (eb: ExpressionBuilder<Database, 'invitations'>) => {
    const open = [eb('invitations.accepted_at', 'is', null), eb('invitations.revoked_at', 'is', null)];
    switch (status) {
      case 'accepted': return eb('invitations.accepted_at', 'is not', null);
      case 'revoked': return eb.and([eb('invitations.accepted_at', 'is', null), eb('invitations.revoked_at', 'is not', null)]);
      case 'expired': return eb.and([...open, eb('invitations.expires_at', '<=', iso(now))]);
      case 'pending': return eb.and([...open, eb('invitations.expires_at', '>', iso(now))]);
    }
  };
}

/** An invitation with its organization's name, by id, or undefined. */
export async function findInvitationWithOrg(db: DB, id: string): Promise<InvitationWithOrg | undefined> {
  return invitationsWithOrg(db).where('invitations.id', '=', id).executeTakeFirst();
}

/** An invitation of that organization, or undefined. */
export async function findOrgInvitation(db: DB, organizationId: string, id: string): Promise<InvitationRow | undefined> {
  return db.selectFrom('invitations').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
}

/** One keyset page (`limit + 1` rows, newest first) of an organization's invitations, optionally of one status at `now`. */
export async function listOrgInvitations(
  db: DB, input: { organizationId: string; status?: InvitationStatus | undefined; cursor: string | null; limit: number; now: Date },
): Promise<InvitationWithOrg[]> {
  let q = invitationsWithOrg(db).where('invitations.organization_id', '=', input.organizationId).orderBy('invitations.id', 'desc').limit(input.limit + 1);
  if (input.status) q = q.where(statusIs(input.status, input.now));
  if (input.cursor) q = q.where('invitations.id', '<', input.cursor);
  return q.execute();
}

/** The pending invitations sent to an address (newest 100); with `only`, those of that organization. */
export async function pendingInvitationsFor(db: DB, email: string, now: Date, only?: string | null): Promise<InvitationWithOrg[]> {
  let q = invitationsWithOrg(db).where('invitations.email', '=', email).where(statusIs('pending', now)).orderBy('invitations.id', 'desc').limit(100);
  if (only) q = q.where('invitations.organization_id', '=', only);
  return q.execute();
}

/** The roles of an address's pending invitations to an organization. */
export async function pendingRolesFor(db: DB, organizationId: string, email: string, now: Date): Promise<{ role: string }[]> {
  return db
    .selectFrom('invitations').select('role')
    .where('organization_id', '=', organizationId).where('email', '=', email)
    .where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', iso(now))
    .execute();
}

/** Revokes an address's open invitations to an organization (a new link voids older ones). */
export async function revokeOpenInvitationsFor(db: DB, organizationId: string, email: string, now: Date): Promise<void> {
  await db
    .updateTable('invitations').set({ revoked_at: iso(now) })
    .where('organization_id', '=', organizationId).where('email', '=', email)
    .where('accepted_at', 'is', null).where('revoked_at', 'is', null)
    .execute();
}

/** Revokes one invitation unless accepted or revoked already; true when this call revoked it. */
export async function revokeOpenInvitation(db: DB, id: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('invitations').set({ revoked_at: iso(now) })
    .where('id', '=', id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertInvitation(db: DB, row: InvitationRow): Promise<void> {
  await db.insertInto('invitations').values(row).execute();
}

/** Consumes a pending invitation for a user; true for the one caller that won. */
export async function markAccepted(db: DB, id: string, userId: string, now: Date): Promise<boolean> {
  const consumed = await db
    .updateTable('invitations').set({ accepted_at: iso(now), accepted_by: userId })
    .where('id', '=', id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', iso(now))
    .executeTakeFirst();
  return Number(consumed.numUpdatedRows) === 1;
}

/** Whether an account with this address is a member of the organization. */
export async function addressIsMember(db: DB, organizationId: string, email: string): Promise<boolean> {
  const member = await db
    .selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select('users.id')
    .where('memberships.organization_id', '=', organizationId).where('users.email', '=', email)
    .executeTakeFirst();
  return member !== undefined;
}
