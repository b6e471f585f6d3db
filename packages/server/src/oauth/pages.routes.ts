import { createHmac } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { parseToken } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { sameDigest } from '../auth/hashing.js';
import type { UserRow } from '../db/schema.js';
import { authenticateSession } from '../auth/sessions.js';
import { logRequest } from '../http/access-log.js';
import { readCookie, SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../auth/cookies.js';
import { HttpError } from '../http/http-error.js';
import { iso } from '../time/clock.js';
import { pageContext, pageCsp, safeReturnTo } from '../web/page.js';
import { ConsentPage, DeviceCodePage, MessagePage, renderPage, type ConsentView, type PageChrome } from '../web/pages/oauth-pages.js';
import {
  AuthorizationPageError, AuthorizationRedirectError, parseAuthorizationRequest, redirectTo, type AuthorizationRequest,
} from './authorization-request.js';
import { onlyLoopbackRedirects, resolveClient, type OAuthClient } from './clients.js';
import { OAuthError } from './errors.js';
import { createGrant, issueCode } from './grants.js';
import { rememberedGrant } from './oauth.repository.js';
import { describeScope } from './scopes.js';
import { normalizeUserCode } from './tokens.js';

interface PageOptions {
  status?: number;
  /** Origins (or schemes) the page's form may lead to: the consent answer redirects to the client. */
  formTargets?: string[];
}

/**
 * Sends a page under the console's CSP (web/page.ts: the console's stylesheet and nonce'd script,
 * no inline code), with forms allowed to us and, for the consent answer, the client's redirect.
 * The console's page context gives the layout the signed-in person and its sign-out form's token.
 */
async function sendPage(deps: AppDeps, req: Request, res: Response, page: (chrome: PageChrome) => string, opts: PageOptions = {}): Promise<void> {
  const ctx = await pageContext(deps, req, res);
  const user = ctx.user ? { fullName: ctx.user.full_name, email: ctx.user.email, isAdmin: ctx.user.role === 'admin' } : null;
  const formAction = ["'self'", ...(opts.formTargets ?? [])].join(' ');
  res.setHeader('Content-Security-Policy', pageCsp(ctx.nonce).replace("form-action 'self'", `form-action ${formAction}`));
  res.status(opts.status ?? 200).type('html').send(page({ nonce: ctx.nonce, user, csrf: ctx.csrf }));
  logRequest(deps.logger, req, res);
}

function redirect(deps: AppDeps, req: Request, res: Response, location: string, status = 303): void {
  res.redirect(status, location);
  logRequest(deps.logger, req, res);
}

/** A person signed in at this browser: their row and the session (cookie) that proves it. */
interface Principal {
  user: UserRow;
  sessionId: string;
}

/** The signed-in browser session (cookie only: these are browser pages), or null. */
async function browserSession(deps: AppDeps, req: Request): Promise<Principal | null> {
  const value = readCookie(req, SECURE_SESSION_COOKIE) ?? readCookie(req, SESSION_COOKIE);
  const token = value ? parseToken(value, 'session') : null;
  if (!token) return null;
  try {
    const found = await authenticateSession(deps.db, deps.config, deps.clock, token, 'cookie');
    return found.subject.kind === 'user' ? { user: found.subject.user, sessionId: found.credential.id } : null;
  } catch (err) {
    if (err instanceof HttpError && err.status < 500) return null;
    throw err;
  }
}

/** A form's CSRF token: a MAC of the session id under the server secret, so only our own page can carry it. */
function csrfToken(deps: AppDeps, principal: Principal, purpose: string): string {
  return createHmac('sha256', deps.serverSecret).update(`oauth-form\0${purpose}\0${principal.sessionId}`).digest('base64url');
}

function csrfValid(deps: AppDeps, principal: Principal, purpose: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfToken(deps, principal, purpose));
  const given = Buffer.from(presented);
  return given.length === expected.length && sameDigest(given, expected);
}

function field(body: unknown, name: string): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

