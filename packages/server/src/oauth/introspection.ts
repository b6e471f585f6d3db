import type { Request } from 'express';
import { parseToken } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { matchSecret } from '../credentials/secret-credential.js';
import { keyStatus } from '../keys/keys.service.js';
import { findToken } from './grants.js';
import { authenticateClient } from './clients.js';

const seconds = (at: string) => Math.floor(new Date(at).getTime() / 1000);

type TokenRow = NonNullable<Awaited<ReturnType<typeof findToken>>>;

/** The answer for an OAuth token's row while it has not expired (the caller checks the time). */
function oauthAnswer(row: TokenRow, kind: 'oauthAccess' | 'oauthRefresh', iss: string): Record<string, unknown> {
  if (row.kind !== (kind === 'oauthAccess' ? 'access' : 'refresh')) return { active: false };
  if (row.token_revoked_at || row.grant_revoked_at || !row.is_active || (row.kind === 'refresh' && row.used_at)) return { active: false };
  return {
    active: true, scope: (JSON.parse(row.scopes) as string[]).join(' '), client_id: row.client_id, sub: row.user_id, token_type: row.kind === 'access' ? 'Bearer' : 'refresh_token',
    exp: seconds(row.expires_at), iat: seconds(row.created_at), iss, ...(row.resource ? { aud: row.resource } : {}), organization_id: row.organization_id,
  };
}

async function oauthIntrospection(deps: AppDeps, token: string, kind: 'oauthAccess' | 'oauthRefresh', iss: string): Promise<{ answer: Record<string, unknown>; expiresAt: number } | null> {
  const row = await findToken(deps.db, token);
  if (!row) return null;
  return { answer: oauthAnswer(row, kind, iss), expiresAt: new Date(row.expires_at).getTime() };
}

const INACTIVE_JSON = JSON.stringify({ active: false });

/**
 * The usual introspection, serialised, under one cache entry: a resource server sends the same
 * Basic header with every question about an OAuth token, so the client's authentication and the
 * answer are remembered together, keyed by header and token, until the epoch moves (any write to
 * clients, tokens, grants or users) or the token expires: one keyed digest and one lookup per
 * request instead of two of each and a serialisation. Null when the request has another shape
 * (no cache, no Basic header, a `client_id` in the body, a PAT or an unknown token): the caller
 * then takes the full path. A client that fails to authenticate is never remembered (the loader throws).
 */
export async function rememberedIntrospection(deps: AppDeps, req: Request, body: Record<string, unknown>): Promise<string | null> {
  const cache = deps.credentialCache;
  const header = req.headers.authorization;
  const token = body['token'];
  if (!cache || header === undefined || typeof token !== 'string' || body['client_id'] !== undefined || !/^basic\s/i.test(header)) return null;
  const parsed = parseToken(token);
  if (!parsed || (parsed.kind !== 'oauthAccess' && parsed.kind !== 'oauthRefresh')) return null;
  const kind = parsed.kind;
  const known = await cache.remember(`introspect-as:${header}\n${token}`, async () => {
    await authenticateClient(deps, req, body, true);
    const found = await oauthIntrospection(deps, token, kind, deps.baseUrl());
    return found && { json: JSON.stringify(found.answer), expiresAt: found.expiresAt };
  }, (r) => r.expiresAt, req);
  if (!known || known.expiresAt <= deps.clock.now().getTime()) {
    // No such token (nothing remembered): still only for an authenticated client.
    if (!known) await authenticateClient(deps, req, body, true);
    return INACTIVE_JSON;
  }
  return known.json;
}

/**
 * RFC 7662 for any acct credential a service may be shown: OAuth access and refresh tokens,
 * and PATs (`ba_`). Inactive answers say nothing else. Nothing is written: looking a token up
 * is not using it.
 *
 * The members, per kind (docs/oauth.md "Introspection"): both kinds carry `active`, `scope`,
 * `sub`, `token_type`, `iat`, `iss`, `organization_id` (the pin, or null) and `exp` when the
 * credential expires. OAuth tokens add `client_id` and `aud` (the RFC 8707 resource, when bound);
 * a PAT has no client and no audience, so it has neither, and adds `key_id` instead. A PAT's
 * previous secret, inside a rotation's grace period, answers with `exp` = the end of the grace.
 */
export async function introspect(deps: AppDeps, token: unknown, req?: Request): Promise<Record<string, unknown>> {
  const inactive = { active: false };
  if (typeof token !== 'string') return inactive;
  const parsed = parseToken(token);
  if (!parsed) return inactive;
  const now = deps.clock.now();
  const iss = deps.baseUrl();
  if (parsed.kind === 'oauthAccess' || parsed.kind === 'oauthRefresh') {
    // Through the credential cache when there is one: a revocation, a used refresh token or a
    // disabled account changes oauth_tokens, oauth_grants or users, which bumps the epoch.
    // The answer itself is kept, until the token expires: only a write (epoch) or the clock changes it.
    const kind = parsed.kind;
    const load = () => oauthIntrospection(deps, token, kind, iss);
    const known = deps.credentialCache ? await deps.credentialCache.remember(`introspect:${token}`, load, (r) => r.expiresAt, req) : await load();
    if (!known || known.expiresAt <= now.getTime()) return inactive;
    return known.answer;
  }
  if (parsed.kind === 'pat') {
    const row = await deps.db.selectFrom('api_keys').innerJoin('users', 'users.id', 'api_keys.user_id')
      .select(['api_keys.id', 'api_keys.secret_hash', 'api_keys.previous_secret_hash', 'api_keys.previous_expires_at', 'api_keys.scopes', 'api_keys.organization_id',
        'api_keys.enabled', 'api_keys.expires_at', 'api_keys.revoked_at', 'api_keys.created_at', 'users.id as user_id', 'users.is_active'])
      .where('api_keys.lookup_id', '=', parsed.lookupId).executeTakeFirst();
    if (!row || !row.is_active) return inactive;
    const which = await matchSecret(deps.keyVerifier, row.id, row, parsed, now);
    if (!which) return inactive;
    if (keyStatus(row, now) !== 'active') return inactive;
    const ends = [row.expires_at, which === 'previous' ? row.previous_expires_at : null].filter((at): at is string => at !== null).map(seconds);
    return {
      active: true, scope: (JSON.parse(row.scopes) as string[]).join(' '), sub: row.user_id, token_type: 'api_key', key_id: row.id,
      ...(ends.length ? { exp: Math.min(...ends) } : {}), iat: seconds(row.created_at), iss, organization_id: row.organization_id,
    };
  }
  return inactive;
}
