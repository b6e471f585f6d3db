import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { isUniqueViolation } from '../db/errors.js';
import { bind, pinOf, principalOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { createOrganization, toOrganization } from '../orgs/orgs.service.js';
import type { Role } from '@acct/shared';
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
        await deps.db.updateTable('users').set({ ...changes, updated_at: now }).where('id', '=', user.id).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new HttpError('CONFLICT', 'That handle is taken', [{ field: 'handle', message: 'handle is taken' }]);
        throw err;
      }
    }
    const row = await deps.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    return { data: await userView(deps.db, row) };
  });

  bind(r, deps, ROUTES.listOrganizations, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    let q = deps.db
      .selectFrom('memberships').innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
      .selectAll('organizations').select('memberships.role')
      .where('memberships.user_id', '=', user.id).orderBy('organizations.id');
    // A pinned key sees only its organization.
    const pin = pinOf(principal);
    if (pin) q = q.where('organizations.id', '=', pin);
    const rows = await q.execute();
    return { data: rows.map((row) => toOrganization(row, row.role as Role)) };
  });

  bind(r, deps, ROUTES.createOrganization, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    // A pinned key acts only inside its organization: it cannot make another one.
    if (pinOf(principal))
      throw new HttpError('ORGANIZATION_MISMATCH', 'The token is pinned to an organization: it cannot create organizations');
    const name = ctx.body.name.trim();
    // A slug derived from the name can be taken by a concurrent creation between pick and
    // insert: pick again. A slug the caller chose is theirs to change: CONFLICT at once.
    for (let attempt = 1; ; attempt++) {
      try {
        const row = await deps.db.transaction().execute((trx) => createOrganization(trx, { name, slug: ctx.body.slug, ownerId: user.id, now: deps.clock.now() }));
        return { data: toOrganization(row, 'owner') };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (ctx.body.slug !== undefined || attempt >= 5) throw new HttpError('CONFLICT', 'That slug is taken', [{ field: 'slug', message: 'slug is taken' }]);
      }
    }
  });

  return r;
}
