import type { RequestHandler } from 'express';
import { HttpError } from '../http/http-error.js';

/**
 * A path whose percent-escapes do not decode (`%ff`, a lone `%`, `%zz`) is the client's
 * mistake: 400 BAD_REQUEST, checked once for every request, routed or not, before a route
 * decodes its parameters (Express would throw a URIError there and answer 500).
 */
export function wellFormedPath(): RequestHandler {
  return function wellFormedPathMiddleware(req, _res, next) {
    const path = req.path;
    if (path.includes('%')) {
      try {
        decodeURIComponent(path);
      } catch {
        return next(new HttpError('BAD_REQUEST', 'The URL path has a malformed percent-escape: a "%" must start %XX of UTF-8 bytes (write "%" itself as %25)'));
      }
    }
    next();
  };
}
