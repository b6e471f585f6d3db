import type { RequestHandler } from 'express';
import { HttpError } from '../http/http-error.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Fetch-metadata CSRF defence: an unsafe request carrying browser signals (Origin or
 * Sec-Fetch-Site) must come from our own origin or an allowlisted one. Requests with
 * neither (curl, the CLI, servers) are not browsers and pass; so do requests that carry
 * an explicit token header, which a cross-site page cannot add.
 */
export function csrf(ownOrigin: () => string, trusted: readonly string[], pagePaths: ReadonlySet<string> = new Set()): RequestHandler {
  return function csrfMiddleware(req, _res, next) {
    if (SAFE.has(req.method)) return next();
    if (req.get('x-api-key') !== undefined || req.get('authorization') !== undefined) return next();
    const origin = req.get('origin');
    const site = req.get('sec-fetch-site');
    if (origin === undefined && site === undefined) return next();
    // `pagePaths` take forms from our own HTML pages, served with `Referrer-Policy: no-referrer`,
    // under which browsers send `Origin: null`: there Sec-Fetch-Site (which no page can set) says
    // where the form came from, as in the console's own check (web/routes.tsx).
    if (origin === 'null' && site !== undefined && pagePaths.has(req.path)) {
      return next(site === 'same-origin' ? undefined : new HttpError('FORBIDDEN', 'Cross-site request refused: the Origin is not trusted'));
    }
    const allowed = origin !== undefined && origin !== 'null' && (origin === ownOrigin() || trusted.includes(origin));
    if (allowed || (origin === undefined && (site === 'same-origin' || site === 'none'))) return next();
    next(new HttpError('FORBIDDEN', 'Cross-site request refused: the Origin is not trusted'));
  };
}
