import type { AppDeps } from '../deps.js';
import type { UserRow } from '../db/schema.js';
import { HttpError } from '../http/http-error.js';
import { findUser, setPasswordHash } from '../users/users.repository.js';
import { checkNewPassword } from './auth.service.js';
import { consumeEmailToken, peekEmailToken } from './email-tokens.js';
import { hashPassword, verifyPassword } from './hashing.js';
import { proveMailbox, revokeKeys as revokeAllKeys, type EndedCredentials } from './mailbox-proof.js';
import { revokeSessions } from './sessions.js';
import { ANONYMOUS, record } from '../audit/audit.js';

const SPENT_LINK = () => new HttpError('INVALID_TOKEN', 'This reset link has expired or was already used');

/** Password resets and changes, and the verification link: the flows that end credentials. */

/**
 * Sets a new password from a reset link: the token is spent, the password set and the
 * credentials ended in one transaction, then the owner is told what ended.
 */
export async function resetPassword(deps: AppDeps, input: { token: string; newPassword: string; revokeKeys?: boolean | undefined }) {
  const now = deps.clock.now();
  const peek = await peekEmailToken(deps.db, input.token, 'reset-password', now);
  if (!peek) throw SPENT_LINK();
  const user = await findUser(deps.db, peek.user_id);
  if (!user) throw SPENT_LINK();
  checkNewPassword(deps, input.newPassword, { email: user.email, name: user.full_name, handle: user.handle }, 'newPassword');
  const hash = await hashPassword(input.newPassword);
  const revokeKeys = input.revokeKeys === true;
  const ended = await deps.db.transaction().execute(async (trx) => {
    const row = await consumeEmailToken(trx, input.token, 'reset-password', now);
    if (!row) throw SPENT_LINK();
    await setPasswordHash(trx, row.user_id, hash, now, { clearFailures: true });
    await record(trx, { now, action: 'user.password_reset', actor: ANONYMOUS, userId: row.user_id, target: { type: 'user', id: row.user_id }, detail: { revokeKeys } });
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
    .catch((err: unknown) => deps.logger.error({ err }, 'could not send the password-changed notice'));
  return { revokedSessions: ended.sessions, revokedKeys: ended.keys };
}

/** Changes a signed-in user's password; knowing the password proves no mailbox, so only what is asked for ends. */
export async function changePassword(
  deps: AppDeps, user: UserRow, sessionId: string,
  input: { currentPassword: string; newPassword: string; revokeOtherSessions?: boolean | undefined; revokeKeys?: boolean | undefined },
) {
  if (!(await verifyPassword(user.password_hash, input.currentPassword)).ok)
    throw new HttpError('VALIDATION_ERROR', 'currentPassword is incorrect', [{ field: 'currentPassword', message: 'currentPassword is incorrect' }]);
  checkNewPassword(deps, input.newPassword, { email: user.email, name: user.full_name, handle: user.handle }, 'newPassword');
  const now = deps.clock.now();
  const hash = await hashPassword(input.newPassword);
  return deps.db.transaction().execute(async (trx) => {
    await setPasswordHash(trx, user.id, hash, now);
    await record(trx, { now, action: 'user.password_changed', target: { type: 'user', id: user.id }, detail: { revokeOtherSessions: input.revokeOtherSessions === true, revokeKeys: input.revokeKeys === true } });
    return {
      revokedSessions: input.revokeOtherSessions ? await revokeSessions(trx, deps.clock, user.id, sessionId) : 0,
      revokedKeys: input.revokeKeys ? await revokeAllKeys(trx, user.id, now, 'revoked by a password change') : 0,
    };
  });
}

/** The notice mailed after a reset: what ended, so that an owner who did not ask knows the extent. */
function passwordResetNotice(ended: { sessions: number; keys: number }): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  return (
    `The password of your acct account was just reset.\n\n` +
    `${plural(ended.sessions, 'session')} signed out and ${plural(ended.keys, 'API key')} revoked.\n` +
    `API keys you created after verifying your address keep working unless the reset asked to revoke them (revokeKeys).\n\n` +
    `If it was not you, reset it again at once.\n`
  );
}

/**
 * Spends an email-verification link: the address is proven and whatever was signed in or minted
 * before it was proven ends (mailbox-proof.ts). Null when the link is spent, expired, or was
 * sent to an address the account no longer uses (`moved`).
 */
export async function verifyEmail(deps: AppDeps, token: string, now: Date): Promise<{ email: string; ended: EndedCredentials } | 'spent' | 'moved'> {
  const row = await consumeEmailToken(deps.db, token, 'verify-email', now);
  if (!row) return 'spent';
  const ended = await deps.db.transaction().execute((trx) =>
    proveMailbox(trx, { userId: row.user_id, email: row.email, now, reason: 'ended: created before the address was verified' }));
  return ended ? { email: row.email, ended } : 'moved';
}
