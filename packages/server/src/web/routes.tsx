import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ROUTES, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../http/http-error.js';
import { iso } from '../time/clock.js';
import { requestIp } from '../http/client-ip.js';
import { csrf as fetchMetadataCheck } from '../middleware/csrf.js';
import { logRequest } from '../http/access-log.js';
import { clientIp } from '../rate-limit/rate-limits.js';
import { checkCredentials, sendPasswordReset, signUp } from '../auth/auth.service.js';
import { confirmEmailChange, CONSOLE_FRESH_SECONDS, isFresh, reauthenticate, requestEmailChange } from '../auth/account.service.js';
import { changePassword, resetPassword, verifyEmail } from '../auth/passwords.service.js';
import { clearSessionCookie, knownDevice, setDeviceCookie, setSessionCookie } from '../auth/cookies.js';
import { peekEmailToken } from '../auth/email-tokens.js';
import { wantsHtml } from '../auth/pages.js';
import { createSession, revokeSessions } from '../auth/sessions.js';
import { createKey, reportLeak, revokeKey, rotateKey, toApiKey } from '../keys/keys.service.js';
import { normalizeEmail } from '../users/users.service.js';
import { ASSETS } from './assets.generated.js';
import { checkCsrf, field, fields, pageContext, redirect, safeReturnTo, sendPage, validateForm, type PageContext } from './page.js';
import { ConfirmLinkPage, ForgotPasswordPage, MessagePage, ReauthPage, ResetPasswordPage, SignInPage, SignUpPage } from './pages/auth.js';
import { ApiKeysPage, ProfilePage, SessionsPage, type NewKey, type ProfileForm } from './pages/settings.js';
import { formErrors, type FormErrors } from './ui.js';
import { orgPages } from './orgs.js';
import { adminPages } from './admin.js';
import { docsPages } from './docs.js';

/** Every page path the console serves (policy.test.ts: routes outside the API contracts). */
export const WEB_PAGES: string[] = [];

type PageHandler = (ctx: PageContext, body: Record<string, unknown>) => Promise<void>;

export interface PageRouter {
  get(path: string, handler: PageHandler, opts?: { signedIn?: boolean }): void;
  post(path: string, handler: PageHandler, opts?: { signedIn?: boolean }): void;
}

const NOTICES: Record<string, string> = {
  'name-saved': 'Your name is saved.',
  'email-pending': 'Check your new address: we sent it a confirmation link. Your old address got a notice.',
  'password-changed': 'Your password is changed.',
  'key-revoked': 'The key is revoked: it stops working at once.',
  'leak-reported': 'Thank you: if that key was live, it is revoked now.',
  'session-revoked': 'The session is signed out.',
  'sessions-revoked': 'Every other session is signed out.',
  'reauthenticated': 'Password confirmed.',
};

export function notice(req: Request): string | undefined {
  const done = typeof req.query['done'] === 'string' ? req.query['done'] : undefined;
  return done ? NOTICES[done] : undefined;
}