/** The query string of an authorization request as an object (a repeated name becomes an array, which the parser refuses). */
function queryObject(search: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function searchOf(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? '' : req.originalUrl.slice(i + 1);
}

async function organizationsOf(deps: AppDeps, userId: string) {
  return deps.db.selectFrom('memberships').innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
    .select(['organizations.id', 'organizations.name']).where('memberships.user_id', '=', userId).orderBy('organizations.name').execute();
}

async function consentView(deps: AppDeps, principal: Principal, client: OAuthClient, scopes: string[], resource: string | null, redirectUri: string | null): Promise<ConsentView> {
  return {
    clientName: client.name, clientId: client.id, redirectHost: redirectUri ? new URL(redirectUri).hostname || new URL(redirectUri).protocol : null,
    scopes: scopes.map((name) => ({ name, description: describeScope(name) })), resource, organizations: await organizationsOf(deps, principal.user.id),
    // The device flow redirects nowhere: the warning about where the answer goes does not apply.
    onlyLocalhost: redirectUri !== null && onlyLoopbackRedirects(client), userEmail: principal.user.email,
  };
}

/** Where the consent form may lead: the redirect URI's origin, or its scheme for a private-use scheme. */
function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin !== 'null' ? url.origin : url.protocol;
}

/** The organization a user limited the grant to: one of theirs, or none. */
async function chosenOrganization(deps: AppDeps, principal: Principal, value: string | undefined): Promise<string | null | undefined> {
  if (!value) return null;
  const row = await deps.db.selectFrom('memberships').select('organization_id').where('user_id', '=', principal.user.id).where('organization_id', '=', value).executeTakeFirst();
  return row ? row.organization_id : undefined;
}

/** The pages whose forms post back to themselves (the CSRF middleware's `Origin: null` rule, app.ts). */
export const OAUTH_PAGE_PATHS: ReadonlySet<string> = new Set(['/oauth/consent', '/device']);

