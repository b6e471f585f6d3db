import type { Request, Response } from 'express';
import type { Envelope, FieldError, Pagination } from '@acct/shared';
import { setErrorHeaders, type Renderer } from './renderer.js';

/** Writes the response envelope (API.md) with the request id of `res.locals`. */
export function sendEnvelope(
  res: Response,
  body: { status: number; code: string; message: string; data: unknown; errors?: FieldError[]; pagination?: Pagination },
): void {
  const envelope: Envelope = {
    success: body.status < 400,
    status: body.status,
    code: body.code,
    message: body.message,
    data: body.data ?? null,
    ...(body.errors ? { errors: body.errors } : {}),
    meta: { requestId: String(res.locals['requestId'] ?? ''), ...(body.pagination ? { pagination: body.pagination } : {}) },
  };
  // Written directly: Express's res.json() would also parse and re-format the content type and
  // check request freshness, on every response of an API that sends no validators.
  const json = JSON.stringify(envelope);
  res.statusCode = body.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

function nextLink(baseUrl: string, req: Request, cursor: string): string {
  const url = new URL(req.originalUrl, baseUrl);
  url.searchParams.set('cursor', cursor);
  return `<${baseUrl}${url.pathname}${url.search}>; rel="next"`;
}

/** The API's renderer: every answer and error in the envelope (API.md), a `Link` to the next page. */
export const ENVELOPE: Renderer = {
  name: 'envelope',
  success(req, res, reply, deps) {
    if (reply.pagination?.nextCursor) res.setHeader('Link', nextLink(deps.baseUrl(), req, reply.pagination.nextCursor));
    sendEnvelope(res, { status: reply.status, code: 'OK', message: reply.message, data: reply.data, ...(reply.pagination ? { pagination: reply.pagination } : {}) });
  },
  error(_req, res, err) {
    setErrorHeaders(res, err);
    sendEnvelope(res, { status: err.status, code: err.code, message: err.message, data: null, ...(err.errors ? { errors: err.errors } : {}) });
  },
};
