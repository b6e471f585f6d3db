import { issueToken, type ParsedToken, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { ApiKeyRow, UserRow } from '../db/schema.js';
import { addSeconds, iso } from '../http/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../http/ids.js';
import { argon2Hash } from '../auth/hashing.js';
import type { Principal } from '../auth/principal.js';

export type KeyStatus = 'active' | 'expired' | 'revoked' | 'disabled';

export function keyStatus(row: Pick<ApiKeyRow, 'revoked_at' | 'enabled' | 'expires_at'>, now: Date): KeyStatus {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && new Date(row.expires_at) <= now) return 'expired';
  if (!row.enabled) return 'disabled';
  return 'active';
}

/** The API shape of a key: never the secret or its hash. */
export function toApiKey(row: ApiKeyRow, now: Date) {
  return {
    id: row.id,
    name: row.name,
    start: row.start,
    scopes: JSON.parse(row.scopes) as Scope[],
    organizationId: row.organization_id,
    enabled: row.enabled === 1,
    status: keyStatus(row, now),
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    lastUsedIp: row.last_used_ip,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}

export interface CreateKeyInput {
  name: string;
  scopes: Scope[];
  expiresIn?: number | null;
  organizationId?: string | undefined;
}

/** Mints a PAT for a user; the plain key exists only in the returned value. */
export async function createKey(deps: AppDeps, userId: string, input: CreateKeyInput) {
  const { db, clock } = deps;
  if (input.organizationId) {
    const member = await db
      .selectFrom('memberships').select('role')
      .where('organization_id', '=', input.organizationId).where('user_id', '=', userId)
      .executeTakeFirst();
    if (!member) throw new HttpError('ORGANIZATION_MISMATCH', 'You can only pin a key to an organization you belong to');
  }
  const now = clock.now();
  const token = issueToken('pat');
  const row: ApiKeyRow = {
    id: `ak_${ulid(now.getTime())}`,
    lookup_id: token.lookupId,
    user_id: userId,
    name: input.name,
    start: token.token.slice(0, 7),
    secret_hash: await argon2Hash(token.token),
    scopes: JSON.stringify([...new Set(input.scopes)]),
    organization_id: input.organizationId ?? null,
    enabled: 1,
    expires_at: input.expiresIn ? iso(addSeconds(now, input.expiresIn)) : null,
    revoked_at: null,
    last_used_at: null,
    last_used_ip: null,
    created_at: iso(now),
    updated_at: iso(now),
  };
  await db.insertInto('api_keys').values(row).execute();
  return { row, key: token.token };
}

const LAST_USED_INTERVAL_MS = 60_000;

/**
 * Resolves a PAT: one indexed read (key joined with its owner), a cached constant-time
 * check after the first Argon2 verification, then status. The row is read on every request,
 * so a revocation written by any instance is seen on the very next one.
 */
export async function authenticateKey(deps: AppDeps, token: ParsedToken, ip: string | null): Promise<Principal> {
  const row = await deps.db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .selectAll('users')
    .select([
      'api_keys.id as key_id', 'api_keys.secret_hash', 'api_keys.scopes', 'api_keys.organization_id as key_organization_id',
      'api_keys.enabled', 'api_keys.expires_at as key_expires_at', 'api_keys.revoked_at as key_revoked_at',
      'api_keys.last_used_at as key_last_used_at', 'api_keys.last_used_ip as key_last_used_ip',
    ])
    .where('api_keys.lookup_id', '=', token.lookupId)
    .executeTakeFirst();
  if (!row || !(await deps.keyVerifier.verify(row.key_id, row.secret_hash, token)))
    throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const now = deps.clock.now();
  const status = keyStatus({ revoked_at: row.key_revoked_at, enabled: row.enabled, expires_at: row.key_expires_at }, now);
  if (status === 'revoked') throw new HttpError('INVALID_TOKEN', 'The API key has been revoked');
  if (status === 'expired') throw new HttpError('TOKEN_EXPIRED', 'The API key has expired');
  if (status === 'disabled') throw new HttpError('INVALID_TOKEN', 'The API key is disabled');
  if (!row.is_active) throw new HttpError('ACCOUNT_DISABLED');

  const last = row.key_last_used_at ? new Date(row.key_last_used_at).getTime() : 0;
  if (now.getTime() - last > LAST_USED_INTERVAL_MS || row.key_last_used_ip !== ip) {
    // Bookkeeping must not fail or slow the request it describes.
    deps.db.updateTable('api_keys').set({ last_used_at: iso(now), last_used_ip: ip }).where('id', '=', row.key_id)
      .execute().catch((err) => deps.logger.warn({ err }, 'could not record key use'));
  }
  const user: UserRow = {
    id: row.id, email: row.email, full_name: row.full_name, handle: row.handle, password_hash: row.password_hash,
    role: row.role, is_active: row.is_active, email_verified_at: row.email_verified_at, last_login_at: row.last_login_at,
    failed_sign_ins: row.failed_sign_ins, created_at: row.created_at, updated_at: row.updated_at,
  };
  return {
    user,
    credential: { kind: 'pat', keyId: row.key_id, scopes: new Set(JSON.parse(row.scopes) as Scope[]), organizationId: row.key_organization_id },
  };
}