/** `/oauth2/authorize`, the consent page `/oauth/consent`, and the device page `/device`. */
export function oauthPageRoutes(deps: AppDeps, r: Router = Router()): Router {
  const errorPage = (req: Request, res: Response, err: AuthorizationPageError) =>
    sendPage(deps, req, res, (c) => renderPage(MessagePage({ ...c, title: 'This authorization request cannot be used', message: `${err.message} (${err.error}).` })), { status: 400 });

  async function checked(req: Request, res: Response, search: string): Promise<AuthorizationRequest | null> {
    try {
      return await parseAuthorizationRequest(deps, queryObject(search));
    } catch (err) {
      if (err instanceof AuthorizationPageError) await errorPage(req, res, err);
      else if (err instanceof AuthorizationRedirectError)
        redirect(deps, req, res, redirectTo(deps, err.redirectUri, { error: err.error, error_description: err.message, state: err.state }), 302);
      else throw err;
      return null;
    }
  }

  /**
   * A signed-out browser goes through the console's sign-in (and sign-up) and comes back to
   * exactly this page: `return_to` is the page's own path and query, a same-origin path.
   */
  function toSignIn(req: Request, res: Response, back: string) {
    const target = safeReturnTo(back, '');
    redirect(deps, req, res, target ? `/sign-in?return_to=${encodeURIComponent(target)}` : '/sign-in');
  }

  /**
   * `prompt=none` (OIDC Core 3.1.2.1): an answer without any page. Signed out: `login_required`;
   * no remembered consent for this client, scopes and resource: `consent_required`; else the code.
   */
  async function answerSilently(req: Request, res: Response, request: AuthorizationRequest) {
    const principal = await browserSession(deps, req);
    const fail = (error: 'login_required' | 'consent_required', description: string) =>
      redirect(deps, req, res, redirectTo(deps, request.redirectUri, { error, error_description: description, state: request.state }), 302);
    if (!principal) return fail('login_required', 'The user is not signed in and prompt=none forbids asking');
    const prior = await rememberedGrant(deps.db, { userId: principal.user.id, clientId: request.client.id, scopes: request.scopes, resource: request.resource });
    if (!prior) return fail('consent_required', 'The user has not consented to this client, scopes and resource, and prompt=none forbids asking');
    const code = await issueCode(deps.db, deps.clock.now(), prior, request.redirectUri, request.codeChallenge);
    redirect(deps, req, res, redirectTo(deps, request.redirectUri, { code, state: request.state }), 302);
  }

  r.get('/oauth2/authorize', async (req, res) => {
    const search = searchOf(req);
    const request = await checked(req, res, search);
    if (!request) return;
    if (request.prompt.has('none')) return answerSilently(req, res, request);
    redirect(deps, req, res, `/oauth/consent?${search}`, 302);
  });

  async function showConsent(req: Request, res: Response, search: string, principal: Principal | null) {
    const request = await checked(req, res, search);
    if (!request) return;
    if (request.prompt.has('none')) return answerSilently(req, res, request);
    if (!principal) return toSignIn(req, res, `/oauth/consent?${search}`);
    // A prior consent for the same client, scopes and resource stands (unless the client asks
    // for prompt=consent): the code is issued on that grant without a second page.
    if (!request.prompt.has('consent')) {
      const prior = await rememberedGrant(deps.db, { userId: principal.user.id, clientId: request.client.id, scopes: request.scopes, resource: request.resource });
      if (prior) {
        const code = await issueCode(deps.db, deps.clock.now(), prior, request.redirectUri, request.codeChallenge);
        return redirect(deps, req, res, redirectTo(deps, request.redirectUri, { code, state: request.state }), 302);
      }
    }
    const view = await consentView(deps, principal, request.client, request.scopes, request.resource, request.redirectUri);
    await sendPage(deps, req, res, (c) => renderPage(ConsentPage({ ...c, action: '/oauth/consent', fields: { q: search, csrf: csrfToken(deps, principal, 'consent') }, view })), {
      formTargets: [formTarget(request.redirectUri)],
    });
  }

  r.get('/oauth/consent', async (req, res) => {
    await showConsent(req, res, searchOf(req), await browserSession(deps, req));
  });

  r.post('/oauth/consent', async (req, res) => {
    const search = field(req.body, 'q') ?? '';
    const principal = await browserSession(deps, req);
    // The session ended while the page was open: sign in again, then the same page.
    if (!principal) return toSignIn(req, res, `/oauth/consent?${search}`);
    if (!csrfValid(deps, principal, 'consent', field(req.body, 'csrf'))) throw new HttpError('FORBIDDEN', 'The form is stale or was not sent by this page; reload it');
    const request = await checked(req, res, search);
    if (!request) return;
    const decision = field(req.body, 'decision');
    if (decision !== 'allow') {
      return redirect(deps, req, res, redirectTo(deps, request.redirectUri, { error: 'access_denied', error_description: 'The user denied the request', state: request.state }));
    }
    const organizationId = await chosenOrganization(deps, principal, field(req.body, 'organization_id'));
    if (organizationId === undefined) throw new HttpError('ORGANIZATION_MISMATCH', 'You are not a member of that organization');
    const now = deps.clock.now();
    const code = await deps.db.transaction().execute(async (trx) => {
      const grant = await createGrant(trx, now, { userId: principal.user.id, client: request.client, scopes: request.scopes, resource: request.resource, organizationId });
      return issueCode(trx, now, grant, request.redirectUri, request.codeChallenge);
    });
    redirect(deps, req, res, redirectTo(deps, request.redirectUri, { code, state: request.state }));
  });

  /** Every user-code look-up spends the deviceUserCode budget (per IP) first: codes must not be guessable by trying. */
  async function pendingDevice(req: Request, res: Response, userCode: string) {
    await deps.rateLimits.byBudget('deviceUserCode', req, res);
    return deps.db.selectFrom('oauth_device_codes').selectAll().where('user_code', '=', normalizeUserCode(userCode))
      .where('status', '=', 'pending').where('expires_at', '>', iso(deps.clock.now())).executeTakeFirst();
  }

  /** The device page's path for a code (the link the device shows carries it), for coming back after sign-in. */
  const devicePath = (userCode: string | undefined) => (userCode ? `/device?user_code=${encodeURIComponent(userCode)}` : '/device');
  const UNKNOWN_CODE = 'That code is unknown, expired or already used. Check the code on your device.';

  async function showDevice(req: Request, res: Response, userCode: string | undefined, principal: Principal | null) {
    if (!principal) return toSignIn(req, res, devicePath(userCode));
    if (!userCode) return sendPage(deps, req, res, (c) => renderPage(DeviceCodePage({ ...c, fields: {} })));
    const row = await pendingDevice(req, res, userCode);
    if (!row) return sendPage(deps, req, res, (c) => renderPage(DeviceCodePage({ ...c, fields: {}, value: userCode, error: UNKNOWN_CODE })), { status: 400 });
    let client: OAuthClient;
    try {
      client = await resolveClient(deps, row.client_id);
    } catch (err) {
      if (err instanceof OAuthError) return sendPage(deps, req, res, (c) => renderPage(MessagePage({ ...c, title: 'This device request cannot be used', message: err.message })), { status: 400 });
      throw err;
    }
    const view = await consentView(deps, principal, client, JSON.parse(row.scopes) as string[], row.resource, null);
    await sendPage(deps, req, res, (c) => renderPage(ConsentPage({ ...c, action: '/device', fields: { user_code: row.user_code, csrf: csrfToken(deps, principal, 'device') }, view })));
  }

  r.get('/device', async (req, res) => {
    const code = typeof req.query['user_code'] === 'string' ? req.query['user_code'] : undefined;
    await showDevice(req, res, code, await browserSession(deps, req));
  });

  r.post('/device', async (req, res) => {
    const userCode = field(req.body, 'user_code');
    const principal = await browserSession(deps, req);
    // The session ended while the page was open: sign in again, then the same code.
    if (!principal) return toSignIn(req, res, devicePath(userCode));
    if (!csrfValid(deps, principal, 'device', field(req.body, 'csrf'))) throw new HttpError('FORBIDDEN', 'The form is stale or was not sent by this page; reload it');
    const row = userCode ? await pendingDevice(req, res, userCode) : undefined;
    if (!row) return sendPage(deps, req, res, (c) => renderPage(DeviceCodePage({ ...c, fields: {}, value: userCode, error: UNKNOWN_CODE })), { status: 400 });
    const now = deps.clock.now();
    if (field(req.body, 'decision') !== 'allow') {
      await deps.db.updateTable('oauth_device_codes').set({ status: 'denied' }).where('id', '=', row.id).where('status', '=', 'pending').execute();
      return sendPage(deps, req, res, (c) => renderPage(MessagePage({ ...c, title: 'Request denied', message: 'The device was not connected. You can close this window.' })));
    }
    const organizationId = await chosenOrganization(deps, principal, field(req.body, 'organization_id'));
    if (organizationId === undefined) throw new HttpError('ORGANIZATION_MISMATCH', 'You are not a member of that organization');
    const client = await resolveClient(deps, row.client_id);
    const approved = await deps.db.transaction().execute(async (trx) => {
      const grant = await createGrant(trx, now, { userId: principal.user.id, client, scopes: JSON.parse(row.scopes) as string[], resource: row.resource, organizationId });
      const done = await trx.updateTable('oauth_device_codes').set({ status: 'approved', grant_id: grant.id }).where('id', '=', row.id).where('status', '=', 'pending').executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) throw new HttpError('CONFLICT', 'This code was answered already');
      return true;
    });
    if (approved) await sendPage(deps, req, res, (c) => renderPage(MessagePage({ ...c, title: 'Device connected', message: `${client.name} is connected to your account. You can close this window and return to your device.` })));
  });
  return r;
}
