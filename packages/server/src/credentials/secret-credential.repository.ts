import type { DB } from '../db/database.js';
import { iso } from '../time/clock.js';
import type { SecretCredentialColumns } from './secret-credential.js';

/** The tables that hold secret credentials; each has every column of `SecretCredentialColumns`. */
export type SecretTable = 'api_keys' | 'team_keys';

type RotationChanges = Pick<SecretCredentialColumns, 'secret_hash' | 'start' | 'previous_secret_hash' | 'previous_expires_at' | 'rotated_at' | 'updated_at'>;

/**
 * Writes a rotation as a compare-and-swap on the secret the caller read: of parallel rotations
 * exactly one writes (true); the others must not hand out a secret that no longer works.
 */
export async function swapSecret(db: DB, table: SecretTable, id: string, readHash: string, changes: RotationChanges): Promise<boolean> {
  const swapped = await db.updateTable(table).set(changes)
    .where('id', '=', id).where('secret_hash', '=', readHash).where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(swapped.numUpdatedRows) === 1;
}

/**
 * Revokes a credential for good (the row stays, with its history). With `readHash` only while
 * the secret is still the one the caller verified (a leak report must not revoke a rotated key).
 * True when this call revoked it.
 */
export async function revokeSecret(db: DB, table: SecretTable, id: string, now: Date, readHash?: string): Promise<boolean> {
  let q = db.updateTable(table).set({ revoked_at: iso(now), updated_at: iso(now) }).where('id', '=', id).where('revoked_at', 'is', null);
  if (readHash !== undefined) q = q.where('secret_hash', '=', readHash);
  const revoked = await q.executeTakeFirst();
  return Number(revoked.numUpdatedRows) === 1;
}

/** Ends a running grace period of the previous secret now; true when it was still running. */
export async function endGrace(db: DB, table: SecretTable, id: string, previousHash: string, now: Date): Promise<boolean> {
  const ended = await db.updateTable(table).set({ previous_expires_at: iso(now), updated_at: iso(now) })
    .where('id', '=', id).where('previous_secret_hash', '=', previousHash).where('previous_expires_at', '>', iso(now))
    .executeTakeFirst();
  return Number(ended.numUpdatedRows) === 1;
}

/** Records a use (time and IP); bookkeeping, so callers do not wait for it. */
export function recordUse(db: DB, table: SecretTable, id: string, now: Date, ip: string | null): Promise<unknown> {
  return db.updateTable(table).set({ last_used_at: iso(now), last_used_ip: ip }).where('id', '=', id).execute();
}
