import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { isUniqueViolation } from '../db/errors.js';
import { bind, membershipOf, principalOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { removeMembership } from '../members/members.service.js';
import { deleteOrganization, updateOrganizationColumns } from './orgs.repository.js';
import { loadOrganization, toOrganization } from './orgs.service.js';
import { record } from '../audit/audit.js';

/** One organization: read, rename, delete, leave (`/api/user/organizations/:organizationId`). */
export function organizationRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.getOrganization, async (ctx) => {
    const { organizationId, role } = membershipOf(ctx);
    return { data: toOrganization(await loadOrganization(deps.db, organizationId), role) };
  });

  bind(r, deps, ROUTES.updateOrganization, async (ctx) => {
    const { organizationId, role } = membershipOf(ctx);
    const name = ctx.body.name?.trim();
    const changes = { ...(name !== undefined ? { name } : {}), ...(ctx.body.slug !== undefined ? { slug: ctx.body.slug } : {}) };
    if (Object.keys(changes).length > 0) {
      try {
        await deps.db.transaction().execute(async (trx) => {
          await updateOrganizationColumns(trx, organizationId, { ...changes, updated_at: iso(deps.clock.now()) });
          await record(trx, { action: 'organization.updated', organizationId, target: { type: 'organization', id: organizationId }, detail: changes });
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new HttpError('CONFLICT', 'That slug is taken', [{ field: 'slug', message: 'slug is taken' }]);
        throw err;
      }
    }
    return { data: toOrganization(await loadOrganization(deps.db, organizationId), role) };
  });

  bind(r, deps, ROUTES.deleteOrganization, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const principal = principalOf(ctx);
    // SECURITY: deleting an organization needs a fresh sign-in, as minting a key does.
    if (principal.interactive && deps.clock.now().getTime() - new Date(principal.credential.issuedAt).getTime() > deps.config.freshSessionSeconds * 1000)
      throw new HttpError('FORBIDDEN', 'Sign in again to delete an organization: this session is too old');
    // Projects, ledger, memberships, teams and invitations cascade; keys pinned to it fail the membership check.
    await deps.db.transaction().execute(async (trx) => {
      await deleteOrganization(trx, organizationId);
      await record(trx, { action: 'organization.deleted', organizationId, target: { type: 'organization', id: organizationId } });
    });
    return { data: { id: organizationId, deleted: true as const } };
  });

  bind(r, deps, ROUTES.leaveOrganization, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const user = userOf(ctx);
    await removeMembership(deps.db, organizationId, user.id);
    return { data: { organizationId, userId: user.id, left: true as const } };
  });

  return r;
}
