import { Router } from 'express';
import { requestIp } from '../http/client-ip.js';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, principalOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { normalizeEmail, userView } from '../users/users.service.js';
import { checkCredentials, sendPasswordReset, sendVerification, signUp } from './auth.service.js';
import { clientIp } from '../rate-limit/rate-limits.js';
import { clearSessionCookie, knownDevice, setDeviceCookie, setSessionCookie } from './cookies.js';
import { peekEmailToken } from './email-tokens.js';
import { invalidLink, resetPasswordForm, verifyEmailForm, wantsHtml } from './pages.js';
import { changePassword, resetPassword, verifyEmail } from './passwords.service.js';
import { createSession, revokeSessions } from './sessions.js';
import { findSession, liveSessions, revokeSession } from './sessions.repository.js';
import { findUserByEmail } from '../users/users.repository.js';
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
      await revokeSession(trx, session.id, deps.clock.now());
      await record(trx, { action: 'user.signed_out', target: { type: 'session', id: session.id } });
    });
    if (session.carrier === 'cookie') clearSessionCookie(deps, ctx.req, ctx.res);
    return { data: { ok: true as const } };
  });

  bind(r, deps, ROUTES.getSession, async (ctx) => {
    const user = userOf(ctx);
    const { id: sessionId } = sessionOf(ctx);
    const row = await findSession(deps.db, sessionId);
    if (!row) throw new HttpError('INVALID_TOKEN', 'The session has ended');
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
    const verified = await verifyEmail(deps, body.token, now);
    const browser = Boolean(req.is('application/x-www-form-urlencoded'));
    if (verified === 'spent') {
      if (browser) return { data: null as never, html: invalidLink(), status: 400 };
      throw new HttpError('INVALID_TOKEN', 'This verification link has expired or was already used');
    }
    // Bound to the address it was sent to: a changed email needs a new link.
    if (verified === 'moved') throw new HttpError('INVALID_TOKEN', 'This link was sent to an address the account no longer uses');
    if (browser) return { data: null as never, html: '<!doctype html><title>Email verified</title><h1>Email verified</h1><p>You can close this page, and sign in again.</p>' };
    const { email, ended } = verified;
    return { data: { email, verifiedAt: iso(now), revokedSessions: ended.sessions, revokedKeys: ended.keys } };
  });

  bind(r, deps, ROUTES.sendVerificationEmail, async ({ body }) => {
    const user = await findUserByEmail(deps.db, normalizeEmail(body.email));
    if (user && !user.email_verified_at && user.is_active) sendVerification(deps, user);
    return { data: { ok: true as const } };
  });

  bind(r, deps, ROUTES.requestPasswordReset, async ({ req, res, body }) => {
    const user = await findUserByEmail(deps.db, normalizeEmail(body.email));
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

  bind(r, deps, ROUTES.resetPassword, async ({ body }) => ({ data: { ok: true as const, ...(await resetPassword(deps, body)) } }));

  bind(r, deps, ROUTES.changePassword, async (ctx) => {
    const user = userOf(ctx);
    const { id: sessionId } = sessionOf(ctx);
    return { data: { ok: true as const, ...(await changePassword(deps, user, sessionId, ctx.body)) } };
  });

  bind(r, deps, ROUTES.listSessions, async (ctx) => {
    const user = userOf(ctx);
    const { id: sessionId } = sessionOf(ctx);
    const rows = await liveSessions(deps.db, user.id, deps.clock.now());
    return { data: rows.map((row) => sessionView(row, sessionId)) };
  });

  bind(r, deps, ROUTES.revokeSession, async (ctx) => {
    const user = userOf(ctx);
    await deps.db.transaction().execute(async (trx) => {
      if (!(await revokeSession(trx, ctx.body.id, deps.clock.now(), user.id))) throw new HttpError('NOT_FOUND', 'No such session');
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

function sessionView(row: { id: string; kind: string; created_at: string; last_seen_at: string; expires_at: string; ip: string | null; user_agent: string | null }, currentId: string) {
  return {
    id: row.id, kind: row.kind as 'cookie' | 'bearer', current: row.id === currentId, createdAt: row.created_at,
    lastSeenAt: row.last_seen_at, expiresAt: row.expires_at, ip: row.ip, userAgent: row.user_agent,
  };
}
