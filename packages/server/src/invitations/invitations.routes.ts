import { Router } from 'express';
import { ROUTES, type Role } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf, pinOf, principalOf, userOf } from '../http/bind.js';
import { HttpError } from '../http/http-error.js';
import { decodeCursor, page } from '../http/pagination.js';
import { toOrganization } from '../orgs/orgs.service.js';
import { listOrgInvitations, pendingInvitationsFor } from './invitations.repository.js';
import { acceptInvitation, peekInvitation, revokeInvitation, toInvitation } from './invitations.service.js';

/** Invitations: the organization's side, the invited user's side, and the mailed link. */
export function invitationRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.listInvitations, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const now = deps.clock.now();
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const { items, pagination } = page(await listOrgInvitations(deps.db, { organizationId, status: ctx.query.status, cursor, limit, now }), limit);
    return { data: items.map((row) => toInvitation(row, now)), pagination };
  });

  bind(r, deps, ROUTES.revokeInvitation, async (ctx) => {
    const { organizationId, role } = membershipOf(ctx);
    return { data: await revokeInvitation(deps, { organizationId, role, invitationId: ctx.params['invitationId'] ?? '' }) };
  });

  bind(r, deps, ROUTES.listMyInvitations, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    if (!user.email_verified_at) throw new HttpError('EMAIL_NOT_VERIFIED', 'Verify your email address to see the invitations sent to it');
    const now = deps.clock.now();
    // A pinned key sees only its organization, as in the organization list.
    const rows = await pendingInvitationsFor(deps.db, user.email, now, pinOf(principal));
    return { data: rows.map((row) => toInvitation(row, now)) };
  });

  bind(r, deps, ROUTES.acceptInvitation, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    const { org, role } = await acceptInvitation(deps, {
      user, invitationId: ctx.params['invitationId'] ?? '', token: ctx.body.token,
      pinnedOrganizationId: pinOf(principal),
      // The credential that brought the token survives the mailbox proof.
      keep: principal.interactive ? { sessionId: principal.credential.id } : { keyId: principal.credential.id },
    });
    return { data: toOrganization(org, role) };
  });

  bind(r, deps, ROUTES.viewInvitation, async (ctx) => {
    const row = await peekInvitation(deps.db, ctx.params['invitationId'] ?? '', ctx.query.token, deps.clock.now());
    if (!row) throw new HttpError('INVALID_TOKEN', 'This invitation link has expired, was revoked or was already used');
    return {
      data: {
        id: row.id, organization: { id: row.organization_id, name: row.org_name }, email: row.email, role: row.role as Role, expiresAt: row.expires_at,
        accept: { method: 'POST' as const, path: `/api/user/invitations/${row.id}/accept`, body: ['token'] },
      },
    };
  });

  return r;
}
