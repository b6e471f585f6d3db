import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { deleteProject, listProjects, updateProjectColumns } from './projects.repository.js';
import { createProject, findProject, toProject } from './projects.service.js';
import { record } from '../audit/audit.js';

/** Projects of an organization (`/api/user/organizations/:organizationId/projects`). */
export function projectRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.listProjects, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const { items, pagination } = await listProjects(deps.db, {
      organizationId, sort: ctx.query.sort ?? 'createdAt', name: ctx.query.name, limit: ctx.query.limit ?? 20, cursor: ctx.query.cursor,
    });
    return { data: items.map(toProject), pagination };
  });

  bind(r, deps, ROUTES.createProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toProject(await createProject(deps, organizationId, ctx.body)) };
  });

  bind(r, deps, ROUTES.getProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toProject(await findProject(deps.db, organizationId, ctx.params['projectId'] ?? '')) };
  });

  bind(r, deps, ROUTES.updateProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await findProject(deps.db, organizationId, ctx.params['projectId'] ?? '');
    const name = ctx.body.name?.trim();
    const changes = { ...(name !== undefined ? { name } : {}), ...(ctx.body.description !== undefined ? { description: ctx.body.description } : {}), updated_at: iso(deps.clock.now()) };
    await deps.db.transaction().execute(async (trx) => {
      await updateProjectColumns(trx, organizationId, existing.id, changes);
      await record(trx, { action: 'project.updated', organizationId, target: { type: 'project', id: existing.id }, detail: { fields: Object.keys(ctx.body) }, event: toProject({ ...existing, ...changes }) });
    });
    return { data: toProject({ ...existing, ...changes }) };
  });

  bind(r, deps, ROUTES.deleteProject, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await findProject(deps.db, organizationId, ctx.params['projectId'] ?? '');
    await deps.db.transaction().execute(async (trx) => {
      await deleteProject(trx, organizationId, existing.id);
      await record(trx, { action: 'project.deleted', organizationId, target: { type: 'project', id: existing.id }, detail: { name: existing.name } });
    });
    return { data: { id: existing.id, deleted: true as const } };
  });

  return r;
}
