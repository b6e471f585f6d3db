import { Router } from 'express';
import { ROUTES, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf, userOf } from '../http/bind.js';
import { decodeCursor } from '../http/pagination.js';
import { findTeam } from '../teams/teams.service.js';
import { createTeamKey, listTeamKeys, requireTeamAdmin, revokeTeamKey, rotateTeamKey, toTeamKey } from './team-keys.service.js';

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
    return listTeamKeys(deps, { teamId: team.id, cursor: decodeCursor(ctx.query.cursor), limit, status: ctx.query.status });
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
