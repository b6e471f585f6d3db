import type { ParsedToken } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { sha256 } from '../auth/hashing.js';
import { HttpError } from '../http/http-error.js';
import { principal, type Carrier, type Principal } from '../auth/principal.js';
import { parseScopes } from '../keys/key-auth.js';
import { LAST_USED_INTERVAL_MS } from '../credentials/secret-credential.js';
import { findTokenWithOwner, touchGrant } from './oauth.repository.js';
import { apiScopes } from './scopes.js';
import { cacheable } from '../auth/credential-cache.js';

const apiScopeJson = new Map<string, string>();
/** The API scopes of a token's scope list, as the JSON `parseScopes` caches sets by. */
function apiScopeKey(json: string): string {
  let key = apiScopeJson.get(json);
  if (key === undefined) {
    key = JSON.stringify(apiScopes(JSON.parse(json) as string[]));
    if (apiScopeJson.size < 10_000) apiScopeJson.set(json, key);
  }
  return key;
}

/**
 * Audiences a path accepts (RFC 8707): `/mcp` only tokens issued for `ACCT_BASE_URL/mcp` (the MCP
 * authorization spec's audience binding); every other path, tokens for the REST API (below).
 */
export function audienceAccepts(baseUrl: string, resource: string | null, path: string): boolean {
  if (path === '/mcp') return resource === `${baseUrl}/mcp`;
  return apiAccepts(baseUrl, resource);
}

/** Audiences the REST API accepts: tokens bound to no resource, to the server, or to its API. */
export function apiAccepts(baseUrl: string, resource: string | null): boolean {
  if (resource === null) return true;
  const r = resource.replace(/\/+$/, '');
  return r === baseUrl || r === `${baseUrl}/api` || r.startsWith(`${baseUrl}/api/`);
}

/** Refuses a token sent to a path its audience does not accept (RFC 8707; see audienceAccepts). */
export function checkAudience(deps: AppDeps, principal: Principal, path: string): void {
  const resource = principal.audience ?? null;
  if (!audienceAccepts(deps.baseUrl(), resource, path)) throw new HttpError('INVALID_TOKEN', `The access token was issued for another resource (${resource})`);
}

/**
 * Resolves `Authorization: Bearer bo_…`: the token, its grant and its user, through the credential
 * cache like PATs (auth/credential-cache.ts: oauth_tokens and oauth_grants are among the tables
 * whose changes bump the auth epoch), so a revoked token or grant, a disabled account or a removed
 * membership (checked by `bind`) takes effect on the very next request. Effective scopes = the
 * token's ∩ the user's role. The audience is checked per request by the credential kind (checkAudience).
 */
export async function authenticateAccessToken(deps: AppDeps, token: ParsedToken, carrier: Carrier): Promise<Principal> {
  const row = await findTokenWithOwner(deps.db, sha256(token.token));
  if (!row || row.token_kind !== 'access') throw new HttpError('INVALID_TOKEN', 'The access token is invalid');
  const {
    token_id: tokenId, token_kind: _kind, token_created_at: issuedAt, token_scopes: scopes, token_resource: resource, token_expires_at: expiresAt, token_revoked_at: tokenRevokedAt,
    grant_id: grantId, grant_client_id: clientId, grant_organization_id: organizationId, grant_revoked_at: grantRevokedAt, grant_last_used_at: lastUsedAt, ...user
  } = row;
  if (tokenRevokedAt || grantRevokedAt) throw new HttpError('INVALID_TOKEN', 'The access token has been revoked');
  const now = deps.clock.now();
  if (new Date(expiresAt) <= now) throw new HttpError('TOKEN_EXPIRED', 'The access token has expired; refresh it');
  if (!user.is_active) throw new HttpError('ACCOUNT_DISABLED');
  if (now.getTime() - (lastUsedAt ? new Date(lastUsedAt).getTime() : 0) > LAST_USED_INTERVAL_MS) {
    touchGrant(deps.db, grantId, now).catch((err: unknown) => deps.logger.warn({ err }, 'could not record grant use'));
  }
  // Limits and logs count by the grant (the family), not by each hourly access token.
  void tokenId;
  return cacheable(principal({ kind: 'user', id: user.id, user }, { kind: 'oauth', id: grantId, issuedAt, carrier }, {
    scopes: parseScopes(apiScopeKey(scopes)), organizationId, clientId, audience: resource,
  }), { until: new Date(expiresAt).getTime() });
}
