import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError } from '../http/http-error.js';
import { ENVELOPE } from '../http/render/envelope.js';
import { rendererOf } from '../http/render/renderer.js';
import { logRequest } from '../http/access-log.js';
import { isStorageFull } from '../db/errors.js';

/** Unknown routes answer 404 in the envelope. */
export function notFound(): RequestHandler {
  return function notFoundMiddleware(req, _res, next) {
    next(new HttpError('NOT_FOUND', `No route ${req.method} ${req.path}`));
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  // A route parameter that does not decode (wellFormedPath catches these first): the client's mistake.
  if (err instanceof URIError) return new HttpError('BAD_REQUEST', 'The URL has a malformed percent-escape');
  const e = err as BodyParserError;
  switch (e?.type) {
    case 'entity.too.large':
      return new HttpError('PAYLOAD_TOO_LARGE');
    case 'entity.parse.failed':
      return new HttpError('BAD_REQUEST', 'The body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError('BAD_REQUEST', 'Unsupported body encoding: send UTF-8 JSON');
    case 'request.aborted':
      return new HttpError('BAD_REQUEST', 'The request was aborted');
    default:
      if (e?.expose && typeof e.status === 'number' && e.status >= 400 && e.status < 500)
        return new HttpError('BAD_REQUEST');
      return null;
  }
}

const UNAVAILABLE_CODES = new Set([
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_FULL',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND',
  // PostgreSQL: connection exceptions (08…), shutdown and too many connections (57P…, 53300).
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300',
]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|The client is closed|Socket closed unexpectedly/i;

/** A dependency (database, Redis) is unreachable: the client should retry later (503), not re-authenticate. */
export function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const { code, message, errors, cause } = e as { code?: string; message?: string; errors?: unknown[]; cause?: unknown };
    if ((code && UNAVAILABLE_CODES.has(code)) || (message && UNAVAILABLE_MESSAGES.test(message))) return true;
    if (Array.isArray(errors) && errors.some((inner) => isUnavailable(inner))) return true;
    e = cause;
  }
  return false;
}

/** The one place errors become responses (in the route's renderer), never a stack trace or SQL. */
export function errorHandler(logger: Logger, storage: string | null = null): ErrorRequestHandler {
  return function errorMiddleware(err, req, res, _next) {
    let httpError = toHttpError(err);
    if (!httpError) {
      const context = { err, requestId: res.locals['requestId'], method: req.method, path: req.path };
      if (isStorageFull(err)) {
        // `storage` (the SQLite data directory) is named in the log only, never in the answer.
        httpError = new HttpError('UNAVAILABLE', 'The server is out of disk space and could not save this change; retry later');
        logger.error({ ...context, storage }, `disk full: the database cannot write to ${storage ?? 'its disk (PostgreSQL)'}; free space there, the server recovers without a restart`);
      } else if (isUnavailable(err)) {
        httpError = new HttpError('UNAVAILABLE');
        logger.warn(context, 'dependency unavailable');
      } else {
        httpError = new HttpError('INTERNAL_ERROR');
        logger.error(context, 'request failed');
      }
    }
    if (res.headersSent) return;
    // The answering route's own format (OAuth error, JSON-RPC, page); the envelope elsewhere.
    (rendererOf(res) ?? ENVELOPE).error(req, res, httpError);
    logRequest(logger, req, res);
  };
}
