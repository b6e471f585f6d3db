import { ERROR_CODES, type ErrorCode, type FieldError } from '@acct/shared';

/** The one error type: thrown anywhere, rendered by the answering route's renderer (http/render/). */
export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    /** Only for protocols whose errors carry their own status (OAuth's 401 invalid_client). */
    status?: number,
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.status = status ?? ERROR_CODES[code].status;
  }
}
