import express, { type RequestHandler } from 'express';
import { HttpError } from '../http/http-error.js';
import { OAUTH } from '../http/render/oauth.js';
import { useRenderer } from '../http/render/renderer.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * JSON bodies only (form and text/plain bodies are refused: CSRF "simple content types"),
 * up to `limit` bytes. `formPaths` may also take urlencoded forms: the mailed-link pages,
 * whose unguessable token in the body is their own CSRF protection.
 */
export function jsonBody(limit: number, formPaths: ReadonlySet<string>, intakeLimit: number): RequestHandler[] {
  const json = express.json({ limit, strict: true, type: () => true });
  // Intake webhooks carry other systems' payloads: any JSON value, with their own size limit.
  const intake = express.json({ limit: intakeLimit, strict: false, type: () => true });
  const form = express.urlencoded({ limit, extended: false, parameterLimit: 10 });
  return [
    function requireJson(req, _res, next) {
      if (!UNSAFE.has(req.method) || !hasBody(req)) return next();
      // A protocol endpoint's body it cannot read is answered in OAuth's format (RFC 6749 §5.2), as its handler's errors are.
      if (req.path.startsWith('/oauth2/')) useRenderer(_res, OAUTH);
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === 'application/json' || type.endsWith('+json')) return (req.path.startsWith('/api/intake/') ? intake : json)(req, _res, next);
      if (type === 'application/x-www-form-urlencoded' && formPaths.has(req.path)) return form(req, _res, next);
      next(new HttpError('BAD_REQUEST', 'Send the body as JSON with Content-Type: application/json'));
    },
  ];
}
