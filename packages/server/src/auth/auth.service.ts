import type { Request, Response } from 'express';
import type { RouteContract } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { UserRow } from '../db/schema.js';
import { isUniqueViolation } from '../db/errors.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { createOrganization } from '../orgs/orgs.service.js';
import { freeHandle, normalizeEmail } from '../users/users.service.js';
import { issueEmailToken, type EmailPurpose } from './email-tokens.js';
import { dummyPasswordVerify, dummyVerify, hashPassword, verifyPassword } from './hashing.js';
import { passwordProblem } from './password-policy.js';
import { knownDevice, type KnownDevice } from './cookies.js';
import type { DurableFailures } from './lockout.js';
import { clientIp } from '../rate-limit/rate-limits.js';
import { ANONYMOUS, record } from '../audit/audit.js';

/** Checks a new password against the policy and the account's own words; throws VALIDATION_ERROR. */
export function checkNewPassword(deps: AppDeps, password: string, context: { email: string; name?: string; handle?: string }, field = 'password'): void {
  const local = context.email.split('@')[0] ?? '';
  const problem = passwordProblem(password, deps.config.passwordMinLength, ['acct', context.email, local, context.name ?? '', context.handle ?? '']);
  if (problem) throw new HttpError('VALIDATION_ERROR', problem.replace(/^password/, field), [{ field, message: problem.replace(/^password/, field) }]);
}

const LINK_PATHS: Record<EmailPurpose, string> = {
  'verify-email': '/api/auth/verify-email',
  'reset-password': '/api/auth/reset-password',
  'change-email': '/confirm-email',
};

/**
 * Issues a single-use token for `purpose` and mails its link, without being awaited: the
 * answer and its timing must not depend on whether an account exists or the mail goes out.
 * Failures are logged, never shown.
 */
function mailLink(deps: AppDeps, user: Pick<UserRow, 'id' | 'email'>, purpose: EmailPurpose, compose: (link: string) => { subject: string; text: string }): void {
  (async () => {
    const token = await issueEmailToken(deps.db, { userId: user.id, email: user.email, purpose, now: deps.clock.now() });
    const link = `${deps.baseUrl()}${LINK_PATHS[purpose]}?token=${encodeURIComponent(token)}`;
    await deps.mailer.send({ to: user.email, ...compose(link), link });
  })().catch((err) => deps.logger.error({ err, purpose }, 'could not send a mailed link'));
}

/** Mails a verification link (valid 24 hours). */
export function sendVerification(deps: AppDeps, user: Pick<UserRow, 'id' | 'email'>): void {
  mailLink(deps, user, 'verify-email', (link) => ({
    subject: 'Verify your email address for acct',
    text: `Welcome to acct.\n\nConfirm your email address by opening this link (valid for 24 hours):\n\n${link}\n\nIf you did not sign up, ignore this mail.\n`,
  }));
}

/** Mails a password reset link (valid 30 minutes, once). */
export function sendPasswordReset(deps: AppDeps, user: Pick<UserRow, 'id' | 'email'>): void {
  mailLink(deps, user, 'reset-password', (link) => ({
    subject: 'Reset your acct password',
    text: `Someone asked to reset the password of your acct account.\n\nChoose a new password here (valid for 30 minutes, once):\n\n${link}\n\nIf it was not you, ignore this mail: your password is unchanged.\n`,
  }));
}

/** Creates a user, their default organization (owner, included credits) and mails a verification link. */
export async function signUp(deps: AppDeps, input: { email: string; password: string; name: string }): Promise<UserRow> {
  const email = normalizeEmail(input.email);
  const name = input.name.trim();
  checkNewPassword(deps, input.password, { email, name });
  // Hash before looking the email up, so a taken email costs the same time as a new one.
  const passwordHash = await hashPassword(input.password);
  const taken = await deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (taken) throw new HttpError('CONFLICT', 'An account with this email already exists; sign in instead');
  const now = deps.clock.now();
  // Handles and organization slugs are derived from the name: two sign-ups with the same name at
  // the same moment can pick the same one. Such a clash is retried with fresh picks; only a
  // clash on the email itself is a CONFLICT.
  for (let attempt = 1; ; attempt++) {
    const user: UserRow = {
      id: ulid(now.getTime()), email, full_name: name, handle: await freeHandle(deps.db, name, email), password_hash: passwordHash, role: 'user',
      is_active: 1, email_verified_at: null, last_login_at: null, failed_sign_ins: 0, created_at: iso(now), updated_at: iso(now),
    };
    try {
      await deps.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(user).execute();
        await createOrganization(trx, { name: `${name}'s organization`, ownerId: user.id, now });
      });
      sendVerification(deps, user);
      return user;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const emailTaken = await deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
      if (emailTaken) throw new HttpError('CONFLICT', 'An account with this email already exists; sign in instead');
      if (attempt >= 5) throw new HttpError('CONFLICT', 'The account could not be created at this moment; try again');
    }
  }
}

