import type { DB } from '../db/database.js';
import type { TeamRow } from '../db/schema.js';
import { HttpError } from '../http/http-error.js';
import { findOrgTeam, type TeamMemberView } from './teams.repository.js';

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
