import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { OAuthGrantRow } from '../db/schema.js';
import { bind, membershipOf, pinOf, principalOf, userOf } from '../http/bind.js';
import { HttpError } from '../http/http-error.js';
import { decodeCursor, page } from '../http/pagination.js';
import { revokeGrant } from './grants.js';
import { findUserGrant, grantById, listOrganizationGrants, listUserGrants } from './oauth.repository.js';

function toGrant(row: OAuthGrantRow) {
  return {
    id: row.id, clientId: row.client_id, clientName: row.client_name, scopes: JSON.parse(row.scopes) as string[], resource: row.resource,
    organizationId: row.organization_id, userId: row.user_id, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at,
  };
}

/** Connected apps: a user's OAuth grants, and the grants limited to an organization for its admins. */
export function oauthGrantRoutes(deps: AppDeps, r: Router = Router()): Router {
  bind(r, deps, ROUTES.listOAuthGrants, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    // A pinned credential sees only what belongs to its organization.
    const rows = await listUserGrants(deps.db, { userId: user.id, pin: pinOf(principal) ?? null, cursor: cursor ?? null, limit });
    const { items, pagination } = page(rows, limit);
    return { data: items.map(toGrant), pagination };
  });

  bind(r, deps, ROUTES.revokeOAuthGrant, async (ctx) => {
    const principal = principalOf(ctx);
    const row = await findUserGrant(deps.db, { grantId: ctx.params['grantId'] ?? '', userId: userOf(ctx).id, pin: pinOf(principal) ?? null });
    if (!row) throw new HttpError('NOT_FOUND', 'No such connected app');
    const now = deps.clock.now();
    await deps.db.transaction().execute((trx) => revokeGrant(trx, row.id, now, 'revoked by the user'));
    const after = await grantById(deps.db, row.id);
    return { data: toGrant(after ?? row) };
  });

  bind(r, deps, ROUTES.listOrganizationOAuthGrants, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const { items, pagination } = page(await listOrganizationGrants(deps.db, { organizationId, cursor: cursor ?? null, limit }), limit);
    return { data: items.map(toGrant), pagination };
  });
  return r;
}
