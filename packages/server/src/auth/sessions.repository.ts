import type { DB } from '../db/database.js';
import type { SessionRow } from '../db/schema.js';
import { iso } from '../time/clock.js';

/** Storage of sessions as their owner manages them (creation and authentication are in sessions.ts). */

export async function findSession(db: DB, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A user's sessions still usable at `now`, newest first (at most 100). */
export async function liveSessions(db: DB, userId: string, now: Date): Promise<SessionRow[]> {
  return db.selectFrom('sessions').selectAll()
    .where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', iso(now))
    .orderBy('created_at', 'desc').limit(100).execute();
}

/** Ends one session; with `userId` only if it is that user's. True when it was still running. */
export async function revokeSession(db: DB, id: string, now: Date, userId?: string): Promise<boolean> {
  let q = db.updateTable('sessions').set({ revoked_at: iso(now) }).where('id', '=', id);
  if (userId !== undefined) q = q.where('user_id', '=', userId).where('revoked_at', 'is', null);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
