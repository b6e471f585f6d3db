import { authenticateAccessToken, checkAudience } from '../../oauth/access-auth.js';
import type { HttpError } from '../../http/http-error.js';
import type { CredentialKind } from './credential-kind.js';

/**
 * An OAuth 2.1 access token (`bo_…`, oauth/): a client acting for a user with the scopes the user
 * consented to (∩ their role, checked by the guards as for PATs), optionally pinned to the
 * organization chosen on the consent page, for one audience (RFC 8707). Only in `Authorization`.
 */
export const oauthAccessCredential: CredentialKind = {
  name: 'oauth',
  tokens: { oauthAccess: ['authorization'] },
  resolve: (deps, token, _req, carrier) => authenticateAccessToken(deps, token, carrier),
  // The audience depends on where the token is sent (/mcp or the API), not only on the token.
  accepts: (deps, principal, req) => checkAudience(deps, principal, req.path),
  // RFC 6750 §3.1: an expired or revoked access token is `invalid_token`; the description says which.
  challenge: (error: HttpError) => `Bearer realm="acct", error="invalid_token", error_description="${error.message.replace(/["\\]/g, '')}"`,
};
