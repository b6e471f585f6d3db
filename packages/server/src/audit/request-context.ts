import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request, RequestHandler } from 'express';

const current = new AsyncLocalStorage<Request>();

/**
 * Remembers the request being served, so `audit.record()` deep in a service finds its IP, user
 * agent, request id and actor without every service signature carrying the request.
 */
export function requestContext(): RequestHandler {
  return function requestContextMiddleware(req, _res, next) {
    current.run(req, next);
  };
}

/** The request being served, if any (none in the delivery worker or a command). */
export function currentRequest(): Request | undefined {
  return current.getStore();
}
