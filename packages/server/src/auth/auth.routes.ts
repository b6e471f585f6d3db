import { Router } from 'express';
import { requestIp } from '../http/client-ip.js';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, principalOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { normalizeEmail, userView } from '../users/users.service.js';
import { checkCredentials, checkNewPassword, sendPasswordReset, sendVerification, signUp } from './auth.service.js';
import { clientIp } from '../rate-limit/rate-limits.js';
import { clearSessionCookie, knownDevice, setDeviceCookie, setSessionCookie } from './cookies.js';
import { consumeEmailToken, peekEmailToken } from './email-tokens.js';
import { hashPassword, verifyPassword } from './hashing.js';
import { proveMailbox, revokeKeys as revokeAllKeys } from './mailbox-proof.js';
import { invalidLink, resetPasswordForm, verifyEmailForm, wantsHtml } from './pages.js';
import { createSession, revokeSessions } from './sessions.js';
import type { CredentialRef } from './principal.js';
import { ANONYMOUS, record, userActor } from '../audit/audit.js';

/** The signed-in session of a session-only route. */
function sessionOf(ctx: Parameters<typeof principalOf>[0]): CredentialRef {
  const principal = principalOf(ctx);
  if (!principal.interactive) throw new HttpError('FORBIDDEN', 'This route needs a signed-in session');
  return principal.credential;
}

