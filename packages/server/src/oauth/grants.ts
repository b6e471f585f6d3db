import { createHash } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import type { ParsedToken } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { Database, OAuthGrantRow, OAuthTokensTable } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { sqliteImmediate, type DB } from '../db/database.js';
import { authChanged } from '../auth/invalidation.js';
import { sha256, sameDigest } from '../auth/hashing.js';
import { addSeconds, iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';
import { DEVICE_GRANT, type OAuthClient } from './clients.js';
import { OAuthError } from './errors.js';
import { derivedToken, newCode, newToken } from './tokens.js';
import { parseScopeParam } from './scopes.js';
import { record, type AuditActor } from '../audit/audit.js';

type Db = Kysely<Database>;

/** Authorization codes live this long (SECURITY.md: single use, at most 10 minutes). */
export const CODE_SECONDS = 120;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** One approved authorization: the family every token issued from it belongs to. */
export async function createGrant(
  db: Db, now: Date,
  input: { userId: string; client: OAuthClient; scopes: string[]; resource: string | null; organizationId: string | null },
): Promise<OAuthGrantRow> {
  const grant: OAuthGrantRow = {
    id: `og_${ulid(now.getTime())}`, user_id: input.userId, client_id: input.client.id, client_name: input.client.name, scopes: JSON.stringify(input.scopes),
    resource: input.resource, organization_id: input.organizationId, created_at: iso(now), last_used_at: null, revoked_at: null, revoked_reason: null,
  };
  await db.insertInto('oauth_grants').values(grant).execute();
  await record(db, {
    now, action: 'oauth.granted', organizationId: input.organizationId, userId: input.userId, target: { type: 'oauth_grant', id: grant.id },
    detail: { clientId: input.client.id, clientName: input.client.name, scopes: input.scopes, resource: input.resource },
  });
  return grant;
}

/** A single-use code for a grant, bound to the redirect URI and the PKCE challenge. */
export async function issueCode(db: Db, now: Date, grant: OAuthGrantRow, redirectUri: string, codeChallenge: string): Promise<string> {
  const code = newCode();
  await db.insertInto('oauth_codes').values({
    code_hash: sha256(code), grant_id: grant.id, redirect_uri: redirectUri, code_challenge: codeChallenge, expires_at: iso(addSeconds(now, CODE_SECONDS)), used_at: null,
  }).execute();
  return code;
}

/** Ends a grant and with it every token of its family; `actor` overrides the request's (a client revoking its own token). */
export async function revokeGrant(db: Db, grantId: string, now: Date, reason: string, actor?: AuditActor): Promise<void> {
  const ended = await db.updateTable('oauth_grants').set({ revoked_at: iso(now), revoked_reason: reason }).where('id', '=', grantId).where('revoked_at', 'is', null)
    .returning(['user_id', 'organization_id', 'client_id', 'client_name']).executeTakeFirst();
  // One row per grant that ended here; a grant already revoked records nothing again.
  if (ended) await record(db, {
    now, action: 'oauth.revoked', organizationId: ended.organization_id, userId: ended.user_id, target: { type: 'oauth_grant', id: grantId }, ...(actor ? { actor } : {}),
    detail: { clientId: ended.client_id, clientName: ended.client_name, reason },
  });
}

/**
 * Ends a user's grants (all, or those created before `createdBefore`): a password reset, a proof
 * of the mailbox and the like end OAuth grants as they end PATs. Returns how many were live.
 */
export async function revokeUserGrants(db: Db, userId: string, now: Date, reason: string, only: { createdBefore?: string } = {}): Promise<number> {
  let q = db.updateTable('oauth_grants').set({ revoked_at: iso(now), revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (only.createdBefore) q = q.where('created_at', '<', only.createdBefore);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

function scopeList(json: string): string[] {
  return JSON.parse(json) as string[];
}

/** A `scope` parameter at the token endpoint may only narrow what was granted. */
function narrowScopes(granted: string[], requested: unknown): string[] {
  if (requested === undefined || requested === '') return granted;
  if (typeof requested !== 'string') throw new OAuthError('invalid_request', 'scope must be a string');
  const names = parseScopeParam(requested);
  if (!names || names.some((n) => !granted.includes(n))) throw new OAuthError('invalid_scope', 'The requested scope is broader than what was granted');
  return names;
}

/** Checks an RFC 8707 resource value: an absolute URI without fragment, served by this server. */
export function resourceProblem(baseUrl: string, value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'resource must be an absolute URI';
  }
  if (value.includes('#')) return 'resource must not contain a fragment';
  if (url.origin !== new URL(baseUrl).origin) return `resource must be served by this server (${new URL(baseUrl).origin})`;
  return null;
}

/** A `resource` at the token endpoint may only narrow the one bound at authorization (RFC 8707). */
function narrowResource(granted: string | null, requested: unknown): string | null {
  if (requested === undefined) return granted;
  if (typeof requested !== 'string') throw new OAuthError('invalid_target', 'Ask for one resource');
  const base = granted?.replace(/\/+$/, '');
  if (base !== undefined && (requested.replace(/\/+$/, '') === base || requested.startsWith(`${base}/`))) return requested;
  throw new OAuthError('invalid_target', granted === null
    ? 'No resource was bound at authorization: a token request cannot add one'
    : `The resource must be ${granted} or narrower`);
}

interface Issued {
  access: ParsedToken;
  refresh: ParsedToken;
}

/** A new access and refresh token of a grant, and their rows: random, or derived from the refresh token they replace. */
function newPair(deps: AppDeps, now: Date, grant: Pick<OAuthGrantRow, 'id' | 'scopes' | 'resource'>, access: { scopes: string[]; resource: string | null }, seed?: string) {
  const pair: Issued = seed
    ? { access: derivedToken(deps.serverSecret, 'oauthAccess', seed), refresh: derivedToken(deps.serverSecret, 'oauthRefresh', seed) }
    : { access: newToken('oauthAccess'), refresh: newToken('oauthRefresh') };
  const at = iso(now);
  const rows: Insertable<OAuthTokensTable>[] = [
    {
      id: `ot_${ulid(now.getTime())}`, token_hash: sha256(pair.access.token), kind: 'access', grant_id: grant.id, scopes: JSON.stringify(access.scopes),
      resource: access.resource, created_at: at, expires_at: iso(addSeconds(now, deps.config.oauth.accessTokenSeconds)), used_at: null, revoked_at: null,
    },
    {
      id: `ot_${ulid(now.getTime())}`, token_hash: sha256(pair.refresh.token), kind: 'refresh', grant_id: grant.id, scopes: grant.scopes,
      resource: grant.resource, created_at: at, expires_at: iso(addSeconds(now, deps.config.oauth.refreshTokenSeconds)), used_at: null, revoked_at: null,
    },
  ];
  return { pair, rows };
}

/** Stores a new access and refresh token of a grant (newPair). */
async function storePair(deps: AppDeps, db: Db, now: Date, grant: OAuthGrantRow, access: { scopes: string[]; resource: string | null }, seed?: string): Promise<Issued> {
  const { pair, rows } = newPair(deps, now, grant, access, seed);
  await db.insertInto('oauth_tokens').values(rows).execute();
  return pair;
}

/*
 * The token endpoint's successful exchange and refresh on SQLite, as one synchronous transaction
 * (db/database.ts sqliteImmediate) of hand-written statements: through kysely the same five
 * statements cost more in building, compiling and awaiting than SQLite spends running them, and
 * the endpoint's p99 at 8 connections is what issue 15 measures. These paths only ever succeed:
 * on anything else (an unknown, used, expired or revoked code or token, a PKCE or redirect
 * mismatch, a disabled account, a scope or resource outside the grant) they write nothing and
 * answer null, and the general path below runs, with its errors and its revocations on reuse.
 * Their SQL reads and writes exactly the columns the kysely statements do (tested on both paths:
 * test/oauth-token-paths.test.ts).
 */
const INSERT_PAIR = `insert into oauth_tokens (id, token_hash, kind, grant_id, scopes, resource, created_at, expires_at, used_at, revoked_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const pairParameters = (rows: Insertable<OAuthTokensTable>[]) =>
  rows.flatMap((r) => [r.id, r.token_hash, r.kind, r.grant_id, r.scopes, r.resource ?? null, r.created_at, r.expires_at, r.used_at ?? null, r.revoked_at ?? null]);

const CODE_WITH_GRANT = `select g.*, c.redirect_uri as code_redirect_uri, c.code_challenge as code_challenge, c.expires_at as code_expires_at,
  c.used_at as code_used_at, u.is_active as user_active
  from oauth_codes c join oauth_grants g on g.id = c.grant_id join users u on u.id = g.user_id where c.code_hash = ?`;
type CodeWithGrant = OAuthGrantRow & { code_redirect_uri: string; code_challenge: string; code_expires_at: string; code_used_at: string | null; user_active: number };

/** Narrowed scopes and resource, or null where the general path must answer (with its error). */
function narrowed(grant: OAuthGrantRow, body: Record<string, unknown>): { scopes: string[]; resource: string | null } | null {
  try {
    return { scopes: narrowScopes(scopeList(grant.scopes), body['scope']), resource: narrowResource(grant.resource, body['resource']) };
  } catch {
    return null;
  }
}

function exchangeCodeSqlite(deps: AppDeps, client: OAuthClient, body: Record<string, unknown>, code: string, now: Date): TokenResponse | null | undefined {
  return sqliteImmediate(deps.db, (s) => {
    const codeHash = sha256(code);
    const row = s.get<CodeWithGrant>(CODE_WITH_GRANT, [codeHash]);
    if (!row || row.client_id !== client.id || row.code_used_at !== null || new Date(row.code_expires_at) <= now || row.revoked_at !== null) return null;
    if (row.code_redirect_uri !== body['redirect_uri'] || !pkceMatches(body['code_verifier'], row.code_challenge) || !row.user_active) return null;
    const { code_redirect_uri: _r, code_challenge: _c, code_expires_at: _e, code_used_at: _u, user_active: _a, ...grant } = row;
    const access = narrowed(grant, body);
    if (!access) return null;
    if (s.run('update oauth_codes set used_at = ? where code_hash = ? and used_at is null', [iso(now), codeHash]) !== 1) return null;
    const { pair, rows } = newPair(deps, now, grant, access);
    s.run(INSERT_PAIR, pairParameters(rows));
    return response(deps, pair, access.scopes);
  });
}

const REFRESH_WITH_GRANT = `select g.*, t.id as token_id, t.kind as token_kind, t.expires_at as token_expires_at, t.used_at as token_used_at,
  t.revoked_at as token_revoked_at, u.is_active as user_active
  from oauth_tokens t join oauth_grants g on g.id = t.grant_id join users u on u.id = g.user_id where t.token_hash = ?`;
type RefreshWithGrant = OAuthGrantRow & { token_id: string; token_kind: string; token_expires_at: string; token_used_at: string | null; token_revoked_at: string | null; user_active: number };

function refreshTokensSqlite(deps: AppDeps, client: OAuthClient, body: Record<string, unknown>, presented: string, now: Date): TokenResponse | null | undefined {
  return sqliteImmediate(deps.db, (s) => {
    const row = s.get<RefreshWithGrant>(REFRESH_WITH_GRANT, [sha256(presented)]);
    if (!row || row.token_kind !== 'refresh' || row.client_id !== client.id || row.revoked_at !== null || row.token_revoked_at !== null) return null;
    if (row.token_used_at !== null || new Date(row.token_expires_at) <= now || !row.user_active) return null;
    const { token_id, token_kind: _k, token_expires_at: _e, token_used_at: _u, token_revoked_at: _r, user_active: _a, ...grant } = row;
    const access = narrowed(grant, body);
    if (!access) return null;
    if (s.run('update oauth_tokens set used_at = ? where id = ? and used_at is null', [iso(now), token_id]) !== 1) return null;
    const { pair, rows } = newPair(deps, now, grant, access, presented);
    s.run(INSERT_PAIR, pairParameters(rows));
    if (!grant.last_used_at || now.getTime() - new Date(grant.last_used_at).getTime() > 60_000)
      s.run('update oauth_grants set last_used_at = ? where id = ?', [iso(now), grant.id]);
    return response(deps, pair, access.scopes);
  });
}

function response(deps: AppDeps, pair: Issued, scopes: string[], expiresAt?: string, now?: Date): TokenResponse {
  const expiresIn = expiresAt && now ? Math.max(1, Math.floor((new Date(expiresAt).getTime() - now.getTime()) / 1000)) : deps.config.oauth.accessTokenSeconds;
  return { access_token: pair.access.token, token_type: 'Bearer', expires_in: expiresIn, refresh_token: pair.refresh.token, scope: scopes.join(' ') };
}

function pkceMatches(verifier: unknown, challenge: string): boolean {
  if (typeof verifier !== 'string' || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const computed = createHash('sha256').update(verifier).digest('base64url');
  return computed.length === challenge.length && sameDigest(Buffer.from(computed), Buffer.from(challenge));
}

async function liveGrant(db: Db, grantId: string): Promise<OAuthGrantRow | undefined> {
  return db.selectFrom('oauth_grants').selectAll().where('id', '=', grantId).where('revoked_at', 'is', null).executeTakeFirst();
}

/** A disabled account gets no new tokens (its current ones already fail on every request). */
async function userActive(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('is_active').where('id', '=', userId).executeTakeFirst();
  return Boolean(row?.is_active);
}
const DISABLED = () => new OAuthError('invalid_grant', 'The account is disabled');

/** grant_type=authorization_code: PKCE, exact redirect, single use (a reused code ends its grant). */
export async function exchangeCode(deps: AppDeps, client: OAuthClient, body: Record<string, unknown>): Promise<TokenResponse> {
  const code = body['code'];
  if (typeof code !== 'string' || code.length > 200) throw new OAuthError('invalid_request', 'code is missing');
  if (typeof body['redirect_uri'] !== 'string') throw new OAuthError('invalid_request', 'redirect_uri is missing');
  if (body['code_verifier'] === undefined) throw new OAuthError('invalid_request', 'code_verifier is missing (PKCE is required)');
  const now = deps.clock.now();
  const fast = exchangeCodeSqlite(deps, client, body, code, now);
  if (fast) return fast;
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('oauth_codes').innerJoin('oauth_grants', 'oauth_grants.id', 'oauth_codes.grant_id').selectAll('oauth_grants')
      .select(['oauth_codes.code_hash', 'oauth_codes.redirect_uri', 'oauth_codes.code_challenge', 'oauth_codes.expires_at', 'oauth_codes.used_at'])
      .where('oauth_codes.code_hash', '=', sha256(code)).executeTakeFirst();
    if (!row || row.client_id !== client.id) return { error: new OAuthError('invalid_grant', 'The authorization code is invalid') };
    const { code_hash, redirect_uri, code_challenge, expires_at, used_at, ...grant } = row;
    if (used_at) {
      // RFC 6749 §4.1.2: a second use means the code leaked; what it issued is revoked.
      await revokeGrant(trx, grant.id, now, 'authorization code reused');
      return { error: new OAuthError('invalid_grant', 'The authorization code was already used; the tokens it issued are revoked') };
    }
    const used = await trx.updateTable('oauth_codes').set({ used_at: iso(now) }).where('code_hash', '=', code_hash).where('used_at', 'is', null).executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) {
      await revokeGrant(trx, grant.id, now, 'authorization code reused');
      return { error: new OAuthError('invalid_grant', 'The authorization code was already used') };
    }
    if (new Date(expires_at) <= now) return { error: new OAuthError('invalid_grant', 'The authorization code has expired') };
    if (grant.revoked_at) return { error: new OAuthError('invalid_grant', 'The authorization was revoked') };
    if (redirect_uri !== body['redirect_uri']) return { error: new OAuthError('invalid_grant', 'redirect_uri differs from the one of the authorization request') };
    if (!pkceMatches(body['code_verifier'], code_challenge)) return { error: new OAuthError('invalid_grant', 'The PKCE code_verifier does not match the code_challenge') };
    if (!(await userActive(trx, grant.user_id))) return { error: DISABLED() };
    const scopes = narrowScopes(scopeList(grant.scopes), body['scope']);
    const resource = narrowResource(grant.resource, body['resource']);
    const pair = await storePair(deps, trx, now, grant, { scopes, resource });
    return { ok: response(deps, pair, scopes) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.ok!;
}

/**
 * grant_type=refresh_token: rotation on every use. A refresh token used again after its rotation
 * revokes the whole family, except a retry within `refreshRetrySeconds`, which gets the same new
 * pair (derived from the old token) as long as that pair is still live.
 */
export async function refreshTokens(deps: AppDeps, client: OAuthClient, body: Record<string, unknown>): Promise<TokenResponse> {
  const presented = body['refresh_token'];
  if (typeof presented !== 'string') throw new OAuthError('invalid_request', 'refresh_token is missing');
  const now = deps.clock.now();
  const fast = refreshTokensSqlite(deps, client, body, presented, now);
  if (fast) {
    // The used refresh token is inactive now: what introspection has cached of it must go.
    if (!authChanged()) await deps.authEpoch?.bump();
    return fast;
  }
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('oauth_tokens').innerJoin('oauth_grants', 'oauth_grants.id', 'oauth_tokens.grant_id').selectAll('oauth_grants')
      .select(['oauth_tokens.id as token_id', 'oauth_tokens.kind', 'oauth_tokens.expires_at', 'oauth_tokens.used_at', 'oauth_tokens.revoked_at as token_revoked_at'])
      .where('oauth_tokens.token_hash', '=', sha256(presented)).executeTakeFirst();
    if (!row || row.kind !== 'refresh' || row.client_id !== client.id) return { error: new OAuthError('invalid_grant', 'The refresh token is invalid') };
    const { token_id, kind: _kind, expires_at, used_at, token_revoked_at, ...grant } = row;
    if (grant.revoked_at || token_revoked_at) return { error: new OAuthError('invalid_grant', 'The refresh token was revoked') };
    const scopes = narrowScopes(scopeList(grant.scopes), body['scope']);
    const resource = narrowResource(grant.resource, body['resource']);
    if (used_at) {
      const retry = now.getTime() - new Date(used_at).getTime() <= deps.config.oauth.refreshRetrySeconds * 1000;
      if (retry) {
        const access = derivedToken(deps.serverSecret, 'oauthAccess', presented);
        const refresh = derivedToken(deps.serverSecret, 'oauthRefresh', presented);
        const issued = await trx.selectFrom('oauth_tokens').select(['kind', 'expires_at', 'used_at', 'revoked_at', 'scopes'])
          .where('token_hash', 'in', [sha256(access.token), sha256(refresh.token)]).execute();
        const accessRow = issued.find((t) => t.kind === 'access');
        const refreshRow = issued.find((t) => t.kind === 'refresh');
        if (accessRow && refreshRow && !accessRow.revoked_at && !refreshRow.revoked_at && !refreshRow.used_at)
          return { ok: response(deps, { access, refresh }, scopeList(accessRow.scopes), accessRow.expires_at, now) };
      }
      await revokeGrant(trx, grant.id, now, 'refresh token reused');
      return { error: new OAuthError('invalid_grant', 'The refresh token was already used; the authorization is revoked') };
    }
    if (new Date(expires_at) <= now) return { error: new OAuthError('invalid_grant', 'The refresh token has expired') };
    if (!(await userActive(trx, grant.user_id))) return { error: DISABLED() };
    const rotated = await trx.updateTable('oauth_tokens').set({ used_at: iso(now) }).where('id', '=', token_id).where('used_at', 'is', null).executeTakeFirst();
    if (Number(rotated.numUpdatedRows) !== 1) return { error: new OAuthError('invalid_grant', 'The refresh token was just used; retry') };
    const pair = await storePair(deps, trx, now, grant, { scopes, resource }, presented);
    // A grant's last use is shown to the user by the minute; a write per refresh would buy nothing.
    if (!grant.last_used_at || now.getTime() - new Date(grant.last_used_at).getTime() > 60_000)
      await trx.updateTable('oauth_grants').set({ last_used_at: iso(now) }).where('id', '=', grant.id).execute();
    return { ok: response(deps, pair, scopes) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.ok!;
}

/** grant_type=device_code (RFC 8628 §3.4–3.5): pending, slow_down, denied, expired, or the tokens once. */
export async function pollDeviceCode(deps: AppDeps, client: OAuthClient, body: Record<string, unknown>): Promise<TokenResponse> {
  const deviceCode = body['device_code'];
  if (typeof deviceCode !== 'string') throw new OAuthError('invalid_request', 'device_code is missing');
  const now = deps.clock.now();
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('oauth_device_codes').selectAll().where('device_code_hash', '=', sha256(deviceCode)).executeTakeFirst();
    if (!row || row.client_id !== client.id) return { error: new OAuthError('invalid_grant', 'The device code is invalid') };
    if (new Date(row.expires_at) <= now) return { error: new OAuthError('expired_token', 'The device code has expired; start again') };
    if (row.status === 'denied') return { error: new OAuthError('access_denied', 'The user denied the request') };
    if (row.status === 'used') return { error: new OAuthError('invalid_grant', 'The device code was already used') };
    if (row.status === 'pending') {
      const last = row.last_polled_at ? new Date(row.last_polled_at).getTime() : 0;
      const tooSoon = now.getTime() - last < row.interval_seconds * 1000;
      await trx.updateTable('oauth_device_codes').set({ last_polled_at: iso(now), ...(tooSoon ? { interval_seconds: row.interval_seconds + 5 } : {}) })
        .where('id', '=', row.id).execute();
      return { error: tooSoon ? new OAuthError('slow_down', `Poll at most every ${row.interval_seconds + 5} seconds`) : new OAuthError('authorization_pending', 'The user has not answered yet') };
    }
    const claimed = await trx.updateTable('oauth_device_codes').set({ status: 'used' }).where('id', '=', row.id).where('status', '=', 'approved').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1 || !row.grant_id) return { error: new OAuthError('invalid_grant', 'The device code was already used') };
    const grant = await liveGrant(trx, row.grant_id);
    if (!grant) return { error: new OAuthError('invalid_grant', 'The authorization was revoked') };
    if (!(await userActive(trx, grant.user_id))) return { error: DISABLED() };
    const scopes = scopeList(grant.scopes);
    const pair = await storePair(deps, trx, now, grant, { scopes, resource: grant.resource });
    return { ok: response(deps, pair, scopes) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.ok!;
}

export { DEVICE_GRANT };

/** RFC 7009: a refresh token ends its family; an access token ends alone; someone else's token, or none, changes nothing. */
export async function revokeToken(deps: AppDeps, client: OAuthClient, token: string): Promise<void> {
  const row = await deps.db.selectFrom('oauth_tokens').innerJoin('oauth_grants', 'oauth_grants.id', 'oauth_tokens.grant_id')
    .select(['oauth_tokens.id', 'oauth_tokens.kind', 'oauth_grants.id as grant_id', 'oauth_grants.client_id'])
    .where('oauth_tokens.token_hash', '=', sha256(token)).executeTakeFirst();
  if (!row || row.client_id !== client.id) return;
  const now = deps.clock.now();
  // The client acted, authenticated by its own credentials: it is the row's actor, not the user.
  const actor: AuditActor = { type: 'oauth_client', id: client.id, credentialKind: 'oauth_client', credentialId: client.id };
  if (row.kind === 'refresh') await deps.db.transaction().execute((trx) => revokeGrant(trx, row.grant_id, now, 'revoked by the client', actor));
  else await deps.db.updateTable('oauth_tokens').set({ revoked_at: iso(now) }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
}

/** A token row with its grant and the grant's user, as introspection reads them: compiled once (see keyWithOwner for the CAST). */
const tokenWithGrant = prepared((db) =>
  db.selectFrom('oauth_tokens')
    .innerJoin('oauth_grants', 'oauth_grants.id', 'oauth_tokens.grant_id')
    .innerJoin('users', 'users.id', 'oauth_grants.user_id')
    .select([
      'oauth_tokens.id as token_id', 'oauth_tokens.kind', 'oauth_tokens.scopes', 'oauth_tokens.resource', 'oauth_tokens.created_at', 'oauth_tokens.expires_at',
      'oauth_tokens.used_at', 'oauth_tokens.revoked_at as token_revoked_at', 'oauth_grants.id as grant_id', 'oauth_grants.client_id',
      'oauth_grants.organization_id', 'oauth_grants.revoked_at as grant_revoked_at', 'oauth_grants.last_used_at', 'users.id as user_id', 'users.is_active',
    ])
    .where('oauth_tokens.token_hash', '=', sql<string>`cast(${''} as text)`),
);

export async function findToken(db: Db, token: string) {
  return tokenWithGrant.first(db as DB, [sha256(token)]);
}
