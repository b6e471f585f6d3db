import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { isUniqueViolation } from '../db/errors.js';
import type { TeamRow } from '../db/schema.js';
import { bind, membershipOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { decodeCursor, page } from '../http/pagination.js';
import { findMember } from '../members/members.repository.js';
import { deleteTeam, deleteTeamMember, insertTeam, insertTeamMember, listTeamMemberRows, listTeamRows, updateTeamColumns } from './teams.repository.js';
import { createTeam, findTeam, toTeam, toTeamMember } from './teams.service.js';

const SLUG_TAKEN = () => new HttpError('CONFLICT', 'That slug is taken in this organization', [{ field: 'slug', message: 'slug is taken' }]);

/** Teams of an organization and their members (`…/organizations/:organizationId/teams`). */
export function teamRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.listTeams, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const { items, pagination } = page(await listTeamRows(deps.db, organizationId, cursor, limit), limit);
    return { data: items.map(toTeam), pagination };
  });

  bind(r, deps, ROUTES.createTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toTeam(await createTeam(deps, organizationId, ctx.body)) };
  });

  bind(r, deps, ROUTES.getTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toTeam(await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '')) };
  });

  bind(r, deps, ROUTES.updateTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    const changes = {
      ...(ctx.body.name !== undefined ? { name: ctx.body.name.trim() } : {}),
      ...(ctx.body.slug !== undefined ? { slug: ctx.body.slug } : {}),
      updated_at: iso(deps.clock.now()),
    };
    try {
      await updateTeamColumns(deps.db, organizationId, existing.id, changes);
    } catch (err) {
      if (isUniqueViolation(err)) throw SLUG_TAKEN();
      throw err;
    }
    return { data: toTeam({ ...existing, ...changes }) };
  });

  bind(r, deps, ROUTES.deleteTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    // Team memberships (and whatever else hangs on the team) cascade.
    await deleteTeam(deps.db, organizationId, existing.id);
    return { data: { id: existing.id, deleted: true as const } };
  });

  bind(r, deps, ROUTES.listTeamMembers, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const { items, pagination } = page(await listTeamMemberRows(deps.db, team.id, cursor, limit), limit);
    return { data: items.map(toTeamMember), pagination };
  });

  bind(r, deps, ROUTES.addTeamMember, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    // Only members of the organization join its teams; anyone else is not found here.
    const member = await findMember(deps.db, organizationId, ctx.body.userId);
    if (!member) throw new HttpError('NOT_FOUND', 'No such member in this organization', [{ field: 'userId', message: 'not a member of this organization' }]);
    const row = { team_id: team.id, user_id: member.user_id, role: ctx.body.role ?? 'member', created_at: iso(deps.clock.now()) };
    try {
      await insertTeamMember(deps.db, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new HttpError('CONFLICT', 'Already a member of this team', [{ field: 'userId', message: 'already in the team' }]);
      throw err;
    }
    return { data: toTeamMember({ ...row, email: member.email, full_name: member.full_name }) };
  });

  bind(r, deps, ROUTES.removeTeamMember, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    const userId = ctx.params['userId'] ?? '';
    if (!(await deleteTeamMember(deps.db, team.id, userId))) throw new HttpError('NOT_FOUND', 'No such member in this team');
    return { data: { teamId: team.id, userId, removed: true as const } };
  });

  return r;
}
