import { issueToken, parseToken } from '@acct/shared';
import type { DB } from '../db/database.js';
import type { EmailTokenRow } from '../db/schema.js';
import { addSeconds, iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';
import { sha256 } from './hashing.js';

export type EmailPurpose = 'verify-email' | 'reset-password' | 'change-email';

/** Lifetimes (SECURITY: reset ≤ 30 minutes, verify ≤ 24 hours). */
export const EMAIL_TOKEN_SECONDS: Record<EmailPurpose, number> = {
  'verify-email': 24 * 3600,
  'reset-password': 30 * 60,
  /** A new address for the account (the console's email change): as long as a verification. */
  'change-email': 24 * 3600,
};

/**
 * Issues a mailed single-use token bound to user, purpose and address; voids older ones.
 * `alsoIn` runs in the same transaction (the audit row of the request it starts).
 */
export async function issueEmailToken(
  db: DB, input: { userId: string; email: string; purpose: EmailPurpose; now: Date }, alsoIn?: (trx: DB) => Promise<void>,
): Promise<string> {
  const token = issueToken('emailLink').token;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('email_tokens').set({ consumed_at: iso(input.now) })
      .where('user_id', '=', input.userId).where('purpose', '=', input.purpose).where('consumed_at', 'is', null)
      .execute();
    await trx
      .insertInto('email_tokens')
      .values({
        id: ulid(input.now.getTime()), token_hash: sha256(token), user_id: input.userId, purpose: input.purpose, email: input.email,
        expires_at: iso(addSeconds(input.now, EMAIL_TOKEN_SECONDS[input.purpose])), consumed_at: null, created_at: iso(input.now),
      })
      .execute();
    if (alsoIn) await alsoIn(trx);
  });
  return token;
}

/** A live token of this purpose, without consuming it (for the confirmation page). */
export async function peekEmailToken(db: DB, token: string, purpose: EmailPurpose, now: Date): Promise<EmailTokenRow | null> {
  if (!parseToken(token, 'emailLink')) return null;
  const row = await db
    .selectFrom('email_tokens').selectAll()
    .where('token_hash', '=', sha256(token)).where('purpose', '=', purpose).where('consumed_at', 'is', null)
    .where('expires_at', '>', iso(now))
    .executeTakeFirst();
  return row ?? null;
}

/** Consumes a token atomically: of two concurrent uses exactly one wins. */
export async function consumeEmailToken(db: DB, token: string, purpose: EmailPurpose, now: Date): Promise<EmailTokenRow | null> {
  if (!parseToken(token, 'emailLink')) return null;
  const row = await db
    .updateTable('email_tokens')
    .set({ consumed_at: iso(now) })
    .where('token_hash', '=', sha256(token)).where('purpose', '=', purpose).where('consumed_at', 'is', null)
    .where('expires_at', '>', iso(now))
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}
