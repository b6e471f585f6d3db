import type { ParsedToken, Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { UserRow } from '../db/schema.js';
import { iso } from '../http/clock.js';
import { HttpError } from '../http/http-error.js';
import type { Principal } from '../auth/principal.js';
import { keyStatus } from './keys.service.js';

/** Seconds between two writes of a key's last use (and on every change of IP). */
export const LAST_USED_INTERVAL_MS = 60_000;

interface Secrets {
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_expires_at: string | null;
}

/** Checks a token against a key's secret, or its previous secret while a rotation's grace period runs. */
export async function verifyWithGrace(verifier: AppDeps['keyVerifier'], cacheKey: string, row: Secrets, token: ParsedToken, now: Date): Promise<boolean> {
  if (await verifier.verify(cacheKey, row.secret_hash, token)) return true;
  if (row.previous_secret_hash && row.previous_expires_at && new Date(row.previous_expires_at) > now) {
    return verifier.verify(`${cacheKey}:previous`, row.previous_secret_hash, token);
  }
  return false;
}

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
      'api_keys.previous_secret_hash', 'api_keys.previous_expires_at',
    ])
    .where('api_keys.lookup_id', '=', token.lookupId)
    .executeTakeFirst();
  if (!row) throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const now = deps.clock.now();
  const valid = await verifyWithGrace(deps.keyVerifier, row.key_id, { secret_hash: row.secret_hash, previous_secret_hash: row.previous_secret_hash, previous_expires_at: row.previous_expires_at }, token, now);
  if (!valid) throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const status = keyStatus({ revoked_at: row.key_revoked_at, enabled: row.enabled, expires_at: row.key_expires_at }, now);
  if (status === 'revoked') throw new HttpError('INVALID_TOKEN', 'The API key has been revoked');
  if (status === 'expired') throw new HttpError('TOKEN_EXPIRED', 'The API key has expired');
  if (status === 'disabled') throw new HttpError('INVALID_TOKEN', 'The API key is disabled');
  if (!row.is_active) throw new HttpError('ACCOUNT_DISABLED');

  const last = row.key_last_used_at ? new Date(row.key_last_used_at).getTime() : 0;
  if (now.getTime() - last > LAST_USED_INTERVAL_MS || row.key_last_used_ip !== ip) {
    // Bookkeeping must not fail or slow the request it describes.
    deps.db.updateTable('api_keys').set({ last_used_at: iso(now), last_used_ip: ip }).where('id', '=', row.key_id)
      .execute().catch((err: unknown) => deps.logger.warn({ err }, 'could not record key use'));
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
