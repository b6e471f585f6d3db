import { Router } from 'express';
import { ROUTES, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { decodeCursor, page } from '../http/pagination.js';
import { createTeamKey, findTeam, requireTeamAdmin, revokeTeamKey, rotateTeamKey, toTeamKey } from './team-keys.service.js';

/** Team keys (`…/teams/:teamId/keys`): created, revoked and rotated by team admins. */
export function teamKeyRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.createTeamKey, async (ctx) => {
    const { organizationId, role } = membershipOf(ctx);
    const user = userOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    await requireTeamAdmin(deps.db, { teamId: team.id, userId: user.id, orgRole: role });
    const { row, key } = await createTeamKey(deps, {
      organizationId, teamId: team.id, createdBy: user.id, name: ctx.body.name, scopes: ctx.body.scopes as Scope[], expiresIn: ctx.body.expiresIn ?? null,
    });
    return { data: { ...toTeamKey(row, deps.clock.now()), key } };
  });

  bind(r, deps, ROUTES.listTeamKeys, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const now = iso(deps.clock.now());
    let q = deps.db.selectFrom('team_keys').selectAll().where('team_id', '=', team.id).orderBy('id', 'desc').limit(limit + 1);
    if (cursor) q = q.where('id', '<', cursor);
    if (ctx.query.status === 'revoked') q = q.where('revoked_at', 'is not', null);
    if (ctx.query.status === 'expired') q = q.where('revoked_at', 'is', null).where('expires_at', '<=', now);
    if (ctx.query.status === 'active') q = q.where('revoked_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    if (ctx.query.status === 'disabled') q = q.where('id', '=', ''); // team keys are never disabled, only revoked
    const { items, pagination } = page(await q.execute(), limit);
    const at = deps.clock.now();
    return { data: items.map((row) => toTeamKey(row, at)), pagination };
  });

  bind(r, deps, ROUTES.revokeTeamKey, async (ctx) => {
    const { organizationId, role } = membershipOf(ctx);
    const user = userOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    await requireTeamAdmin(deps.db, { teamId: team.id, userId: user.id, orgRole: role });
    const row = await revokeTeamKey(deps, team.id, ctx.params['keyId'] ?? '');
    return { data: toTeamKey(row, deps.clock.now()) };
  });

  bind(r, deps, ROUTES.rotateTeamKey, async (ctx) => {
    const { organizationId, role } = membershipOf(ctx);
    const user = userOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    await requireTeamAdmin(deps.db, { teamId: team.id, userId: user.id, orgRole: role });
    const { row, key } = await rotateTeamKey(deps, team.id, ctx.params['keyId'] ?? '', ctx.body.gracePeriod ?? 0, ctx.arrivedAt);
    return { data: { ...toTeamKey(row, deps.clock.now()), key } };
  });

  return r;
}
