import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { markStart } from '../http/access-log.js';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echoes a sane client `X-Request-Id`, else makes one; every response carries it. */
export function requestId(): RequestHandler {
  return function requestIdMiddleware(req, res, next) {
    const incoming = req.get('x-request-id');
    const id = incoming && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
    res.locals['requestId'] = id;
    res.setHeader('X-Request-Id', id);
    markStart(res);
    next();
  };
}
