import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError } from '../http/http-error.js';
import { sendEnvelope } from '../http/envelope.js';

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

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return ['SQLITE_BUSY', 'SQLITE_LOCKED', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '08006', '08001'].includes(code);
}

/** The one place errors become responses: envelope, never a stack trace or SQL. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return function errorMiddleware(err, req, res, _next) {
    let httpError = toHttpError(err);
    if (!httpError) {
      httpError = isUnavailable(err) ? new HttpError('UNAVAILABLE') : new HttpError('INTERNAL_ERROR');
      logger.error({ err, requestId: res.locals['requestId'], method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(httpError.headers ?? {})) res.setHeader(k, v);
    sendEnvelope(res, {
      status: httpError.status,
      code: httpError.code,
      message: httpError.message,
      data: null,
      ...(httpError.errors ? { errors: httpError.errors } : {}),
    });
  };
}
