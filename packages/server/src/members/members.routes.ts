import { Router } from 'express';
import { ROUTES, type Role } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf, userOf } from '../http/bind.js';
import { HttpError } from '../http/http-error.js';
import { decodeCursor, page } from '../http/pagination.js';
import { createInvitation } from '../invitations/invitations.service.js';
import { findMember, listMemberRows, type MemberRow } from './members.repository.js';
import { removeMembership, setRole, toMember } from './members.service.js';
import { inviteProblem, removalProblem, roleChangeProblem } from './role-rules.js';

/** Members of an organization and their roles (`…/organizations/:organizationId/members`). */
export function memberRoutes(deps: AppDeps, r: Router = Router()): Router {

  async function target(organizationId: string, userId: string): Promise<MemberRow> {
    const row = await findMember(deps.db, organizationId, userId);
    if (!row) throw new HttpError('NOT_FOUND', 'No such member in this organization');
    return row;
  }

  bind(r, deps, ROUTES.listMembers, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const { items, pagination } = page(await listMemberRows(deps.db, organizationId, cursor, limit), limit);
    return { data: items.map(toMember), pagination };
  });

  bind(r, deps, ROUTES.inviteMember, async (ctx) => {
    const membership = membershipOf(ctx);
    const problem = inviteProblem(membership.role, ctx.body.role);
    if (problem) throw new HttpError('FORBIDDEN', problem);
    const invitation = await createInvitation(deps, {
      organizationId: membership.organizationId, email: ctx.body.email, role: ctx.body.role, invitedBy: userOf(ctx),
    });
    return { data: invitation };
  });

  bind(r, deps, ROUTES.updateMember, async (ctx) => {
    const membership = membershipOf(ctx);
    const existing = await target(membership.organizationId, ctx.params['userId'] ?? '');
    const problem = roleChangeProblem(membership.role, existing.role as Role, ctx.body.role);
    if (problem) throw new HttpError('FORBIDDEN', problem);
    if (existing.role !== ctx.body.role) await setRole(deps.db, membership.organizationId, existing.user_id, ctx.body.role);
    return { data: toMember({ ...existing, role: ctx.body.role }) };
  });

  bind(r, deps, ROUTES.removeMember, async (ctx) => {
    const membership = membershipOf(ctx);
    const existing = await target(membership.organizationId, ctx.params['userId'] ?? '');
    const problem = removalProblem(membership.role, existing.role as Role);
    if (problem) throw new HttpError('FORBIDDEN', problem);
    await removeMembership(deps.db, membership.organizationId, existing.user_id);
    return { data: { userId: existing.user_id, removed: true as const } };
  });

  return r;
}
