import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, userOf } from '../http/bind.js';
import { decodeCursor, page } from '../http/pagination.js';
import { forcePasswordReset, requirePlatformAdmin, searchUsers, setActive, toAdminUser } from './admin.service.js';

/** Platform administration (`/api/admin`): session-only, platform admins only. */
export function adminRoutes(deps: AppDeps, r: Router = Router()): Router {
  bind(r, deps, ROUTES.adminListUsers, async (ctx) => {
    requirePlatformAdmin(userOf(ctx));
    const limit = ctx.query.limit ?? 20;
    const rows = await searchUsers(deps, { q: ctx.query.q, limit, cursor: decodeCursor(ctx.query.cursor) });
    const { items, pagination } = page(rows, limit);
    return { data: items.map(toAdminUser), pagination };
  });

  for (const [contract, act] of [
    [ROUTES.adminDisableUser, (admin: Parameters<typeof setActive>[1], id: string) => setActive(deps, admin, id, false)],
    [ROUTES.adminEnableUser, (admin: Parameters<typeof setActive>[1], id: string) => setActive(deps, admin, id, true)],
    [ROUTES.adminForcePasswordReset, (admin: Parameters<typeof setActive>[1], id: string) => forcePasswordReset(deps, admin, id)],
  ] as const) {
    bind(r, deps, contract, async (ctx) => {
      const { user, revokedSessions } = await act(userOf(ctx), String(ctx.params['userId']));
      return { data: { user: toAdminUser(user), revokedSessions } };
    });
  }
  return r;
}
