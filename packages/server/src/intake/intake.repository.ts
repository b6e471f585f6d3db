import type { DB } from '../db/database.js';
import type { IntakeEventRow } from '../db/schema.js';

/** Storage of intake events (payloads delivered to a team). */

export async function insertIntakeEvent(db: DB, row: IntakeEventRow): Promise<void> {
  await db.insertInto('intake_events').values(row).execute();
}

/** One keyset page (`limit + 1` rows, newest first) of what a team received. */
export async function listIntakeEvents(db: DB, teamId: string, cursor: string | null, limit: number): Promise<IntakeEventRow[]> {
  let q = db.selectFrom('intake_events').selectAll().where('team_id', '=', teamId).orderBy('id', 'desc').limit(limit + 1);
  if (cursor) q = q.where('id', '<', cursor);
  return q.execute();
}
