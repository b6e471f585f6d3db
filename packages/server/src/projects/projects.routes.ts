import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { ProjectRow } from '../db/schema.js';
import { bind, membershipOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { creditBalance, debitCredits } from '../orgs/orgs.service.js';
import { record } from '../audit/audit.js';
import { listProjects } from './project-list.js';

function toProject(row: ProjectRow) {
  return { id: row.id, organizationId: row.organization_id, name: row.name, description: row.description, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Projects of an organization (`/api/user/organizations/:organizationId/projects`). */
export function projectRoutes(deps: AppDeps, r: Router = Router()): Router {

  async function find(organizationId: string, projectId: string): Promise<ProjectRow> {
    const row = await deps.db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId).where('id', '=', projectId).executeTakeFirst();
    // Someone else's project, or none: the same 404.
    if (!row) throw new HttpError('NOT_FOUND', 'No such project in this organization');
    return row;
  }

  bind(r, deps, ROUTES.listProjects, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const { items, pagination } = await listProjects(deps.db, {
      organizationId, sort: ctx.query.sort ?? 'createdAt', name: ctx.query.name, limit: ctx.query.limit ?? 20, cursor: ctx.query.cursor,
    });
    return { data: items.map(toProject), pagination };
  });

  bind(r, deps, ROUTES.createProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const name = ctx.body.name.trim();
    const cost = deps.config.creditCosts['projects.create'] ?? 0;
    const now = deps.clock.now();
    const row: ProjectRow = { id: ulid(now.getTime()), organization_id: organizationId, name, description: ctx.body.description ?? '', created_at: iso(now), updated_at: iso(now) };
    // Debit and insert commit together or not at all.
    const paid = await deps.db.transaction().execute(async (trx) => {
      const balance = await debitCredits(trx, { organizationId, amount: cost, description: `Project "${name}" created`, now });
      if (balance === null) return false;
      await trx.insertInto('projects').values(row).execute();
      await record(trx, { action: 'project.created', organizationId, target: { type: 'project', id: row.id }, detail: { name }, event: toProject(row) });
      return true;
    });
    if (!paid) {
      const available = await creditBalance(deps.db, organizationId);
      throw new HttpError('INSUFFICIENT_CREDITS', `Creating a project costs ${cost} credit${cost === 1 ? '' : 's'}; the organization has ${available}`, [
        { field: 'credits', message: `required ${cost}, available ${available}` },
      ]);
    }
    return { data: toProject(row) };
  });

  bind(r, deps, ROUTES.getProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toProject(await find(organizationId, ctx.params['projectId'] ?? '')) };
  });

  bind(r, deps, ROUTES.updateProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await find(organizationId, ctx.params['projectId'] ?? '');
    const name = ctx.body.name?.trim();
    const changes = { ...(name !== undefined ? { name } : {}), ...(ctx.body.description !== undefined ? { description: ctx.body.description } : {}), updated_at: iso(deps.clock.now()) };
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('projects').set(changes).where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
      await record(trx, { action: 'project.updated', organizationId, target: { type: 'project', id: existing.id }, detail: { fields: Object.keys(ctx.body) }, event: toProject({ ...existing, ...changes }) });
    });
    return { data: toProject({ ...existing, ...changes }) };
  });

  bind(r, deps, ROUTES.deleteProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await find(organizationId, ctx.params['projectId'] ?? '');
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('projects').where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
      await record(trx, { action: 'project.deleted', organizationId, target: { type: 'project', id: existing.id }, detail: { name: existing.name } });
    });
    return { data: { id: existing.id, deleted: true as const } };
  });

  return r;
}
