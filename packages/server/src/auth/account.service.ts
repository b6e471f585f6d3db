import type { RouteContract } from '@acct/shared';
import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import type { UserRow } from '../db/schema.js';
import { isUniqueViolation } from '../db/errors.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { normalizeEmail } from '../users/users.service.js';
import { checkCredentials, checkNewPassword } from './auth.service.js';
import { consumeEmailToken, issueEmailToken, peekEmailToken } from './email-tokens.js';
import { hashPassword, verifyPassword } from './hashing.js';
import { proveMailbox, revokeKeys as revokeAllKeys, type EndedCredentials } from './mailbox-proof.js';
import { revokeSessions } from './sessions.js';
import { record } from '../audit/audit.js';

/*
 * Account changes a person makes with a password or a mailed link, shared by the JSON API
 * (auth.routes.ts, console.routes.ts) and the web console's forms (web/), so both run one code path.
 */

/** The console asks for the password again when the session is older than this (issue 17). */
export const CONSOLE_FRESH_SECONDS = 10 * 60;

/** When the session last proved the password: its sign-in, or a later re-authentication. */
export async function sessionFreshAt(deps: AppDeps, sessionId: string): Promise<Date> {
  const row = await deps.db.selectFrom('sessions').select(['created_at', 'reauthenticated_at']).where('id', '=', sessionId).executeTakeFirst();
  if (!row) throw new HttpError('INVALID_TOKEN', 'The session is invalid or has ended; sign in again');
  const created = new Date(row.created_at).getTime();
  const again = row.reauthenticated_at ? new Date(row.reauthenticated_at).getTime() : 0;
  return new Date(Math.max(created, again));
}

/** True when the session proved the password within `seconds`. */
export async function isFresh(deps: AppDeps, sessionId: string, seconds: number): Promise<boolean> {
  return deps.clock.now().getTime() - (await sessionFreshAt(deps, sessionId)).getTime() <= seconds * 1000;
}

/**
 * Re-authentication: the password again, under the sign-in's own rate limits and lockout
 * (checkCredentials), then the session counts as fresh from now.
 */
export async function reauthenticate(
  deps: AppDeps, user: UserRow, sessionId: string, password: string, from: { req: Request; res: Response; contract: RouteContract },
): Promise<Date> {
  await checkCredentials(deps, { email: user.email, password }, from);
  const now = deps.clock.now();
  await deps.db.updateTable('sessions').set({ reauthenticated_at: iso(now) }).where('id', '=', sessionId).execute();
  return now;
}

/**
 * Starts an email change: a single-use link to the new address (it must prove that mailbox) and
 * a notice to the old one, so an attacker holding a session cannot move the account silently.
 * The password was checked by the caller (re-authentication).
 */
export async function requestEmailChange(deps: AppDeps, user: UserRow, newEmailInput: string): Promise<string> {
  const newEmail = normalizeEmail(newEmailInput, 'newEmail');
  if (newEmail === user.email) throw new HttpError('VALIDATION_ERROR', 'newEmail is already your address', [{ field: 'newEmail', message: 'newEmail is already your address' }]);
  const taken = await deps.db.selectFrom('users').select('id').where('email', '=', newEmail).executeTakeFirst();
  if (taken) throw new HttpError('CONFLICT', 'An account with this email already exists', [{ field: 'newEmail', message: 'newEmail is taken' }]);
  const now = deps.clock.now();
  const token = await issueEmailToken(deps.db, { userId: user.id, email: newEmail, purpose: 'change-email', now }, (trx) =>
    record(trx, { now, action: 'user.email_change_requested', userId: user.id, target: { type: 'user', id: user.id }, detail: { newEmail } }));
  const link = `${deps.baseUrl()}/confirm-email?token=${encodeURIComponent(token)}`;
  await deps.mailer.send({
    to: newEmail, subject: 'Confirm your new email address for acct', link,
    text: `Someone asked to move the acct account of ${user.email} to this address.\n\nConfirm it by opening this link (valid for 24 hours):\n\n${link}\n\nIf it was not you, ignore this mail: nothing changes.\n`,
  });
  deps.mailer
    .send({
      to: user.email, subject: 'Your acct email address is being changed',
      text: `Someone signed in to your acct account asked to move it to ${newEmail}.\nIt moves only once that address confirms.\n\nIf it was not you, change your password at once and sign out your other sessions.\n`,
    })
    .catch((err) => deps.logger.error({ err }, 'could not send the email-change notice'));
  return newEmail;
}

/** Consumes the link mailed to the new address: the account moves there, verified. */
export async function confirmEmailChange(deps: AppDeps, token: string): Promise<{ email: string; previousEmail: string; verifiedAt: string }> {
  const now = deps.clock.now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await consumeEmailToken(trx, token, 'change-email', now);
      if (!row) throw new HttpError('INVALID_TOKEN', 'This link has expired or was already used');
      const user = await trx.selectFrom('users').select(['email']).where('id', '=', row.user_id).executeTakeFirstOrThrow();
      await trx.updateTable('users').set({ email: row.email, email_verified_at: iso(now), updated_at: iso(now) }).where('id', '=', row.user_id).execute();
      // The link itself is the proof: whoever opened it, the row belongs to the account that moved.
      await record(trx, { now, action: 'user.email_changed', userId: row.user_id, target: { type: 'user', id: row.user_id }, detail: { previousEmail: user.email, email: row.email } });
      // Links still out at the old address stop: they would act on an account that left it.
      await trx.updateTable('email_tokens').set({ consumed_at: iso(now) })
        .where('user_id', '=', row.user_id).where('consumed_at', 'is', null).execute();
      return { email: row.email, previousEmail: user.email, verifiedAt: iso(now) };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new HttpError('CONFLICT', 'Another account took this address meanwhile');
    throw err;
  }
}
