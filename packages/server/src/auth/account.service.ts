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

/** Consumes a verification link: the mailbox is proven and what was made before it ends. */
export async function verifyEmail(deps: AppDeps, token: string): Promise<{ email: string; now: Date; ended: EndedCredentials } | null> {
  const now = deps.clock.now();
  const row = await consumeEmailToken(deps.db, token, 'verify-email', now);
  if (!row) return null;
  // Bound to the address it was sent to: a changed email needs a new link. Proving the mailbox
  // ends whatever was signed in or minted before it was proven (auth/mailbox-proof.ts).
  const ended = await deps.db.transaction().execute((trx) =>
    proveMailbox(trx, { userId: row.user_id, email: row.email, now, reason: 'ended: created before the address was verified' }));
  if (!ended) throw new HttpError('INVALID_TOKEN', 'This link was sent to an address the account no longer uses');
  return { email: row.email, now, ended };
}

/** Sets a new password from a reset link; every session ends, keys too when asked. */
export async function resetPassword(deps: AppDeps, input: { token: string; newPassword: string; revokeKeys?: boolean | undefined }): Promise<EndedCredentials> {
  const now = deps.clock.now();
  const peek = await peekEmailToken(deps.db, input.token, 'reset-password', now);
  if (!peek) throw new HttpError('INVALID_TOKEN', 'This reset link has expired or was already used');
  const user = await deps.db.selectFrom('users').selectAll().where('id', '=', peek.user_id).executeTakeFirstOrThrow();
  checkNewPassword(deps, input.newPassword, { email: user.email, name: user.full_name, handle: user.handle }, 'newPassword');
  const hash = await hashPassword(input.newPassword);
  const revokeKeys = input.revokeKeys === true;
  // One transaction: the token is spent, the password set and the credentials ended together.
  const ended = await deps.db.transaction().execute(async (trx) => {
    const row = await consumeEmailToken(trx, input.token, 'reset-password', now);
    if (!row) throw new HttpError('INVALID_TOKEN', 'This reset link has expired or was already used');
    await trx.updateTable('users').set({ password_hash: hash, failed_sign_ins: 0, updated_at: iso(now) }).where('id', '=', row.user_id).execute();
    // The reset link reached the address: every session ends, and every key made before the
    // address was proven; keys its verified owner made survive (CI keeps working) unless asked.
    const ended = await proveMailbox(trx, {
      userId: row.user_id, email: row.email, now, allSessions: true, allKeys: revokeKeys,
      reason: revokeKeys ? 'revoked by a password reset' : 'ended by a password reset: created before the address was verified',
    });
    // An account that moved away from the address the link was sent to: the reset still
    // counts (as before), but proves nothing about the new address.
    return ended ?? {
      sessions: await revokeSessions(trx, deps.clock, row.user_id),
      keys: revokeKeys ? await revokeAllKeys(trx, row.user_id, now, 'revoked by a password reset') : 0,
    };
  });
  await deps.signInLockout.clear(user.email);
  deps.mailer
    .send({ to: user.email, subject: 'Your acct password was changed', text: passwordResetNotice(ended) })
    .catch((err) => deps.logger.error({ err }, 'could not send the password-changed notice'));
  return ended;
}

/** The notice mailed after a reset: what ended, so that an owner who did not ask knows the extent. */
function passwordResetNotice(ended: EndedCredentials): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  return (
    `The password of your acct account was just reset.\n\n` +
    `${plural(ended.sessions, 'session')} signed out and ${plural(ended.keys, 'API key')} revoked.\n` +
    `API keys you created after verifying your address keep working unless the reset asked to revoke them (revokeKeys).\n\n` +
    `If it was not you, reset it again at once.\n`
  );
}

/** Changes the password of a signed-in user who typed the current one. */
export async function changePassword(
  deps: AppDeps, user: UserRow, sessionId: string,
  input: { currentPassword: string; newPassword: string; revokeOtherSessions?: boolean | undefined; revokeKeys?: boolean | undefined },
): Promise<{ revokedSessions: number; revokedKeys: number }> {
  if (!(await verifyPassword(user.password_hash, input.currentPassword)).ok)
    throw new HttpError('VALIDATION_ERROR', 'currentPassword is incorrect', [{ field: 'currentPassword', message: 'currentPassword is incorrect' }]);
  checkNewPassword(deps, input.newPassword, { email: user.email, name: user.full_name, handle: user.handle }, 'newPassword');
  const now = deps.clock.now();
  const hash = await hashPassword(input.newPassword);
  // Knowing the password proves no mailbox: only what the caller asks for ends.
  return deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash, updated_at: iso(now) }).where('id', '=', user.id).execute();
    return {
      revokedSessions: input.revokeOtherSessions ? await revokeSessions(trx, deps.clock, user.id, sessionId) : 0,
      revokedKeys: input.revokeKeys ? await revokeAllKeys(trx, user.id, now, 'revoked by a password change') : 0,
    };
  });
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
  const token = await issueEmailToken(deps.db, { userId: user.id, email: newEmail, purpose: 'change-email', now: deps.clock.now() });
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
