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
  res.status(body.status).json(envelope);
}