/** The web console: server-rendered pages, forms without JavaScript, one layout. */
export function webRoutes(deps: AppDeps): RequestHandler {
  const router = Router();
  /** Every path the router serves: the gate below sends only these requests through it. */
  const served: string[] = [];
  const form = express.urlencoded({ limit: deps.config.bodyLimit, extended: false, parameterLimit: 100 });
  const ownOrigin = () => new URL(deps.baseUrl()).origin;
  const fetchMetadata = fetchMetadataCheck(ownOrigin, deps.config.trustedOrigins);
  /*
   * The fetch-metadata check of the API (middleware/csrf.ts), with one difference: pages are
   * served with `Referrer-Policy: no-referrer` (their URLs may carry mailed tokens), under which
   * browsers send `Origin: null` on their own forms. Sec-Fetch-Site then says where the form
   * came from; the CSRF token is checked in every case.
   */
  const sameOrigin = (req: Request, res: Response, next: NextFunction) => {
    const site = req.get('sec-fetch-site');
    if (req.get('origin') === 'null' && site !== undefined) {
      return next(site === 'same-origin' ? undefined : new HttpError('FORBIDDEN', 'Cross-site request refused: the Origin is not trusted'));
    }
    fetchMetadata(req, res, next);
  };

  function handle(method: 'get' | 'post', path: string, handler: PageHandler, opts: { signedIn?: boolean } = {}) {
    WEB_PAGES.push(`${method.toUpperCase()} ${path}`);
    served.push(path);
    const run = async (req: Request, res: Response) => {
      const ctx = await pageContext(deps, req, res);
      (res.locals as { page?: PageContext }).page = ctx;
      if (ctx.user) res.locals['actor'] = { userId: ctx.user.id, kind: 'session', id: ctx.sessionId };
      if (opts.signedIn && !ctx.user) {
        const back = method === 'get' ? req.originalUrl : path;
        redirect(ctx, `/sign-in?return_to=${encodeURIComponent(back)}`);
        return logRequest(deps.logger, req, res);
      }
      let body: Record<string, unknown> = {};
      if (method === 'post') {
        body = (req.body ?? {}) as Record<string, unknown>;
        checkCsrf(ctx, body);
      }
      await handler(ctx, body);
      logRequest(deps.logger, req, res);
    };
    if (method === 'get') router.get(path, run);
    else
      router.post(path, (req, res, next) => {
        // Forms only: a JSON or other body here is not from our pages.
        if (req.headers['content-length'] !== '0' && !req.is('application/x-www-form-urlencoded'))
          return next(new HttpError('BAD_REQUEST', 'Send the form as application/x-www-form-urlencoded'));
        next();
      }, sameOrigin, form, run);
  }
  const pages: PageRouter = {
    get: (path, handler, opts) => handle('get', path, handler, opts),
    post: (path, handler, opts) => handle('post', path, handler, opts),
  };

  // --- embedded assets -------------------------------------------------------------------------
  router.get('/assets/:hash/:name', (req, res, next) => {
    const asset = ASSETS[String(req.params['name'])];
    if (!asset || asset.hash !== req.params['hash']) return next();
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.type(asset.type).send(asset.body);
  });
  WEB_PAGES.push('GET /assets/:hash/:name');
  served.push('/assets/:hash/:name');

  // --- mailed links: a browser lands on the console's page --------------------------------------
  for (const [api, page] of [['/api/auth/verify-email', '/verify-email'], ['/api/auth/reset-password', '/reset-password']] as const) {
    served.push(api);
    router.get(api, (req, res, next) => {
      const token = req.query['token'];
      if (!wantsHtml(req.get('accept')) || typeof token !== 'string' || token.length > 100) return next();
      res.redirect(303, `${page}?token=${encodeURIComponent(token)}`);
    });
  }

  pages.get('/', async (ctx) => redirect(ctx, ctx.user ? '/settings/profile' : '/sign-in'));

  // --- signing in and out ----------------------------------------------------------------------
  pages.get('/sign-in', async (ctx) => {
    if (ctx.user) return redirect(ctx, safeReturnTo(ctx.req.query['return_to']));
    const returnTo = typeof ctx.req.query['return_to'] === 'string' ? safeReturnTo(ctx.req.query['return_to'], '') : '';
    sendPage(ctx, <SignInPage ctx={ctx} returnTo={returnTo} notice={notice(ctx.req)} />);
  });

  pages.post('/sign-in', async (ctx, body) => {
    const { req, res } = ctx;
    const returnTo = safeReturnTo(body['return_to'], '');
    const values = { email: field(body, 'email'), password: field(body, 'password') };
    try {
      await deps.rateLimits.byIp(ROUTES.signIn, req, res);
      const input = validateForm<{ email: string; password: string }>(ROUTES.signIn, values);
      const { user, device } = await checkCredentials(deps, input, { req, res, contract: ROUTES.signIn });
      const { token, session } = await createSession(deps.db, deps.config, deps.clock, {
        userId: user.id, bearer: false, ip: requestIp(req), userAgent: req.get('user-agent') ?? null,
      });
      setSessionCookie(deps, req, res, token, deps.config.sessionAbsoluteSeconds);
      await setDeviceCookie(deps, req, res, user.id, device);
      res.locals['actor'] = { userId: user.id, kind: 'session', id: session.id };
      redirect(ctx, returnTo || '/settings/profile');
    } catch (err) {
      const errors = formErrors(err);
      const status = err instanceof HttpError ? err.status : 400;
      sendPage(ctx, <SignInPage ctx={ctx} email={values.email} returnTo={returnTo} errors={errors} />, status);
    }
  });

  pages.post('/sign-out', async (ctx) => {
    if (ctx.sessionId) await deps.db.updateTable('sessions').set({ revoked_at: iso(deps.clock.now()) }).where('id', '=', ctx.sessionId).execute();
    clearSessionCookie(deps, ctx.req, ctx.res);
    redirect(ctx, '/sign-in');
  });

  pages.get('/sign-up', async (ctx) => {
    const returnTo = safeReturnTo(ctx.req.query['return_to'], '');
    if (ctx.user) return redirect(ctx, returnTo || '/settings/profile');
    sendPage(ctx, <SignUpPage ctx={ctx} returnTo={returnTo} />);
  });

  pages.post('/sign-up', async (ctx, body) => {
    // Kept through sign-up: after verifying, the sign-in link leads back to the page that sent the person here.
    const returnTo = safeReturnTo(body['return_to'], '');
    const signIn = returnTo ? `/sign-in?return_to=${encodeURIComponent(returnTo)}` : '/sign-in';
    const values = { name: field(body, 'name'), email: field(body, 'email'), password: field(body, 'password') };
    try {
      await deps.rateLimits.byIp(ROUTES.signUp, ctx.req, ctx.res);
      const input = validateForm<{ name: string; email: string; password: string }>(ROUTES.signUp, values);
      await deps.rateLimits.byBody(ROUTES.signUp, ctx.req, ctx.res, input);
      const user = await signUp(deps, input);
      sendPage(ctx, <MessagePage ctx={ctx} title="Check your email" text={`We sent a verification link to ${user.email}. Open it to verify your address, then sign in.`} next={{ href: signIn, label: 'Go to sign in' }} />, 201);
    } catch (err) {
      sendPage(ctx, <SignUpPage ctx={ctx} name={values.name} email={values.email} returnTo={returnTo} errors={formErrors(err)} />, err instanceof HttpError ? err.status : 400);
    }
  });

  // --- mailed links ----------------------------------------------------------------------------
  const expired = (ctx: PageContext, what: string) =>
    sendPage(ctx, <MessagePage ctx={ctx} kind="error" title="This link is no longer valid" text={`This ${what} link has expired or was already used. Ask for a new one.`} next={{ href: '/sign-in', label: 'Go to sign in' }} />, 400);

  pages.get('/verify-email', async (ctx) => {
    const token = String(ctx.req.query['token'] ?? '');
    const row = token.length <= 100 ? await peekEmailToken(deps.db, token, 'verify-email', deps.clock.now()) : null;
    if (!row) return expired(ctx, 'verification');
    sendPage(ctx, <ConfirmLinkPage ctx={ctx} title="Verify your email address" text={`Confirm that ${row.email} is your address.`} action="/verify-email" token={token} button="Verify email" />);
  });

  pages.post('/verify-email', async (ctx, body) => {
    const done = await verifyEmail(deps, field(body, 'token').slice(0, 100), deps.clock.now());
    // A spent link, or one sent to an address the account no longer uses: either way a new link is needed.
    if (done === 'spent' || done === 'moved') return expired(ctx, 'verification');
    clearSessionCookie(deps, ctx.req, ctx.res);
    const text = `${done.email} is verified.` + (done.ended.sessions + done.ended.keys > 0 ? ' Sessions and keys made before it was verified have ended: sign in again.' : ' You can sign in now.');
    sendPage(ctx, <MessagePage ctx={{ ...ctx, user: null }} title="Email verified" text={text} next={{ href: '/sign-in', label: 'Sign in' }} />);
  });

  pages.get('/forgot-password', async (ctx) => sendPage(ctx, <ForgotPasswordPage ctx={ctx} />));

  pages.post('/forgot-password', async (ctx, body) => {
    const { req, res } = ctx;
    try {
      await deps.rateLimits.byIp(ROUTES.requestPasswordReset, req, res);
      const input = validateForm<{ email: string }>(ROUTES.requestPasswordReset, { email: field(body, 'email') });
      const user = await deps.db.selectFrom('users').select(['id', 'email', 'is_active']).where('email', '=', normalizeEmail(input.email)).executeTakeFirst();
      const device = user ? await knownDevice(deps, req, user.id) : null;
      await deps.rateLimits.byEmail(ROUTES.requestPasswordReset, req, res, input.email, device ? `device:${device.id}` : `ip:${clientIp(req)}`);
      if (user && user.is_active) sendPasswordReset(deps, user);
      sendPage(ctx, <ForgotPasswordPage ctx={ctx} sent />);
    } catch (err) {
      sendPage(ctx, <ForgotPasswordPage ctx={ctx} errors={formErrors(err)} />, err instanceof HttpError ? err.status : 400);
    }
  });

  pages.get('/reset-password', async (ctx) => {
    const token = String(ctx.req.query['token'] ?? '');
    const row = token.length <= 100 ? await peekEmailToken(deps.db, token, 'reset-password', deps.clock.now()) : null;
    if (!row) return expired(ctx, 'reset');
    sendPage(ctx, <ResetPasswordPage ctx={ctx} token={token} />);
  });

  pages.post('/reset-password', async (ctx, body) => {
    const token = field(body, 'token');
    try {
      const input = validateForm<{ token: string; newPassword: string; revokeKeys?: boolean }>(ROUTES.resetPassword, {
        token, newPassword: field(body, 'newPassword'), revokeKeys: field(body, 'revokeKeys') === 'on',
      });
      const ended = await resetPassword(deps, input);
      clearSessionCookie(deps, ctx.req, ctx.res);
      sendPage(ctx, <MessagePage ctx={{ ...ctx, user: null }} title="Password changed" text={`Your new password is set. ${ended.revokedSessions} session(s) signed out, ${ended.revokedKeys} key(s) revoked.`} next={{ href: '/sign-in', label: 'Sign in' }} />);
    } catch (err) {
      if (err instanceof HttpError && err.code === 'INVALID_TOKEN') return expired(ctx, 'reset');
      sendPage(ctx, <ResetPasswordPage ctx={ctx} token={token} errors={formErrors(err, { newPassword: ['newPassword', 'New password'] })} />, err instanceof HttpError ? err.status : 400);
    }
  });

  pages.get('/confirm-email', async (ctx) => {
    const token = String(ctx.req.query['token'] ?? '');
    const row = token.length <= 100 ? await peekEmailToken(deps.db, token, 'change-email', deps.clock.now()) : null;
    if (!row) return expired(ctx, 'confirmation');
    sendPage(ctx, <ConfirmLinkPage ctx={ctx} title="Confirm your new address" text={`Move your acct account to ${row.email}.`} action="/confirm-email" token={token} button="Confirm new email" />);
  });

  pages.post('/confirm-email', async (ctx, body) => {
    try {
      const done = await confirmEmailChange(deps, field(body, 'token').slice(0, 100));
      sendPage(ctx, <MessagePage ctx={ctx} title="Email changed" text={`Your account now uses ${done.email}.`} next={{ href: '/settings/profile', label: 'Go to your profile' }} />);
    } catch (err) {
      if (err instanceof HttpError && err.code === 'INVALID_TOKEN') return expired(ctx, 'confirmation');
      throw err;
    }
  });

  // --- re-authentication -----------------------------------------------------------------------
  pages.get('/reauthenticate', async (ctx) => {
    sendPage(ctx, <ReauthPage ctx={ctx} returnTo={safeReturnTo(ctx.req.query['return_to'])} />);
  }, { signedIn: true });

  pages.post('/reauthenticate', async (ctx, body) => {
    const returnTo = safeReturnTo(body['return_to']);
    try {
      const input = validateForm<{ password: string }>(ROUTES.reauthenticate, { password: field(body, 'password') });
      await reauthenticate(deps, ctx.user!, ctx.sessionId!, input.password, { req: ctx.req, res: ctx.res, contract: ROUTES.reauthenticate });
      redirect(ctx, returnTo);
    } catch (err) {
      const errors = formErrors(err);
      if (err instanceof HttpError && err.code === 'INVALID_CREDENTIALS') errors.fields = { password: 'The password is not right' };
      sendPage(ctx, <ReauthPage ctx={ctx} returnTo={returnTo} errors={errors} />, err instanceof HttpError ? err.status : 400);
    }
  }, { signedIn: true });

  // --- Settings → Profile ----------------------------------------------------------------------
  pages.get('/settings', async (ctx) => redirect(ctx, '/settings/profile'), { signedIn: true });
  pages.get('/settings/profile', async (ctx) => sendPage(ctx, <ProfilePage ctx={ctx} notice={notice(ctx.req)} />), { signedIn: true });

  const profileError = (ctx: PageContext, form: ProfileForm, err: unknown, values: Record<string, string>, labels: Record<string, [string, string]> = {}) =>
    sendPage(ctx, <ProfilePage ctx={ctx} form={form} errors={formErrors(err, labels)} values={values} />, err instanceof HttpError ? err.status : 400);

  pages.post('/settings/profile/name', async (ctx, body) => {
    const values = { name: field(body, 'name') };
    try {
      const input = validateForm<{ name: string }>(ROUTES.updateMe, values);
      await deps.db.updateTable('users').set({ full_name: input.name.trim(), updated_at: iso(deps.clock.now()) }).where('id', '=', ctx.user!.id).execute();
      redirect(ctx, '/settings/profile?done=name-saved');
    } catch (err) {
      profileError(ctx, 'name', err, values);
    }
  }, { signedIn: true });

  pages.post('/settings/profile/email', async (ctx, body) => {
    const values = { newEmail: field(body, 'newEmail'), password: field(body, 'password') };
    try {
      const input = validateForm<{ newEmail: string; password: string }>(ROUTES.changeEmail, values);
      await checkCredentials(deps, { email: ctx.user!.email, password: input.password }, { req: ctx.req, res: ctx.res, contract: ROUTES.changeEmail });
      await requestEmailChange(deps, ctx.user!, input.newEmail);
      redirect(ctx, '/settings/profile?done=email-pending');
    } catch (err) {
      const labels: Record<string, [string, string]> = { newEmail: ['newEmail', 'New email'], password: ['password', 'Current password'] };
      if (err instanceof HttpError && err.code === 'INVALID_CREDENTIALS')
        return profileError(ctx, 'email', new HttpError('VALIDATION_ERROR', 'The current password is not right', [{ field: 'password', message: 'password is not right' }]), { newEmail: values.newEmail }, labels);
      profileError(ctx, 'email', err, { newEmail: values.newEmail }, labels);
    }
  }, { signedIn: true });

  pages.post('/settings/profile/password', async (ctx, body) => {
    try {
      const input = validateForm<{ currentPassword: string; newPassword: string; revokeOtherSessions?: boolean; revokeKeys?: boolean }>(ROUTES.changePassword, {
        currentPassword: field(body, 'currentPassword'), newPassword: field(body, 'newPassword'),
        revokeOtherSessions: field(body, 'revokeOtherSessions') === 'on', revokeKeys: field(body, 'revokeKeys') === 'on',
      });
      await changePassword(deps, ctx.user!, ctx.sessionId!, input);
      redirect(ctx, '/settings/profile?done=password-changed');
    } catch (err) {
      profileError(ctx, 'password', err, {}, { currentPassword: ['currentPassword', 'Current password'], newPassword: ['newPassword', 'New password'] });
    }
  }, { signedIn: true });

  // --- Settings → API Keys ---------------------------------------------------------------------
  async function apiKeysPage(ctx: PageContext, extra: { created?: NewKey; errors?: FormErrors; values?: Parameters<typeof ApiKeysPage>[0]['values']; status?: number } = {}) {
    const user = ctx.user!;
    const now = deps.clock.now();
    const rows = await deps.db.selectFrom('api_keys').selectAll().where('user_id', '=', user.id).orderBy('id', 'desc').limit(100).execute();
    const orgs = await deps.db.selectFrom('memberships').innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
      .select(['organizations.id', 'organizations.name']).where('memberships.user_id', '=', user.id).orderBy('organizations.name').execute();
    const fresh = await isFresh(deps, ctx.sessionId!, CONSOLE_FRESH_SECONDS);
    sendPage(ctx, <ApiKeysPage ctx={ctx} keys={rows.map((r) => toApiKey(r, now))} orgs={orgs} fresh={fresh} created={extra.created} errors={extra.errors} values={extra.values} notice={notice(ctx.req)} />, extra.status);
  }

  pages.get('/settings/api-keys', (ctx) => apiKeysPage(ctx), { signedIn: true });

  pages.post('/settings/api-keys', async (ctx, body) => {
    const values = { name: field(body, 'name'), scopes: fields(body, 'scopes'), expiresIn: field(body, 'expiresIn'), organizationId: field(body, 'organizationId') };
    if (!(await isFresh(deps, ctx.sessionId!, CONSOLE_FRESH_SECONDS))) return redirect(ctx, '/reauthenticate?return_to=%2Fsettings%2Fapi-keys');
    try {
      const input = validateForm<{ name: string; scopes: string[]; expiresIn?: number; metadata?: { organizationId?: string } }>(ROUTES.createApiKey, {
        name: values.name, scopes: values.scopes,
        ...(values.expiresIn ? { expiresIn: Number(values.expiresIn) } : {}),
        ...(values.organizationId ? { metadata: { organizationId: values.organizationId } } : {}),
      });
      if (input.scopes.length === 0) throw new HttpError('VALIDATION_ERROR', 'Pick at least one scope', [{ field: 'scopes', message: 'Pick at least one scope' }]);
      const { row, key } = await createKey(deps, ctx.user!.id, {
        name: input.name.trim() || input.name, scopes: input.scopes as Scope[], expiresIn: input.expiresIn ?? null,
        organizationId: input.metadata?.organizationId, ip: requestIp(ctx.req),
      });
      await apiKeysPage(ctx, { created: { name: row.name, key }, status: 201 });
    } catch (err) {
      await apiKeysPage(ctx, { errors: formErrors(err), values, status: err instanceof HttpError ? err.status : 400 });
    }
  }, { signedIn: true });

  pages.post('/settings/api-keys/revoke', async (ctx, body) => {
    await revokeKey(deps, ctx.user!.id, field(body, 'id'), requestIp(ctx.req));
    redirect(ctx, '/settings/api-keys?done=key-revoked');
  }, { signedIn: true });

  pages.post('/settings/api-keys/rotate', async (ctx, body) => {
    if (!(await isFresh(deps, ctx.sessionId!, CONSOLE_FRESH_SECONDS))) return redirect(ctx, '/reauthenticate?return_to=%2Fsettings%2Fapi-keys');
    const grace = Math.min(Math.max(Number(field(body, 'gracePeriod')) || 0, 0), 7 * 86400);
    const { row, key } = await rotateKey(deps, ctx.user!.id, { id: field(body, 'id'), gracePeriod: grace, ip: requestIp(ctx.req), pin: null, arrivedAt: deps.clock.now() });
    await apiKeysPage(ctx, { created: { name: row.name, key, rotated: true } });
  }, { signedIn: true });

  pages.post('/settings/api-keys/report-leak', async (ctx, body) => {
    await reportLeak(deps, field(body, 'key').trim().slice(0, 300), requestIp(ctx.req));
    redirect(ctx, '/settings/api-keys?done=leak-reported');
  }, { signedIn: true });

  // --- Settings → Sessions ---------------------------------------------------------------------
  pages.get('/settings/sessions', async (ctx) => {
    const rows = await deps.db.selectFrom('sessions').selectAll()
      .where('user_id', '=', ctx.user!.id).where('revoked_at', 'is', null).where('expires_at', '>', iso(deps.clock.now()))
      .orderBy('created_at', 'desc').limit(100).execute();
    const sessions = rows.map((r) => ({ id: r.id, current: r.id === ctx.sessionId, kind: r.kind, ip: r.ip, userAgent: r.user_agent, createdAt: r.created_at, lastSeenAt: r.last_seen_at }));
    sendPage(ctx, <SessionsPage ctx={ctx} sessions={sessions} notice={notice(ctx.req)} />);
  }, { signedIn: true });

  pages.post('/settings/sessions/revoke', async (ctx, body) => {
    const result = await deps.db.updateTable('sessions').set({ revoked_at: iso(deps.clock.now()) })
      .where('id', '=', field(body, 'id')).where('user_id', '=', ctx.user!.id).where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new HttpError('NOT_FOUND', 'No such session');
    redirect(ctx, '/settings/sessions?done=session-revoked');
  }, { signedIn: true });

  pages.post('/settings/sessions/revoke-others', async (ctx) => {
    await revokeSessions(deps.db, deps.clock, ctx.user!.id, ctx.sessionId!);
    redirect(ctx, '/settings/sessions?done=sessions-revoked');
  }, { signedIn: true });

  orgPages(deps, pages);
  adminPages(deps, pages);
  docsPages(deps, pages);

  // Errors of pages answer a page, never JSON: a person reads them.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const ctx = (res.locals as { page?: PageContext }).page;
    if (!ctx || res.headersSent) return next(err);
    if (!(err instanceof HttpError)) return next(err);
    for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
    const title = err.status === 404 ? 'Not found' : err.status === 429 ? 'Too many requests' : err.status === 403 ? 'Not allowed' : 'Something is wrong';
    sendPage(ctx, <MessagePage ctx={ctx} kind="error" title={title} text={err.message} next={{ href: '/', label: 'Back to the console' }} />, err.status);
    logRequest(deps.logger, _req, res);
  });
  return pagesOnly(router, served);
}

/**
 * The router behind a gate that lets through only the paths it serves: a fixed path by a set
 * lookup, a path with parameters by its first segment. Every API request used to walk the
 * router's ~60 patterns before reaching the route table; now it costs one lookup. The router
 * matches as Express does (case-insensitive, one trailing slash ignored), so the gate does too.
 */
export function pagesOnly(router: Router, paths: readonly string[]): RequestHandler {
  const fixed = new Set<string>();
  const firstSegments = new Set<string>();
  for (const p of paths) {
    if (p.includes(':')) firstSegments.add(firstSegment(p.toLowerCase()));
    else fixed.add(p.toLowerCase());
  }
  const gate: RequestHandler = function consolePages(req, res, next) {
    let p = req.path.toLowerCase();
    if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    if (fixed.has(p) || firstSegments.has(firstSegment(p))) return router(req, res, next);
    next();
  };
  // The router's layers stay visible to whoever walks the app (the route policy test does).
  return Object.assign(gate, { stack: router.stack });
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end < 0 ? path : path.slice(0, end);
}
