/** Every error code the API answers with, its HTTP status and default message (API.md). */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, message: 'The request could not be read' },
  VALIDATION_ERROR: { status: 400, message: 'Some fields are missing or invalid' },
  UNAUTHORIZED: { status: 401, message: 'Authentication required: send a session cookie, a bearer token or an X-Api-Key' },
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid email or password' },
  INVALID_TOKEN: { status: 401, message: 'The credential is invalid or has been revoked' },
  TOKEN_EXPIRED: { status: 401, message: 'The credential has expired' },
  INSUFFICIENT_CREDITS: { status: 402, message: 'The organization does not have enough credits for this operation' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this' },
  INSUFFICIENT_SCOPE: { status: 403, message: 'The token lacks a required scope' },
  ORGANIZATION_MISMATCH: { status: 403, message: 'The credential does not belong to this organization' },
  EMAIL_NOT_VERIFIED: { status: 403, message: 'Verify your email address first' },
  ACCOUNT_DISABLED: { status: 403, message: 'This account is disabled' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'The resource already exists' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side' },
  UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable; retry later' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One field that failed validation. */
export interface FieldError {
  field: string;
  message: string;
}
