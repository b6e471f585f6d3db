import type { Response } from 'express';
import type { Envelope, FieldError, Pagination } from '@acct/shared';

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
