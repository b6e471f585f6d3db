/** RFC 6749 §5.2 / RFC 7009 / RFC 8628 error codes this server answers with. */
export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type'
  | 'invalid_scope' | 'invalid_target' | 'access_denied' | 'unsupported_response_type' | 'server_error'
  | 'authorization_pending' | 'slow_down' | 'expired_token' | 'unsupported_token_type'
  | 'invalid_redirect_uri' | 'invalid_client_metadata' | 'temporarily_unavailable';

/** An error in the OAuth protocol's own format (`{ error, error_description }`), not the envelope. */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}
