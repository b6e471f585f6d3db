import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import type { ProjectRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { creditBalance, debitCredits } from '../billing/credits.repository.js';
import { findOrgProject, insertProject } from './projects.repository.js';
import { record } from '../audit/audit.js';

export function toProject(row: ProjectRow) {
  return { id: row.id, organizationId: row.organization_id, name: row.name, description: row.description, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** A project of the organization, or 404: someone else's project, or none, is the same 404. */
export async function findProject(db: DB, organizationId: string, projectId: string): Promise<ProjectRow> {
  const row = await findOrgProject(db, organizationId, projectId);
  if (!row) throw new HttpError('NOT_FOUND', 'No such project in this organization');
  return row;
}

/** Creates a project and pays its cost in credits: debit and insert commit together or not at all. */
export async function createProject(deps: AppDeps, organizationId: string, input: { name: string; description?: string | undefined }): Promise<ProjectRow> {
  const name = input.name.trim();
  const cost = deps.config.creditCosts['projects.create'] ?? 0;
  const now = deps.clock.now();
  const row: ProjectRow = { id: ulid(now.getTime()), organization_id: organizationId, name, description: input.description ?? '', created_at: iso(now), updated_at: iso(now) };
  const paid = await deps.db.transaction().execute(async (trx) => {
    const balance = await debitCredits(trx, { organizationId, amount: cost, description: `Project "${name}" created`, now });
    if (balance === null) return false;
    await insertProject(trx, row);
    await record(trx, { now, action: 'project.created', organizationId, target: { type: 'project', id: row.id }, detail: { name }, event: toProject(row) });
    return true;
  });
  if (!paid) {
    const available = await creditBalance(deps.db, organizationId);
    throw new HttpError('INSUFFICIENT_CREDITS', `Creating a project costs ${cost} credit${cost === 1 ? '' : 's'}; the organization has ${available}`, [
      { field: 'credits', message: `required ${cost}, available ${available}` },
    ]);
  }
  return row;
}
