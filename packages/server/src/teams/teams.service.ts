import type { DB } from '../db/database.js';
import type { TeamRow } from '../db/schema.js';
import type { AppDeps } from '../deps.js';
import { isUniqueViolation } from '../db/errors.js';
import { ulid } from '../db/ids.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { findOrgTeam, insertTeam, type TeamMemberView } from './teams.repository.js';

export function toTeam(row: TeamRow) {
  return { id: row.id, organizationId: row.organization_id, name: row.name, slug: row.slug, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function toTeamMember(row: Omit<TeamMemberView, 'role'> & { role: string }) {
  return { userId: row.user_id, email: row.email, fullName: row.full_name, role: row.role as 'admin' | 'member', addedAt: row.created_at };
}

/** The team of a tenant path, or 404: another organization's team answers as a missing one. */
export async function findTeam(db: DB, organizationId: string, teamId: string): Promise<TeamRow> {
  const row = await findOrgTeam(db, organizationId, teamId);
  if (!row) throw new HttpError('NOT_FOUND', 'No such team in this organization');
  return row;
}

/** Creates a team (the API and the console's form); a slug already used in the organization is a CONFLICT. */
export async function createTeam(deps: AppDeps, organizationId: string, input: { name: string; slug?: string | undefined }): Promise<TeamRow> {
  const now = deps.clock.now();
  const row: TeamRow = { id: ulid(now.getTime()), organization_id: organizationId, name: input.name.trim(), slug: input.slug ?? null, created_at: iso(now), updated_at: iso(now) };
  try {
    await insertTeam(deps.db, row);
  } catch (err) {
    if (isUniqueViolation(err)) throw new HttpError('CONFLICT', 'That slug is taken in this organization', [{ field: 'slug', message: 'slug is taken' }]);
    throw err;
  }
  return row;
}
