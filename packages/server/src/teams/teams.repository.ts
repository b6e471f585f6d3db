import type { DB } from '../db/database.js';
import type { TeamMemberRow, TeamRow } from '../db/schema.js';

/** Storage of teams and their members. */

export interface TeamMemberView {
  user_id: string;
  email: string;
  full_name: string;
  role: string;
  created_at: string;
}

/** The team inside that organization, or undefined (another organization's team is not there). */
export async function findOrgTeam(db: DB, organizationId: string, teamId: string): Promise<TeamRow | undefined> {
  return db.selectFrom('teams').selectAll().where('organization_id', '=', organizationId).where('id', '=', teamId).executeTakeFirst();
}

/** One keyset page (`limit + 1` rows, by id) of an organization's teams. */
export async function listTeamRows(db: DB, organizationId: string, cursor: string | null, limit: number): Promise<TeamRow[]> {
  let q = db.selectFrom('teams').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(limit + 1);
  if (cursor) q = q.where('id', '>', cursor);
  return q.execute();
}

/** Inserts a team; a taken slug fails with the unique index's error. */
export async function insertTeam(db: DB, row: TeamRow): Promise<void> {
  await db.insertInto('teams').values(row).execute();
}

export async function updateTeamColumns(db: DB, organizationId: string, id: string, changes: Partial<Pick<TeamRow, 'name' | 'slug' | 'updated_at'>>): Promise<void> {
  await db.updateTable('teams').set(changes).where('id', '=', id).where('organization_id', '=', organizationId).execute();
}

/** Deletes a team; its memberships and keys cascade. */
export async function deleteTeam(db: DB, organizationId: string, id: string): Promise<void> {
  await db.deleteFrom('teams').where('id', '=', id).where('organization_id', '=', organizationId).execute();
}

/** One keyset page (`limit + 1` rows, by user id) of a team's members. */
export async function listTeamMemberRows(db: DB, teamId: string, cursor: string | null, limit: number): Promise<(TeamMemberView & { id: string })[]> {
  let q = db
    .selectFrom('team_members').innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['team_members.user_id as id', 'team_members.user_id', 'users.email', 'users.full_name', 'team_members.role', 'team_members.created_at'])
    .where('team_members.team_id', '=', teamId).orderBy('team_members.user_id').limit(limit + 1);
  if (cursor) q = q.where('team_members.user_id', '>', cursor);
  return q.execute();
}

/** Adds a member to a team; a second add fails with the unique index's error. */
export async function insertTeamMember(db: DB, row: TeamMemberRow): Promise<void> {
  await db.insertInto('team_members').values(row).execute();
}

/** Removes a member from a team; true when they were in it. */
export async function deleteTeamMember(db: DB, teamId: string, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** A user's role in a team, or undefined when they are not in it. */
export async function teamRole(db: DB, teamId: string, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role;
}

/** The organization of a team the user is a member of, or undefined when they are not in it. */
export async function teamOfMember(db: DB, teamId: string, userId: string): Promise<{ organization_id: string } | undefined> {
  return db
    .selectFrom('team_members').innerJoin('teams', 'teams.id', 'team_members.team_id').select(['teams.organization_id'])
    .where('team_members.team_id', '=', teamId).where('team_members.user_id', '=', userId)
    .executeTakeFirst();
}
