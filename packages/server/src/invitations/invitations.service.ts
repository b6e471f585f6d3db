import { timingSafeEqual } from 'node:crypto';
import { issueToken, parseToken, ROLE_SCOPES, type Role } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import type { InvitationRow, UserRow } from '../db/schema.js';
import { sha256 } from '../auth/hashing.js';
import { proveMailbox } from '../auth/mailbox-proof.js';
import { addSeconds, iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { lockOrganization, memberCount, seatsInUse } from '../members/members.repository.js';
import { atLeast, inviteProblem } from '../members/role-rules.js';
import { normalizeEmail } from '../users/users.service.js';
import { findMembership, insertMembership } from '../members/members.repository.js';
import { loadOrganization } from '../orgs/orgs.service.js';
import {
  addressIsMember, findInvitationWithOrg, findOrgInvitation, insertInvitation, markAccepted, pendingRolesFor, revokeOpenInvitation, revokeOpenInvitationsFor,
  type InvitationStatus, type InvitationWithOrg,
} from './invitations.repository.js';

export type { InvitationStatus, InvitationWithOrg };
import { record } from '../audit/audit.js';

/** The user's current role in the organization, or null when not a member. */
async function roleOf(db: DB, organizationId: string, userId: string): Promise<Role | null> {
  const row = await findMembership(db, organizationId, userId);
  return (row?.role as Role | undefined) ?? null;
}

/** Whether someone with `inviter`'s role may invite (and so grant) `role`: members:write, and role ≤ theirs. */
function mayInvite(inviter: Role, role: Role): boolean {
  return ROLE_SCOPES[inviter].has('members:write') && atLeast(inviter, role);
}

/** SECURITY "Mail flows": invitations live at most 7 days. */
export const INVITATION_SECONDS = 7 * 86400;

/** Pure: the status of an invitation at `now`. */
export function invitationStatus(row: Pick<InvitationRow, 'accepted_at' | 'revoked_at' | 'expires_at'>, now: Date): InvitationStatus {
  if (row.accepted_at) return 'accepted';
  if (row.revoked_at) return 'revoked';
  if (row.expires_at <= iso(now)) return 'expired';
  return 'pending';
}

export function toInvitation(row: InvitationWithOrg, now: Date) {
  return {
    id: row.id,
    organization: { id: row.organization_id, name: row.org_name, slug: row.org_slug },
    email: row.email,
    role: row.role as Role,
    status: invitationStatus(row, now),
    invitedBy: row.invited_by,
    expiresAt: row.expires_at,
    acceptedAt: row.accepted_at,
    createdAt: row.created_at,
  };
}

function seatsFull(seats: number): HttpError {
  return new HttpError('CONFLICT', `All ${seats} seats are taken (members and pending invitations): raise the seats of the subscription first`, [
    { field: 'seats', message: `all ${seats} seats are taken` },
  ]);
}

/**
 * Invites an address: voids its older pending invitations to this organization (a new link
 * voids older ones), checks the seats, stores only the token's hash and mails the link.
 */
export async function createInvitation(deps: AppDeps, input: { organizationId: string; email: string; role: Role; invitedBy: UserRow }) {
  const now = deps.clock.now();
  const email = normalizeEmail(input.email);
  const token = issueToken('emailLink').token;
  const row: InvitationRow = {
    id: ulid(now.getTime()), organization_id: input.organizationId, email, role: input.role, token_hash: sha256(token),
    invited_by: input.invitedBy.id, expires_at: iso(addSeconds(now, INVITATION_SECONDS)), accepted_at: null, accepted_by: null,
    revoked_at: null, created_at: iso(now),
  };
  const org = await deps.db.transaction().execute(async (trx) => {
    await lockOrganization(trx, input.organizationId);
    if (await addressIsMember(trx, input.organizationId, email)) throw new HttpError('CONFLICT', 'That address already belongs to a member', [{ field: 'email', message: 'already a member' }]);
    // The inviter's role as it is now, under the organization lock (it may have changed since bind() read it).
    const inviterRole = await roleOf(trx, input.organizationId, input.invitedBy.id);
    if (!inviterRole) throw new HttpError('ORGANIZATION_MISMATCH', 'You are not a member of this organization');
    const problem = ROLE_SCOPES[inviterRole].has('members:write') ? inviteProblem(inviterRole, input.role) : `Your role (${inviterRole}) does not allow members:write`;
    if (problem) throw new HttpError('FORBIDDEN', problem);
    // A new link voids the older ones, but re-inviting may not revoke what the caller could not revoke.
    const pending = await pendingRolesFor(trx, input.organizationId, email, now);
    const above = pending.find((p) => !atLeast(inviterRole, p.role as Role));
    if (above)
      throw new HttpError('FORBIDDEN', `That address has a pending invitation as ${above.role}: only someone who may revoke it can replace it`, [
        { field: 'email', message: `pending invitation as ${above.role}` },
      ]);
    await revokeOpenInvitationsFor(trx, input.organizationId, email, now);
    const org = await loadOrganization(trx, input.organizationId);
    if ((await seatsInUse(trx, input.organizationId, now)) >= org.seats) throw seatsFull(org.seats);
    await insertInvitation(trx, row);
    await record(trx, { now, action: 'invitation.created', organizationId: input.organizationId, target: { type: 'invitation', id: row.id }, detail: { email, role: input.role } });
    return org;
  });

  const link = `${deps.baseUrl()}/api/invitations/${row.id}?token=${encodeURIComponent(token)}`;
  const accept = `${deps.baseUrl()}/api/user/invitations/${row.id}/accept`;
  await deps.mailer
    .send({
      to: email,
      subject: `${input.invitedBy.full_name} invited you to ${org.name} on acct`,
      text:
        `${input.invitedBy.full_name} (${input.invitedBy.email}) invited ${email} to join the organization "${org.name}" on acct as ${input.role}.\n\n` +
        `Open this link to see the invitation (valid for 7 days, once):\n\n${link}\n\n` +
        `To accept, sign in (or sign up) as ${email}, then POST ${accept} with the token from the link in the JSON body ({"token": "…"}).\n` +
        `If you did not expect this, ignore this mail.\n`,
      link,
    })
    .catch((err) => deps.logger.error({ err, invitationId: row.id }, 'could not send the invitation email'));
  return toInvitation({ ...row, org_name: org.name, org_slug: org.slug }, now);
}

function tokenMatches(row: InvitationRow, token: string): boolean {
  if (!parseToken(token, 'emailLink')) return false;
  return timingSafeEqual(Buffer.from(sha256(token)), Buffer.from(row.token_hash));
}

/** The pending invitation a mailed link names, or null (for the public link page). */
export async function peekInvitation(db: DB, invitationId: string, token: string, now: Date): Promise<InvitationWithOrg | null> {
  const row = await findInvitationWithOrg(db, invitationId);
  if (!row || !tokenMatches(row, token) || invitationStatus(row, now) !== 'pending') return null;
  return row;
}

/**
 * Accepts an invitation for the signed-in user. The user's address must be the invited one and
 * either verified or proven by the mailed token (which then verifies it: the link reached it).
 * The invitation is consumed by a conditional update, so of two concurrent accepts one wins.
 */
export async function acceptInvitation(deps: AppDeps, input: { user: UserRow; invitationId: string; token: string | undefined; pinnedOrganizationId: string | null; keep?: { sessionId?: string; keyId?: string } }) {
  const now = deps.clock.now();
  const { user } = input;
  const row = await findInvitationWithOrg(deps.db, input.invitationId);
  // Someone else's invitation answers as a missing one.
  if (!row || row.email !== user.email) throw new HttpError('NOT_FOUND', 'No such invitation for your email address');
  if (input.pinnedOrganizationId && input.pinnedOrganizationId !== row.organization_id)
    throw new HttpError('ORGANIZATION_MISMATCH', 'The token is pinned to another organization');
  if (input.token !== undefined) {
    if (!tokenMatches(row, input.token)) throw new HttpError('INVALID_TOKEN', 'The invitation token is invalid');
  } else if (!user.email_verified_at) {
    throw new HttpError('EMAIL_NOT_VERIFIED', 'Verify your email address first, or accept with the token from the invitation mail');
  }
  const status = invitationStatus(row, now);
  if (status === 'accepted') throw new HttpError('CONFLICT', 'This invitation was already accepted');
  if (status !== 'pending') throw new HttpError('NOT_FOUND', `This invitation was ${status === 'expired' ? 'not accepted in time' : 'revoked'}: ask for a new one`);

  const org = await deps.db.transaction().execute(async (trx) => {
    await lockOrganization(trx, row.organization_id);
    if (await findMembership(trx, row.organization_id, user.id)) throw new HttpError('CONFLICT', 'You are already a member of this organization');
    // The inviter must still be able to grant the role: a demoted or departed inviter's
    // invitation is void (revoked here, committed; the caller gets 403 below).
    const inviterRole = row.invited_by ? await roleOf(trx, row.organization_id, row.invited_by) : null;
    if (!inviterRole || !mayInvite(inviterRole, row.role as Role)) {
      await revokeOpenInvitation(trx, row.id, now);
      return null;
    }
    const org = await loadOrganization(trx, row.organization_id);
    // Seats may have been lowered since the invitation was sent.
    if ((await memberCount(trx, row.organization_id)) >= org.seats) throw seatsFull(org.seats);
    if (!(await markAccepted(trx, row.id, user.id, now))) throw new HttpError('CONFLICT', 'This invitation is no longer pending');
    await insertMembership(trx, { organizationId: row.organization_id, userId: user.id, role: row.role, now: iso(now) });
    await record(trx, { now, action: 'invitation.accepted', organizationId: row.organization_id, target: { type: 'invitation', id: row.id }, detail: { email: row.email, role: row.role, userId: user.id } });
    await record(trx, { now, action: 'member.added', organizationId: row.organization_id, target: { type: 'user', id: user.id }, detail: { userId: user.id, role: row.role, invitationId: row.id } });
    // The mailed token proves the mailbox: it verifies the address and ends what was created
    // before it was proven, but the credential that brought the token (auth/mailbox-proof.ts).
    if (input.token !== undefined) {
      await proveMailbox(trx, { userId: user.id, email: row.email, now, keep: input.keep ?? {}, reason: 'ended: created before the address was proven by an invitation' });
    }
    return org;
  });
  if (!org)
    throw new HttpError('FORBIDDEN', `The person who invited you can no longer grant the role ${row.role} (their role changed or they left): ask for a new invitation`);
  return { org, role: row.role as Role };
}

/**
 * Revokes a pending invitation of the organization (API route and console): only someone whose
 * role is at least the invited one, and only while it is pending; one audit row with the change.
 */
export async function revokeInvitation(deps: AppDeps, input: { organizationId: string; role: Role; invitationId: string }): Promise<{ id: string; revoked: true }> {
  const now = deps.clock.now();
  const row = await findOrgInvitation(deps.db, input.organizationId, input.invitationId);
  if (!row) throw new HttpError('NOT_FOUND', 'No such invitation in this organization');
  if (!atLeast(input.role, row.role as Role)) throw new HttpError('FORBIDDEN', `Only owners can revoke an invitation for the role ${row.role}`);
  const status = invitationStatus(row, now);
  if (status !== 'pending') throw new HttpError('CONFLICT', `This invitation is already ${status}`);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await revokeOpenInvitation(trx, row.id, now))) throw new HttpError('CONFLICT', 'This invitation is no longer pending');
    await record(trx, { now, action: 'invitation.revoked', organizationId: row.organization_id, target: { type: 'invitation', id: row.id }, detail: { email: row.email, role: row.role } });
  });
  return { id: row.id, revoked: true };
}