/** Sign-up, sign-in, sessions, mailed links and passwords (`/api/auth`). */
export function authRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.signUp, async ({ body }) => {
    const user = await signUp(deps, body);
    return { data: { user: await userView(deps.db, user) } };
  });

  bind(r, deps, ROUTES.signIn, async ({ req, res, body }) => {
    const { user, device } = await checkCredentials(deps, body, { req, res, contract: ROUTES.signIn });
    const { token, session } = await deps.db.transaction().execute(async (trx) => {
      const created = await createSession(trx, deps.config, deps.clock, { userId: user.id, bearer: false, ip: requestIp(req), userAgent: req.get('user-agent') ?? null });
      await record(trx, { action: 'user.signed_in', actor: userActor(user.id, 'session', created.session.id), target: { type: 'session', id: created.session.id }, detail: { sessionKind: created.session.kind } });
      return created;
    });
    setSessionCookie(deps, req, res, token, body.rememberMe === false ? null : deps.config.sessionAbsoluteSeconds);
    await setDeviceCookie(deps, req, res, user.id, device);
    res.locals['actor'] = { userId: user.id, kind: 'session', id: session.id };
    return { data: { user: await userView(deps.db, user), session: { id: session.id, expiresAt: session.expires_at } } };
  });

  bind(r, deps, ROUTES.login, async ({ req, res, body }) => {
    const { user, device } = await checkCredentials(deps, body, { req, res, contract: ROUTES.login });
    const { token, session } = await deps.db.transaction().execute(async (trx) => {
      const created = await createSession(trx, deps.config, deps.clock, { userId: user.id, bearer: true, ip: requestIp(req), userAgent: req.get('user-agent') ?? null });
      await record(trx, { action: 'user.signed_in', actor: userActor(user.id, 'session', created.session.id), target: { type: 'session', id: created.session.id }, detail: { sessionKind: created.session.kind } });
      return created;
    });
    // Bearer clients get the device cookie too (as Set-Cookie): sent back on /login, it exempts them like a browser.
    await setDeviceCookie(deps, req, res, user.id, device);
    res.locals['actor'] = { userId: user.id, kind: 'session', id: session.id };
    return { data: { token, expiresAt: session.expires_at, user: await userView(deps.db, user) } };
  });

  bind(r, deps, ROUTES.signOut, async (ctx) => {
    const session = sessionOf(ctx);
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('sessions').set({ revoked_at: iso(deps.clock.now()) }).where('id', '=', session.id).execute();
      await record(trx, { action: 'user.signed_out', target: { type: 'session', id: session.id } });
    });
    if (session.carrier === 'cookie') clearSessionCookie(deps, ctx.req, ctx.res);
    return { data: { ok: true as const } };
  });

  bind(r, deps, ROUTES.getSession, async (ctx) => {
    const user = userOf(ctx);
    const { id: sessionId } = sessionOf(ctx);
    const row = await deps.db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirstOrThrow();
    return { data: { session: sessionView(row, sessionId), user: await userView(deps.db, user) } };
  });

  bind(r, deps, ROUTES.verifyEmailPage, async ({ req, query }) => {
    const row = await peekEmailToken(deps.db, query.token, 'verify-email', deps.clock.now());
    if (!row) {
      if (wantsHtml(req.get('accept'))) return { data: null as never, html: invalidLink(), status: 400 };
      throw new HttpError('INVALID_TOKEN', 'This verification link has expired or was already used');
    }
    if (wantsHtml(req.get('accept'))) return { data: null as never, html: verifyEmailForm(query.token, row.email) };
    return { data: { email: row.email, confirm: { method: 'POST' as const, path: '/api/auth/verify-email' } } };
  });

  bind(r, deps, ROUTES.verifyEmail, async ({ req, body }) => {
    const now = deps.clock.now();
    const row = await consumeEmailToken(deps.db, body.token, 'verify-email', now);
    const browser = Boolean(req.is('application/x-www-form-urlencoded'));
    if (!row) {
      if (browser) return { data: null as never, html: invalidLink(), status: 400 };
      throw new HttpError('INVALID_TOKEN', 'This verification link has expired or was already used');
    }
    // Bound to the address it was sent to: a changed email needs a new link. Proving the mailbox
    // ends whatever was signed in or minted before it was proven (auth/mailbox-proof.ts).
    const ended = await deps.db.transaction().execute((trx) =>
      proveMailbox(trx, { userId: row.user_id, email: row.email, now, reason: 'ended: created before the address was verified' }));
    if (!ended) throw new HttpError('INVALID_TOKEN', 'This link was sent to an address the account no longer uses');
    if (browser) return { data: null as never, html: '<!doctype html><title>Email verified</title><h1>Email verified</h1><p>You can close this page, and sign in again.</p>' };
    return { data: { email: row.email, verifiedAt: iso(now), revokedSessions: ended.sessions, revokedKeys: ended.keys } };
  });

  bind(r, deps, ROUTES.sendVerificationEmail, async ({ body }) => {
    const user = await deps.db.selectFrom('users').select(['id', 'email', 'email_verified_at', 'is_active'])
      .where('email', '=', normalizeEmail(body.email)).executeTakeFirst();
    if (user && !user.email_verified_at && user.is_active) sendVerification(deps, user);
    return { data: { ok: true as const } };
  });

  bind(r, deps, ROUTES.requestPasswordReset, async ({ req, res, body }) => {
    const user = await deps.db.selectFrom('users').select(['id', 'email', 'is_active'])
      .where('email', '=', normalizeEmail(body.email)).executeTakeFirst();
    // Budgets per email and client (a known device, else the address): requests by others never spend the owner's.
    const device = user ? await knownDevice(deps, req, user.id) : null;
    await deps.rateLimits.byEmail(ROUTES.requestPasswordReset, req, res, body.email, device ? `device:${device.id}` : `ip:${clientIp(req)}`);
    if (user && user.is_active) sendPasswordReset(deps, user);
    return { data: { ok: true as const } };
  });

  bind(r, deps, ROUTES.resetPasswordPage, async ({ req, query }) => {
    const row = await peekEmailToken(deps.db, query.token, 'reset-password', deps.clock.now());
    if (!row) {
      if (wantsHtml(req.get('accept'))) return { data: null as never, html: invalidLink(), status: 400 };
      throw new HttpError('INVALID_TOKEN', 'This reset link has expired or was already used');
    }
    if (wantsHtml(req.get('accept'))) return { data: null as never, html: resetPasswordForm(query.token) };
    return { data: { confirm: { method: 'POST' as const, path: '/api/auth/reset-password' } } };
  });

  bind(r, deps, ROUTES.resetPassword, async ({ body }) => {
    const now = deps.clock.now();
    const peek = await peekEmailToken(deps.db, body.token, 'reset-password', now);
    if (!peek) throw new HttpError('INVALID_TOKEN', 'This reset link has expired or was already used');
    const user = await deps.db.selectFrom('users').selectAll().where('id', '=', peek.user_id).executeTakeFirstOrThrow();
    checkNewPassword(deps, body.newPassword, { email: user.email, name: user.full_name, handle: user.handle }, 'newPassword');
    const hash = await hashPassword(body.newPassword);
    const revokeKeys = body.revokeKeys === true;
    // One transaction: the token is spent, the password set and the credentials ended together.
    const ended = await deps.db.transaction().execute(async (trx) => {
      const row = await consumeEmailToken(trx, body.token, 'reset-password', now);
      if (!row) throw new HttpError('INVALID_TOKEN', 'This reset link has expired or was already used');
      await trx.updateTable('users').set({ password_hash: hash, failed_sign_ins: 0, updated_at: iso(now) }).where('id', '=', row.user_id).execute();
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
      .catch((err) => deps.logger.error({ err }, 'could not send the password-changed notice'));
    return { data: { ok: true as const, revokedSessions: ended.sessions, revokedKeys: ended.keys } };
  });

  bind(r, deps, ROUTES.changePassword, async (ctx) => {
    const user = userOf(ctx);
    const { id: sessionId } = sessionOf(ctx);
    const { body } = ctx;
    if (!(await verifyPassword(user.password_hash, body.currentPassword)).ok)
      throw new HttpError('VALIDATION_ERROR', 'currentPassword is incorrect', [{ field: 'currentPassword', message: 'currentPassword is incorrect' }]);
    checkNewPassword(deps, body.newPassword, { email: user.email, name: user.full_name, handle: user.handle }, 'newPassword');
    const now = deps.clock.now();
    const hash = await hashPassword(body.newPassword);
    // Knowing the password proves no mailbox: only what the caller asks for ends.
    const { revokedSessions, revokedKeys } = await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ password_hash: hash, updated_at: iso(now) }).where('id', '=', user.id).execute();
      await record(trx, { now, action: 'user.password_changed', target: { type: 'user', id: user.id }, detail: { revokeOtherSessions: body.revokeOtherSessions === true, revokeKeys: body.revokeKeys === true } });
      return {
        revokedSessions: body.revokeOtherSessions ? await revokeSessions(trx, deps.clock, user.id, sessionId) : 0,
        revokedKeys: body.revokeKeys ? await revokeAllKeys(trx, user.id, now, 'revoked by a password change') : 0,
      };
    });
    return { data: { ok: true as const, revokedSessions, revokedKeys } };
  });

  bind(r, deps, ROUTES.listSessions, async (ctx) => {
    const user = userOf(ctx);
    const { id: sessionId } = sessionOf(ctx);
    const rows = await deps.db.selectFrom('sessions').selectAll()
      .where('user_id', '=', user.id).where('revoked_at', 'is', null).where('expires_at', '>', iso(deps.clock.now()))
      .orderBy('created_at', 'desc').limit(100).execute();
    return { data: rows.map((row) => sessionView(row, sessionId)) };
  });

  bind(r, deps, ROUTES.revokeSession, async (ctx) => {
    const user = userOf(ctx);
    await deps.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('sessions').set({ revoked_at: iso(deps.clock.now()) })
        .where('id', '=', ctx.body.id).where('user_id', '=', user.id).where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new HttpError('NOT_FOUND', 'No such session');
      await record(trx, { action: 'session.revoked', target: { type: 'session', id: ctx.body.id } });
    });
    return { data: { ok: true as const } };
  });

  bind(r, deps, ROUTES.revokeOtherSessions, async (ctx) => {
    const user = userOf(ctx);
    const { id: sessionId } = sessionOf(ctx);
    const revokedSessions = await deps.db.transaction().execute(async (trx) => {
      const count = await revokeSessions(trx, deps.clock, user.id, sessionId);
      await record(trx, { action: 'session.revoked_others', target: { type: 'user', id: user.id }, detail: { revokedSessions: count } });
      return count;
    });
    return { data: { ok: true as const, revokedSessions } };
  });

  return r;
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

function sessionView(row: { id: string; kind: string; created_at: string; last_seen_at: string; expires_at: string; ip: string | null; user_agent: string | null }, currentId: string) {
  return {
    id: row.id, kind: row.kind as 'cookie' | 'bearer', current: row.id === currentId, createdAt: row.created_at,
    lastSeenAt: row.last_seen_at, expiresAt: row.expires_at, ip: row.ip, userAgent: row.user_agent,
  };
}
