/** RFC 6749 §5.2 / RFC 7009 / RFC 7591 / RFC 8628 / RFC 8707 / OIDC Core 3.1.2.6 error codes this server answers with. */
export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type'
  | 'invalid_scope' | 'invalid_target' | 'access_denied' | 'unsupported_response_type' | 'server_error'
  | 'authorization_pending' | 'slow_down' | 'expired_token' | 'unsupported_token_type'
  | 'invalid_redirect_uri' | 'invalid_client_metadata' | 'temporarily_unavailable'
  | 'login_required' | 'consent_required';

// The one OAuth error type, rendered by the OAUTH renderer (http/render/oauth.ts).
export { OAuthError } from '../http/render/oauth.js';
