import type { DB } from '../db/database.js';
import type { TeamKeyRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import type { SecretStatus } from '../credentials/secret-credential.js';

/** Storage of team keys (`team_keys`) and the team lookups their routes need. */

export async function insertTeamKey(db: DB, row: TeamKeyRow): Promise<void> {
  await db.insertInto('team_keys').values(row).execute();
}

export async function findTeamKeyRow(db: DB, teamId: string, keyId: string): Promise<TeamKeyRow | undefined> {
  return db.selectFrom('team_keys').selectAll().where('id', '=', keyId).where('team_id', '=', teamId).executeTakeFirst();
}

export async function findTeamKeyByLookupId(db: DB, lookupId: string): Promise<TeamKeyRow | undefined> {
  return db.selectFrom('team_keys').selectAll().where('lookup_id', '=', lookupId).executeTakeFirst();
}

/** One keyset page (`limit + 1` rows, newest first) of a team's keys, optionally of one status at `now`. */
export async function listTeamKeyRows(
  db: DB,
  input: { teamId: string; cursor: string | null; limit: number; status?: SecretStatus | undefined; now: Date },
): Promise<TeamKeyRow[]> {
  // Team keys are never disabled, only revoked: that status lists nothing.
  if (input.status === 'disabled') return [];
  const now = iso(input.now);
  let q = db.selectFrom('team_keys').selectAll().where('team_id', '=', input.teamId).orderBy('id', 'desc').limit(input.limit + 1);
  if (input.cursor) q = q.where('id', '<', input.cursor);
  if (input.status === 'revoked') q = q.where('revoked_at', 'is not', null);
  if (input.status === 'expired') q = q.where('revoked_at', 'is', null).where('expires_at', '<=', now);
  if (input.status === 'active') q = q.where('revoked_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  return q.execute();
}
