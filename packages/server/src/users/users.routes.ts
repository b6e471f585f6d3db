import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { isUniqueViolation } from '../db/errors.js';
import { bind, pinOf, principalOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { createOwnOrganization, toOrganization } from '../orgs/orgs.service.js';
import type { Role } from '@acct/shared';
import { findUser, updateUserColumns, userOrganizations } from './users.repository.js';
import { userView } from './users.service.js';

/** The signed-in account and its organizations (`/api/user`). */
export function userRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.getMe, async (ctx) => ({ data: await userView(deps.db, userOf(ctx)) }));

  bind(r, deps, ROUTES.updateMe, async (ctx) => {
    const user = userOf(ctx);
    const { name, handle } = ctx.body;
    const now = iso(deps.clock.now());
    const changes = { ...(name !== undefined ? { full_name: name.trim() } : {}), ...(handle !== undefined ? { handle } : {}) };
    if (Object.keys(changes).length > 0) {
      try {
        await updateUserColumns(deps.db, user.id, { ...changes, updated_at: now });
      } catch (err) {
        if (isUniqueViolation(err)) throw new HttpError('CONFLICT', 'That handle is taken', [{ field: 'handle', message: 'handle is taken' }]);
        throw err;
      }
    }
    const row = await findUser(deps.db, user.id);
    if (!row) throw new HttpError('NOT_FOUND', 'No such user');
    return { data: await userView(deps.db, row) };
  });

  bind(r, deps, ROUTES.listOrganizations, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    // A pinned key sees only its organization.
    const rows = await userOrganizations(deps.db, user.id, pinOf(principal));
    return { data: rows.map((row) => toOrganization(row, row.role as Role)) };
  });

  bind(r, deps, ROUTES.createOrganization, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    // A pinned key acts only inside its organization: it cannot make another one.
    if (pinOf(principal))
      throw new HttpError('ORGANIZATION_MISMATCH', 'The token is pinned to an organization: it cannot create organizations');
    const row = await createOwnOrganization(deps, { name: ctx.body.name.trim(), slug: ctx.body.slug, ownerId: user.id });
    return { data: toOrganization(row, 'owner') };
  });

  return r;
}
