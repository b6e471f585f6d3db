import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { insertKeyEvent, unrevokedKeys } from '../keys/keys.repository.js';
import { revokeSecret } from '../credentials/secret-credential.repository.js';
import { revokeUserGrants } from '../oauth/grants.js';

/**
 * Account pre-hijacking (Sudhodanan & Paverd 2022): anyone may sign up with an address they do
 * not own (verification is optional) and mint sessions and PATs before the owner shows up. So
 * proving the mailbox (a reset link, a verification link, an invitation token) ends every
 * credential created while the address was unproven.
 *
 * Which credentials are "created while the address was unproven" is decided by comparing each
 * credential's `created_at` with the account's `email_verified_at`, not by a flag column on each
 * credential:
 * - every credential table already has `created_at`, so sessions, PATs and the OAuth grants of
 *   phase 2 need no schema change and no extra write at creation (the PAT and session creation
 *   paths stay as they are), and a new credential table joins by adding one statement below;
 * - when the address has never been proven (`email_verified_at` null), every credential the user
 *   holds was created while it was unproven, so a first proof ends them all, whatever the clocks
 *   say; the comparison only matters afterwards, and then strictly: a credential created at or
 *   after the proof was created by someone who had proven the mailbox or knew the password set
 *   after it;
 * - credentials that outlived a verification under older versions (made before
 *   `email_verified_at`) are recognised too, and end at the next proof (a reset).
 * Team keys (`bt_`) are not touched: they belong to a team, not to the address.
 */

type Db = Kysely<Database>;

export interface EndedCredentials {
  sessions: number;
  keys: number;
}

export interface ProofOptions {
  userId: string;
  /** The address the mailed token was bound to: nothing is proven if the account moved away from it. */
  email: string;
  now: Date;
  /** End every live session, not only the unproven ones (a reset). */
  allSessions?: boolean;
  /** End every PAT, not only the unproven ones (`revokeKeys: true`). */
  allKeys?: boolean;
  /** The credential that presented the proof (an invitation accepted while signed in) survives. */
  keep?: { sessionId?: string; keyId?: string };
  /** Why, for the key events. */
  reason: string;
}

/**
 * Records that the user proved the mailbox of `email` and ends the credentials created while it
 * was unproven (and more, when asked). Run it inside the transaction that consumes the token.
 * Returns null when the account no longer uses `email` (nothing changed), else how many live
 * sessions and keys ended.
 */
export async function proveMailbox(trx: Db, opts: ProofOptions): Promise<EndedCredentials | null> {
  const now = iso(opts.now);
  // The update takes the user's row lock first (PostgreSQL), so two proofs run one after another.
  const touched = await trx.updateTable('users').set({ updated_at: now }).where('id', '=', opts.userId).where('email', '=', opts.email).executeTakeFirst();
  if (Number(touched.numUpdatedRows) !== 1) return null;
  const user = await trx.selectFrom('users').select('email_verified_at').where('id', '=', opts.userId).executeTakeFirstOrThrow();
  const provenSince = user.email_verified_at;

  let sessions = trx.updateTable('sessions').set({ revoked_at: now })
    .where('user_id', '=', opts.userId).where('revoked_at', 'is', null).where('expires_at', '>', now);
  if (!opts.allSessions && provenSince) sessions = sessions.where('created_at', '<', provenSince);
  if (opts.keep?.sessionId) sessions = sessions.where('id', '!=', opts.keep.sessionId);
  const endedSessions = Number((await sessions.executeTakeFirst()).numUpdatedRows);

  const endedKeys = await revokeKeys(trx, opts.userId, opts.now, opts.reason, {
    ...(!opts.allKeys && provenSince ? { createdBefore: provenSince } : {}), ...(opts.keep?.keyId ? { except: opts.keep.keyId } : {}),
  });

  if (!provenSince) await trx.updateTable('users').set({ email_verified_at: now }).where('id', '=', opts.userId).execute();
  return { sessions: endedSessions, keys: endedKeys };
}

/**
 * Revokes a user's PATs (all, or those created before `createdBefore`), each with a key event,
 * and the user's OAuth grants on the same terms (an app's grant is a key the user handed out).
 * Returns how many PATs were still usable (expired ones are revoked too, but not counted).
 */
export async function revokeKeys(trx: Db, userId: string, now: Date, reason: string, only: { createdBefore?: string; except?: string } = {}): Promise<number> {
  const at = iso(now);
  await revokeUserGrants(trx, userId, now, reason, only.createdBefore ? { createdBefore: only.createdBefore } : {});
  let live = 0;
  for (const key of await unrevokedKeys(trx, userId, only)) {
    await revokeSecret(trx, 'api_keys', key.id, now);
    await insertKeyEvent(trx, { keyId: key.id, userId, kind: 'revoked', detail: reason, ip: null, now });
    if (!key.expires_at || key.expires_at > at) live++;
  }
  return live;
}
