import { ERROR_CODES, type ErrorCode, type FieldError } from '@acct/shared';

/** The one error type: thrown anywhere, rendered into the envelope by the error middleware. */
export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.status = ERROR_CODES[code].status;
  }
}
