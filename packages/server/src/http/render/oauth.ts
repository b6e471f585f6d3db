import type { ErrorCode } from '@acct/shared';
import { HttpError } from '../http-error.js';
import { sendJson, setErrorHeaders, type Renderer } from './renderer.js';

/** An error of an OAuth endpoint with its RFC 6749 §5.2 (or RFC 6750, 7009, 7662, 8628) code. */
export class OAuthError extends HttpError {
  constructor(
    readonly error: string,
    description: string,
    /** The HTTP status (400 unless the RFC says otherwise, e.g. 401 for invalid_client). */
    status = 400,
    headers?: Record<string, string>,
  ) {
    super(status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', description, undefined, headers, status);
  }
}

/** The OAuth code of an error thrown by shared code (validation, rate limits, authentication). */
const OAUTH_CODES: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'invalid_request',
  VALIDATION_ERROR: 'invalid_request',
  PAYLOAD_TOO_LARGE: 'invalid_request',
  NOT_FOUND: 'invalid_request',
  UNAUTHORIZED: 'invalid_client',
  INVALID_CREDENTIALS: 'invalid_client',
  INVALID_TOKEN: 'invalid_token',
  TOKEN_EXPIRED: 'invalid_token',
  FORBIDDEN: 'access_denied',
  ORGANIZATION_MISMATCH: 'access_denied',
  ACCOUNT_DISABLED: 'access_denied',
  EMAIL_NOT_VERIFIED: 'access_denied',
  INSUFFICIENT_SCOPE: 'insufficient_scope',
  RATE_LIMITED: 'slow_down',
  UNAVAILABLE: 'temporarily_unavailable',
};

/**
 * OAuth endpoints (token, revocation, introspection, registration, device authorization): the
 * handler's data is the JSON body itself (RFC 6749 §5.1), errors are `{ error, error_description }`
 * (§5.2). Responses carry `Cache-Control: no-store` like every response here, and `Pragma: no-cache`.
 */
export const OAUTH: Renderer = {
  name: 'oauth',
  success(_req, res, reply) {
    res.setHeader('Pragma', 'no-cache');
    sendJson(res, reply.status, reply.data);
  },
  error(_req, res, err) {
    setErrorHeaders(res, err);
    res.setHeader('Pragma', 'no-cache');
    const error = err instanceof OAuthError ? err.error : (OAUTH_CODES[err.code] ?? 'server_error');
    sendJson(res, err.status, { error, error_description: err.status >= 500 ? 'The server could not answer; retry later' : err.message });
  },
};