/** users.failed_sign_ins, reserved atomically like the lockout's counters (one conditional UPDATE). */
function durableFailures(deps: AppDeps, userId: string): DurableFailures {
  return {
    reserve: async (blockAt) => {
      const result = await deps.db.updateTable('users').set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '+', 1) }))
        .where('id', '=', userId).where('failed_sign_ins', '<', blockAt).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    release: async () => {
      await deps.db.updateTable('users').set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '-', 1) }))
        .where('id', '=', userId).where('failed_sign_ins', '>', 0).execute();
    },
  };
}

/** The request a sign-in arrives on: its client address, cookies and route. */
export interface SignInRequest {
  req: Request;
  res: Response;
  contract: RouteContract;
}

/**
 * Checks email and password. Unknown emails run the same Argon2 verify against a dummy hash,
 * and every failure answers the same INVALID_CREDENTIALS. Before any Argon2 work: a client
 * without a device cookie of the account spends the per-email sign-in budget, then the
 * lockout (auth/lockout.ts) reserves the attempt, by device, or by email and client IP.
 */
export async function checkCredentials(deps: AppDeps, input: { email: string; password: string }, from: SignInRequest): Promise<{ user: UserRow; device: KnownDevice | null }> {
  const email = normalizeEmail(input.email);
  const user = await deps.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  const device = user ? await knownDevice(deps, from.req, user.id) : null;
  if (!device) await deps.rateLimits.byEmail(from.contract, from.req, from.res, input.email, null);
  const attempt = await deps.signInLockout.admit({ email, ip: clientIp(from.req), device, durable: user && !device ? durableFailures(deps, user.id) : null });
  const { ok, rehash: stale } = user ? await verifyPassword(user.password_hash, input.password) : { ok: await dummyPasswordVerify(input.password), rehash: false };
  if (!user || !ok) {
    await attempt.failed();
    // Unknown addresses are recorded too (same work, same time), without the address typed.
    await record(deps.db, { action: 'user.sign_in_failed', outcome: 'failure', actor: ANONYMOUS, userId: user?.id ?? null, detail: { reason: 'invalid credentials' } });
    throw new HttpError('INVALID_CREDENTIALS');
  }
  await attempt.succeeded();
  // The reservation counted this attempt; a right password is no failure, whatever follows.
  const failures = device ? {} : { failed_sign_ins: 0 };
  if (!user.is_active || (deps.config.requireEmailVerification && !user.email_verified_at)) {
    if (!device) await deps.db.updateTable('users').set(failures).where('id', '=', user.id).execute();
    await record(deps.db, { action: 'user.sign_in_failed', outcome: 'failure', actor: ANONYMOUS, userId: user.id, detail: { reason: user.is_active ? 'email not verified' : 'account disabled' } });
    throw new HttpError(user.is_active ? 'EMAIL_NOT_VERIFIED' : 'ACCOUNT_DISABLED');
  }
  const now = iso(deps.clock.now());
  const rehash = stale ? await hashPassword(input.password) : null;
  await deps.db
    .updateTable('users')
    .set({ last_login_at: now, ...failures, ...(rehash ? { password_hash: rehash } : {}) })
    .where('id', '=', user.id)
    .execute();
  return { user: { ...user, ...failures, last_login_at: now, password_hash: rehash ?? user.password_hash }, device };
}

/** Warms the dummy hash at start so the first unknown-email sign-in costs no more than others. */
export async function warmUp(): Promise<void> {
  await dummyVerify('warm-up');
}
