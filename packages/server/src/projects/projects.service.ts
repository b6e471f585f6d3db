import type { AppDeps } from '../deps.js';
import type { ProjectRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { creditBalance, debitCredits } from '../orgs/orgs.service.js';

/** Creates a project, paying its credits in the same transaction (402 when the balance is short). */
export async function createProject(deps: AppDeps, organizationId: string, input: { name: string; description?: string | undefined }): Promise<ProjectRow> {
  const name = input.name.trim();
  const cost = deps.config.creditCosts['projects.create'] ?? 0;
  const now = deps.clock.now();
  const row: ProjectRow = { id: ulid(now.getTime()), organization_id: organizationId, name, description: input.description ?? '', created_at: iso(now), updated_at: iso(now) };
  // Debit and insert commit together or not at all.
  const paid = await deps.db.transaction().execute(async (trx) => {
    const balance = await debitCredits(trx, { organizationId, amount: cost, description: `Project "${name}" created`, now });
    if (balance === null) return false;
    await trx.insertInto('projects').values(row).execute();
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
