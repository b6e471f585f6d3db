import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { parseToken, ROLE_SCOPES, validate, type Role, type RouteContract, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { UserRow } from '../db/schema.js';
import { HttpError } from '../http/http-error.js';
import { authenticateSession } from '../auth/sessions.js';
import { deviceKey, readCookie, SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../auth/cookies.js';

/** What every page handler knows about its request. */
export interface PageContext {
  req: Request;
  res: Response;
  deps: AppDeps;
  /** The CSP nonce of this response: the only scripts that run carry it. */
  nonce: string;
  /** The CSRF token every form of this response carries (`_csrf`). */
  csrf: string;
  /** The signed-in user (session cookie only), or null. */
  user: UserRow | null;
  sessionId: string | null;
  path: string;
}

const CSRF_COOKIE = 'acct_csrf';
const SECURE_CSRF_COOKIE = '__Host-acct_csrf';

function secure(deps: AppDeps, req: Request): boolean {
  return req.secure || deps.baseUrl().startsWith('https://');
}

/**
 * The page CSP: scripts only with this response's nonce, styles and images from acct itself,
 * forms only to acct, never framed. JSON routes keep `default-src 'none'` (app.ts).
 */
export function pageCsp(nonce: string): string {
  return [
    "default-src 'none'", `script-src 'nonce-${nonce}'`, "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
  ].join('; ');
}

async function csrfToken(deps: AppDeps, binding: string, sessionId: string | null): Promise<string> {
  const key = await deviceKey(deps);
  return createHmac('sha256', key).update(`console-csrf|${binding}|${sessionId ?? ''}`).digest('base64url');
}

/**
 * Reads the session cookie, the CSRF cookie (made on first visit) and mints this response's
 * nonce and CSRF token. The token is an HMAC of a random per-browser cookie and the session id:
 * a cross-site page can neither read it nor forge it, and signing in or out changes it.
 */
export async function pageContext(deps: AppDeps, req: Request, res: Response): Promise<PageContext> {
  let binding = readCookie(req, SECURE_CSRF_COOKIE) ?? readCookie(req, CSRF_COOKIE);
  if (!binding || !/^[A-Za-z0-9_-]{22}$/.test(binding)) {
    binding = randomBytes(16).toString('base64url');
    const isSecure = secure(deps, req);
    res.append('Set-Cookie', `${isSecure ? SECURE_CSRF_COOKIE : CSRF_COOKIE}=${binding}; Path=/; HttpOnly; SameSite=Lax${isSecure ? '; Secure' : ''}`);
    // A form posted without the cookie cannot carry a matching token: it fails the check below.
    (req as Request & { freshCsrfCookie?: boolean }).freshCsrfCookie = true;
  }
  let user: UserRow | null = null;
  let sessionId: string | null = null;
  const cookie = readCookie(req, SECURE_SESSION_COOKIE) ?? readCookie(req, SESSION_COOKIE);
  const token = cookie ? parseToken(cookie) : null;
  if (token && token.kind === 'session') {
    try {
      const principal = await authenticateSession(deps.db, deps.config, deps.clock, token, 'cookie');
      if (principal.interactive && principal.subject.kind === 'user') {
        user = principal.subject.user;
        sessionId = principal.credential.id;
      }
    } catch (err) {
      if (!(err instanceof HttpError) || err.status >= 500) throw err;
    }
  }
  return {
    req, res, deps, user, sessionId, path: req.path,
    nonce: randomBytes(16).toString('base64'),
    csrf: await csrfToken(deps, binding, sessionId),
  };
}

/** Refuses a form whose `_csrf` is not this browser's and session's token (constant-time). */
export function checkCsrf(ctx: PageContext, body: Record<string, unknown>): void {
  const given = Buffer.from(typeof body['_csrf'] === 'string' ? body['_csrf'] : '');
  const expected = Buffer.from(ctx.csrf);
  const fresh = (ctx.req as Request & { freshCsrfCookie?: boolean }).freshCsrfCookie === true;
  if (fresh || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new HttpError('FORBIDDEN', 'This form has expired or came from another site. Reload the page and try again.');
}

/** Sends a rendered page with the page CSP. */
export function sendPage(ctx: PageContext, page: VNode, status = 200): void {
  ctx.res.setHeader('Content-Security-Policy', pageCsp(ctx.nonce));
  ctx.res.status(status).type('html').send(`<!doctype html>${renderToString(page)}`);
}

/** 303 See Other: after a form, the browser GETs the next page. */
export function redirect(ctx: PageContext, location: string): void {
  ctx.res.redirect(303, location);
}

/**
 * Where to go after signing in: a same-origin path only (`/x`, never `//host` or `/\host`),
 * else the default. Up to 4 KB: an OAuth authorization request (the consent page's query) fits.
 */
export function safeReturnTo(value: unknown, fallback = '/settings/profile'): string {
  if (typeof value !== 'string' || value.length > 4096) return fallback;
  if (!/^\/(?![/\\])/.test(value) || /[\x00-\x1f\\]/.test(value)) return fallback;
  return value;
}

/** A form field as a string ('' when absent or not a string). */
export function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

/** A repeated form field (checkboxes) as a list of strings. */
export function fields(body: Record<string, unknown>, name: string): string[] {
  const value = body[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** The caller's role in an organization, or a 403 when not a member. */
export async function roleIn(deps: AppDeps, organizationId: string, userId: string): Promise<Role> {
  const row = await deps.db.selectFrom('memberships').select('role').where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirst();
  if (!row) throw new HttpError('NOT_FOUND', 'No such organization, or you are not a member of it');
  return row.role as Role;
}

/** The organization role allows the scope (the check bind() makes for API routes). */
export function roleAllows(role: Role, scope: Scope): boolean {
  return ROLE_SCOPES[role].has(scope);
}

export function requireRole(role: Role, scope: Scope): void {
  if (!roleAllows(role, scope)) throw new HttpError('FORBIDDEN', `Your role (${role}) does not allow ${scope}`);
}

/** Validates a form as the API contract validates the same JSON; throws VALIDATION_ERROR. */
export function validateForm<T>(contract: RouteContract, body: unknown): T {
  const checked = validate(contract.body!, body);
  if (!checked.ok) throw new HttpError('VALIDATION_ERROR', checked.errors.map((e) => e.message).join('; '), checked.errors);
  return checked.value as T;
}
