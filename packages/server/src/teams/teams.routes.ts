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
import { findMember } from '../members/members.service.js';

export function toTeam(row: TeamRow) {
  return { id: row.id, organizationId: row.organization_id, name: row.name, slug: row.slug, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toTeamMember(row: { user_id: string; email: string; full_name: string; role: string; created_at: string }) {
  return { userId: row.user_id, email: row.email, fullName: row.full_name, role: row.role as 'admin' | 'member', addedAt: row.created_at };
}

const SLUG_TAKEN = () => new HttpError('CONFLICT', 'That slug is taken in this organization', [{ field: 'slug', message: 'slug is taken' }]);

/** The team of an organization, or 404: another organization's team answers as a missing one. */
export async function findTeam(deps: AppDeps, organizationId: string, teamId: string): Promise<TeamRow> {
  const row = await deps.db.selectFrom('teams').selectAll().where('organization_id', '=', organizationId).where('id', '=', teamId).executeTakeFirst();
  if (!row) throw new HttpError('NOT_FOUND', 'No such team in this organization');
  return row;
}

/** Teams of an organization and their members (`…/organizations/:organizationId/teams`). */
export function teamRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.listTeams, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    let q = deps.db.selectFrom('teams').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(limit + 1);
    if (cursor) q = q.where('id', '>', cursor);
    const { items, pagination } = page(await q.execute(), limit);
    return { data: items.map(toTeam), pagination };
  });

  bind(r, deps, ROUTES.createTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const now = deps.clock.now();
    const row: TeamRow = { id: ulid(now.getTime()), organization_id: organizationId, name: ctx.body.name.trim(), slug: ctx.body.slug ?? null, created_at: iso(now), updated_at: iso(now) };
    try {
      await deps.db.insertInto('teams').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw SLUG_TAKEN();
      throw err;
    }
    return { data: toTeam(row) };
  });

  bind(r, deps, ROUTES.getTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toTeam(await findTeam(deps, organizationId, ctx.params['teamId'] ?? '')) };
  });

  bind(r, deps, ROUTES.updateTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await findTeam(deps, organizationId, ctx.params['teamId'] ?? '');
    const changes = {
      ...(ctx.body.name !== undefined ? { name: ctx.body.name.trim() } : {}),
      ...(ctx.body.slug !== undefined ? { slug: ctx.body.slug } : {}),
      updated_at: iso(deps.clock.now()),
    };
    try {
      await deps.db.updateTable('teams').set(changes).where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw SLUG_TAKEN();
      throw err;
    }
    return { data: toTeam({ ...existing, ...changes }) };
  });

  bind(r, deps, ROUTES.deleteTeam, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await findTeam(deps, organizationId, ctx.params['teamId'] ?? '');
    // Team memberships (and whatever else hangs on the team) cascade.
    await deps.db.deleteFrom('teams').where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
    return { data: { id: existing.id, deleted: true as const } };
  });

  bind(r, deps, ROUTES.listTeamMembers, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps, organizationId, ctx.params['teamId'] ?? '');
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    let q = deps.db
      .selectFrom('team_members').innerJoin('users', 'users.id', 'team_members.user_id')
      .select(['team_members.user_id as id', 'team_members.user_id', 'users.email', 'users.full_name', 'team_members.role', 'team_members.created_at'])
      .where('team_members.team_id', '=', team.id).orderBy('team_members.user_id').limit(limit + 1);
    if (cursor) q = q.where('team_members.user_id', '>', cursor);
    const { items, pagination } = page(await q.execute(), limit);
    return { data: items.map(toTeamMember), pagination };
  });

  bind(r, deps, ROUTES.addTeamMember, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps, organizationId, ctx.params['teamId'] ?? '');
    // Only members of the organization join its teams; anyone else is not found here.
    const member = await findMember(deps.db, organizationId, ctx.body.userId);
    if (!member) throw new HttpError('NOT_FOUND', 'No such member in this organization', [{ field: 'userId', message: 'not a member of this organization' }]);
    const row = { team_id: team.id, user_id: member.user_id, role: ctx.body.role ?? 'member', created_at: iso(deps.clock.now()) };
    try {
      await deps.db.insertInto('team_members').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new HttpError('CONFLICT', 'Already a member of this team', [{ field: 'userId', message: 'already in the team' }]);
      throw err;
    }
    return { data: toTeamMember({ ...row, email: member.email, full_name: member.full_name }) };
  });

  bind(r, deps, ROUTES.removeTeamMember, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps, organizationId, ctx.params['teamId'] ?? '');
    const userId = ctx.params['userId'] ?? '';
    const result = await deps.db.deleteFrom('team_members').where('team_id', '=', team.id).where('user_id', '=', userId).executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) throw new HttpError('NOT_FOUND', 'No such member in this team');
    return { data: { teamId: team.id, userId, removed: true as const } };
  });

  return r;
}
